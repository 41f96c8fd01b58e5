"""Template rendering in a sandbox, and letters to PDF.

A template's wording is Django template syntax, but it renders against a context of plain values (strings,
numbers, lists of strings) built only from ``rules.ALLOWED_VARIABLES`` — never model objects — and may use
only the tags in ``rules.ALLOWED_TAGS`` (no ``load``, ``include``, ``extends``, ``url``, ``debug``...).
``check_syntax`` finds unknown variables, forbidden tags and syntax errors before a version is published.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils.html import escape, linebreaks

from fairpath.communications import rules
from fairpath.communications.rules import Finding

_TOKEN = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.DOTALL)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_FILTER_NAME = re.compile(r"\|\s*\w+")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "None", "True", "False", "as", "reversed", "with"})

_HTML_ENGINE = Engine(autoescape=True)
_TEXT_ENGINE = Engine(autoescape=False)


def _names_in(expression: str) -> set[str]:
    expression = _FILTER_NAME.sub("", _STRING.sub("", expression))
    return {name.split(".")[0] for name in _IDENTIFIER.findall(expression)} - _KEYWORDS


def check_syntax(source: str, *, where: str = "body") -> list[Finding]:
    """TEMPLATE-SANDBOX: only the allowed tags and variables, and valid syntax."""
    findings: list[Finding] = []
    bound: set[str] = {"forloop"}
    for match in _TOKEN.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        variable, tag = match.group(1), match.group(2)
        if tag is not None:
            words = tag.split()
            if not words:
                continue
            name, rest = words[0], " ".join(words[1:])
            if name not in rules.ALLOWED_TAGS:
                findings.append(
                    Finding("TEMPLATE-SANDBOX", line, f"{{% {name} %}}", f"the tag “{name}” is not allowed")
                )
                continue
            if name == "for" and " in " in f" {rest} ":
                targets, _, rest = f" {rest} ".partition(" in ")
                bound |= {target.strip() for target in targets.split(",") if target.strip()}
            if name in ("now", "cycle"):
                continue
            names = _names_in(rest)
        else:
            names = _names_in(variable)
        for unknown in sorted(names - bound - set(rules.ALLOWED_VARIABLES)):
            findings.append(
                Finding(
                    "TEMPLATE-SANDBOX", line, unknown, f"“{unknown}” is not an allowed variable ({where})"
                )
            )
    if not findings:
        try:
            _HTML_ENGINE.from_string(source)
        except TemplateSyntaxError as error:
            findings.append(Finding("TEMPLATE-SANDBOX", None, str(error)[:100], f"syntax error: {error}"))
    return findings


@lru_cache(maxsize=512)
def _compiled(source: str, autoescape: bool) -> Template:
    return (_HTML_ENGINE if autoescape else _TEXT_ENGINE).from_string(source)


def render_text(source: str, context: dict[str, Any], *, autoescape: bool = False) -> str:
    """Render wording against a context of allowed variables only (others are dropped)."""
    allowed = {name: value for name, value in context.items() if name in rules.ALLOWED_VARIABLES}
    return _compiled(source, autoescape).render(Context(allowed, autoescape=autoescape))


LETTER_CSS = """
@page { size: A4; margin: 22mm 20mm 25mm 22mm;
        @bottom-center { content: "Page " counter(page); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; }
.sender { text-align: right; font-size: 9pt; color: #333; }
.address { margin-top: 18mm; height: 32mm; }
.date { margin: 6mm 0; }
h1 { font-size: 13pt; margin: 4mm 0; }
.reference { font-size: 9pt; color: #333; }
.footer { margin-top: 10mm; font-size: 8pt; color: #444; border-top: 1px solid #999; padding-top: 2mm; }
"""


def letter_html(*, subject: str, body: str, context: dict[str, Any]) -> str:
    """The printable letter around the rendered wording: sender, address block, date, heading, body."""
    address = "<br>".join(escape(line) for line in context.get("address_lines", []))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(subject)}</title><style>{LETTER_CSS}</style></head><body>"
        f"<div class='sender'><strong>{escape(context.get('client_legal_name') or context.get('client_name', ''))}"
        f"</strong><br>{escape(context.get('contact_phone', ''))}</div>"
        f"<div class='address'>{escape(context.get('customer_name', ''))}<br>{address}</div>"
        f"<div class='date'>{escape(context.get('today', ''))}</div>"
        f"<div class='reference'>Agreement {escape(context.get('agreement_reference', ''))}</div>"
        f"<h1>{escape(subject)}</h1>{linebreaks(body, autoescape=True)}"
        f"<div class='footer'>{escape(context.get('client_legal_name', ''))}"
        f"{' · ' + escape(context['regulator_reference']) if context.get('regulator_reference') else ''}</div>"
        "</body></html>"
    )


def letter_pdf(html: str) -> bytes:
    """A4 PDF of a letter with WeasyPrint."""
    from weasyprint import HTML  # imported late: it loads fonts and Pango once

    return bytes(HTML(string=html).write_pdf())


def _letter_pdf_or_error(html: str) -> bytes | str:
    try:
        return letter_pdf(html)
    except Exception as error:  # noqa: BLE001 - reported per letter by the caller
        return f"{type(error).__name__}: {error}"


def letters_pdf(htmls: Sequence[str], *, workers: int = 1) -> list[bytes | str]:
    """Many letters to PDF, in order; each is its PDF or the error text. WeasyPrint's layout is the cost of
    a letter (a few letters a second per core), so ``workers`` > 1 renders in that many processes."""
    if workers <= 1 or len(htmls) < 2:
        return [_letter_pdf_or_error(html) for html in htmls]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(htmls))) as pool:
        return list(pool.map(_letter_pdf_or_error, htmls, chunksize=8))
