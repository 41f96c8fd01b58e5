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
from django.template.base import TextNode, Variable, VariableNode, render_value_in_context
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


_MISSING = object()
_NOW_TAG = re.compile(r"{%\s*now\b")
_WORD = re.compile(r"\w+")


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a context value that tells apart values that render differently (``1``,
    ``True`` and ``1.0`` are equal in Python; their type is part of the key)."""
    if isinstance(value, list | tuple):
        return (type(value), tuple(_frozen(item) for item in value))
    hash(value)  # an unhashable value (a dict) is not cached: TypeError
    return (type(value), value)


def _flat_parts(source: str) -> tuple[tuple[str | None, str | None], ...] | None:
    """A wording made only of text and plain ``{{ variable }}`` of allowed names (no tag, filter, dotted
    lookup or literal), as (text, None) and (None, name) parts; None for any other wording. Every default
    template is flat."""
    if _TEXT_ENGINE.string_if_invalid:
        return None
    parts: list[tuple[str | None, str | None]] = []
    for node in _compiled(source, False).nodelist:
        if isinstance(node, TextNode):
            parts.append((node.s, None))
            continue
        if not isinstance(node, VariableNode):
            return None
        expression = node.filter_expression
        variable = expression.var
        if (
            expression.filters
            or not isinstance(variable, Variable)
            or variable.lookups is None
            or len(variable.lookups) != 1
            or variable.translate
            or variable.lookups[0] not in rules.ALLOWED_VARIABLES
        ):
            return None
        parts.append((None, variable.lookups[0]))
    return tuple(parts)


class Renderer:
    """Renders the wording of many messages in one run (the daily cycle's sending, a batch of notices).

    Each wording is compiled once, and each distinct (wording, values of the variables it names) is
    rendered once: a subject such as "About your account" is rendered for the first message and reused
    for the rest, while a body naming the customer is rendered for each. The result is exactly
    ``render_text``'s: a wording's output depends only on the allowed variables whose names appear in it
    (the sandbox has no ``include`` or ``extends``), so those values are the key. A wording with ``{% now %}``
    is always rendered. At most ``max_per_wording`` results are kept per wording; a wording whose full cache
    was hit less than once per result (a body naming each customer) is rendered from then on without
    looking for an earlier result.

    A flat wording (text and plain variables only, ``_flat_parts``) is rendered by joining its parts, each
    value rendered as Django renders a variable (``render_value_in_context``; a string as itself, a missing
    one as the engine's empty ``string_if_invalid``): the same text without Django's per-node machinery.
    Any other wording, or a value that is callable, goes through ``render_text``."""

    def __init__(self, *, max_per_wording: int = 1024) -> None:
        self.max_per_wording = max_per_wording
        self._names: dict[str, tuple[str, ...] | None] = {}
        self._flat: dict[str, tuple[tuple[str | None, str | None], ...] | None] = {}
        self._results: dict[tuple[str, bool], dict[tuple[Any, ...], str]] = {}
        self._hits: dict[tuple[str, bool], int] = {}
        self._unique: set[tuple[str, bool]] = set()
        self._value_context = Context(autoescape=False)
        self.renders = 0
        self.reused = 0

    def _render(self, source: str, context: dict[str, Any], autoescape: bool) -> str:
        self.renders += 1
        if autoescape:
            return render_text(source, context, autoescape=True)
        if source not in self._flat:
            self._flat[source] = _flat_parts(source)
        parts = self._flat[source]
        if parts is None:
            return render_text(source, context)
        out: list[str] = []
        for text, name in parts:
            if text is not None:
                out.append(text)
                continue
            value = context.get(name or "", _MISSING)
            if type(value) is str:
                out.append(value)
            elif value is _MISSING:
                out.append("")
            elif callable(value):
                return render_text(source, context)
            else:
                out.append(render_value_in_context(value, self._value_context))
        return "".join(out)

    def _names_in(self, source: str) -> tuple[str, ...] | None:
        names = self._names.get(source, _MISSING)
        if names is _MISSING:
            if _NOW_TAG.search(source):
                names = None
            else:
                words = set(_WORD.findall(source))
                names = tuple(sorted(name for name in rules.ALLOWED_VARIABLES if name in words))
            self._names[source] = names
        return names  # type: ignore[return-value]

    def render(self, source: str, context: dict[str, Any], *, autoescape: bool = False) -> str:
        """``render_text(source, context)``, reusing an earlier result for the same values."""
        wording = (source, autoescape)
        if wording in self._unique:
            return self._render(source, context, autoescape)
        names = self._names_in(source)
        key: tuple[Any, ...] | None = None
        if names is not None:
            try:
                key = tuple(_frozen(context.get(name, _MISSING)) for name in names)
            except TypeError:
                key = None
        if key is None:
            return self._render(source, context, autoescape)
        results = self._results.setdefault(wording, {})
        found = results.get(key)
        if found is not None:
            self.reused += 1
            self._hits[wording] = self._hits.get(wording, 0) + 1
            return found
        text = self._render(source, context, autoescape)
        if len(results) < self.max_per_wording:
            results[key] = text
        elif self._hits.get(wording, 0) < len(results):
            # a full cache that was hit less than once per result kept: a wording naming each customer;
            # it is rendered from now on without building a key for it
            self._unique.add(wording)
            self._results.pop(wording, None)
        return text


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
