"""SWIFT MT940 customer statements, with the variants banks really send.

``:61:`` may or may not carry the entry date (MMDD), carries D, C, RD or RC, may carry a funds code letter
before the amount, a customer reference, an optional ``//`` bank reference and supplementary details on
the next line. ``:86:`` runs over several lines; structured ``?20``-style (German banks) and ``/EREF/``
-style subfields are read for the reference and the payer's name. Opening balance + movements must equal
the closing balance, or the statement is refused.
"""

from __future__ import annotations

import re
from datetime import date

from fairpath.payments.parsers.common import (
    MalformedFile,
    ParsedFile,
    ParsedLine,
    check_currency,
    decimal_to_minor,
    parse_date,
    tie,
)

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d{1,12},\d{0,3})$")
_LINE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d{1,12},\d{0,3})(?P<type>[NSF][A-Z0-9]{3})(?P<customer>.*?)(?://(?P<bank>.*))?$"
)


def _logical_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, tag, value) with continuation lines joined by newlines."""
    fields: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if line.startswith("{") or line in ("-", "-}") or not line.strip():
            if line.startswith("{") and ":20:" in line:
                line = line[line.index(":20:") :]
            else:
                if line in ("-", "-}"):
                    fields.append((number, "-", ""))
                continue
        match = _TAG.match(line)
        if match:
            fields.append((number, match.group(1), match.group(2)))
        elif fields and fields[-1][1] != "-":
            line_no, tag, value = fields[-1]
            fields[-1] = (line_no, tag, value + "\n" + line)
        else:
            raise MalformedFile(f"line {number}", "text outside any :tag: field")
    return fields


def _balance(value: str, where: str) -> tuple[int, str, date]:
    match = _BALANCE.match(value.strip())
    if not match:
        raise MalformedFile(where, f"{value!r} is not a balance (C/D, YYMMDD, currency, amount)")
    currency = check_currency(match["currency"], where)
    amount = decimal_to_minor(match["amount"], currency, where, comma=True)
    return (amount if match["mark"] == "C" else -amount), currency, parse_date(match["date"], "%y%m%d", where)


# Codes of the slash-delimited :86: style (SWIFT / Dutch and Belgian banks: ING, Rabobank, ABN AMRO, KBC).
_SLASH_CODES = (
    "EREF", "REMI", "NAME", "ORDP", "BENM", "MREF", "CNTP", "IREF", "SVWZ", "USTD", "STRD", "ADDR", "ID", "CSID",
    "PURP", "RTRN", "ISDT", "ULTD", "ULTC", "ULTB", "ACCW", "BUSP", "CHGS", "TRCD", "MARF", "PREF", "TRTP", "IBAN",
    "BIC", "CUR", "CREF", "OCMT", "EXCH",
)  # fmt: skip
_SLASH_FIELD = re.compile(r"/(" + "|".join(_SLASH_CODES) + r")/")
_REFERENCE_CODES = ("REMI", "EREF", "USTD", "SVWZ", "MREF", "CREF")
# German ?-style (GVC): ?20-?29 and ?60-?63 remittance, ?32-?33 the other party's name; SEPA prefixes in it.
_SEPA_LABELS = re.compile(r"(?:EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|SQTP|PURP)\+")


def _slash_fields(flat: str) -> list[tuple[str, str]]:
    """[(code, value)] in order; a value runs to the next known /CODE/ (it may itself hold slashes)."""
    marks = list(_SLASH_FIELD.finditer(flat))
    return [
        (mark.group(1), flat[mark.end() : marks[n + 1].start() if n + 1 < len(marks) else len(flat)])
        for n, mark in enumerate(marks)
    ]


def _slash_name(fields: list[tuple[str, str]]) -> str:
    """/NAME/ (alone, or inside /ORDP/ or /BENM/); else the name part of /CNTP/account/BIC/name/city/."""
    for code, value in fields:
        if code == "NAME" and value.strip(" /"):
            return value.strip(" /")
    for code, value in fields:
        if code == "CNTP":
            parts = value.split("/")
            if len(parts) >= 3 and parts[2].strip():
                return parts[2].strip()
    for code, value in fields:
        if code in ("ORDP", "ULTD") and value.strip(" /"):
            return value.strip(" /")
    return ""


def _details(text: str) -> tuple[str, str]:
    """(reference text, payer name) from a :86: field.

    Structured forms are read for the payer's name so the name-and-amount step can use it: German ``?32``/
    ``?33`` (after ``?20``-``?29`` remittance, SEPA ``EREF+``/``SVWZ+`` labels dropped), and the slash form
    (``/NAME/``, ``/ORDP//NAME/``, ``/CNTP/account/BIC/name/city/``, ``/REMI/USTD//text/``). Free text is
    all reference: which part of it is a name cannot be told.
    """
    flat = text.replace("\n", "")
    if flat[3:4] == "?" or re.match(r"^\d{3}\?", flat):
        parts = dict.fromkeys(range(100), "")
        for match in re.finditer(r"\?(\d{2})([^?]*)", flat):
            parts[int(match.group(1))] += match.group(2)
        reference = "".join(parts[key] for key in range(20, 30)) + "".join(
            parts[key] for key in range(60, 64)
        )
        reference = " ".join(
            word for word in _SEPA_LABELS.sub(" ", reference).split() if word != "NOTPROVIDED"
        )
        return reference, " ".join((parts[32] + parts[33]).split())
    fields = _slash_fields(flat)
    if fields:
        reference = " ".join(
            value.replace("USTD//", "").replace("STRD/", "").strip(" /")
            for code, value in fields
            if code in _REFERENCE_CODES and value.strip(" /") and value.strip(" /") != "NOTPROVIDED"
        )
        return " ".join(reference.split()), " ".join(_slash_name(fields).split())
    return " ".join(text.split()), ""


def parse_mt940(data: bytes) -> ParsedFile:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    fields = _logical_lines(text)
    if not any(tag == "20" for _, tag, _ in fields):
        raise MalformedFile("line 1", "no :20: transaction reference: not an MT940 statement")
    parsed = ParsedFile(format="mt940")
    statement: dict | None = None
    total = 0

    def close(where: str) -> None:
        nonlocal statement, total
        if statement is None:
            return
        if statement["closing"] is None:
            raise MalformedFile(where, "statement ends without its :62F:/:62M: closing balance (truncated?)")
        tie(f"line {statement['closing_line']} :62:", "closing balance (opening + movements)",
            statement["closing"], statement["opening"] + statement["movement"])  # fmt: skip
        total += statement["movement"]
        statement = None

    for number, tag, value in fields:
        where = f"line {number} :{tag}:"
        if tag == "-":
            close(f"line {number}")
            continue
        if tag == "20":
            close(where)
            statement = {"opening": None, "closing": None, "movement": 0, "currency": None, "account": "",
                         "closing_line": 0, "last": None}  # fmt: skip
            parsed.statement_id = parsed.statement_id or value.strip()
            continue
        if statement is None:
            raise MalformedFile(where, "field before the statement's :20:")
        if tag == "25":
            statement["account"] = value.strip()
            parsed.account = parsed.account or value.strip()
        elif tag in ("60F", "60M"):
            statement["opening"], statement["currency"], _ = _balance(value, where)
            parsed.currency = parsed.currency or statement["currency"]
            if parsed.opening_balance_minor is None:
                parsed.opening_balance_minor = statement["opening"]
        elif tag == "61":
            if statement["opening"] is None:
                raise MalformedFile(where, ":61: before the :60F: opening balance")
            first, _, extra = value.partition("\n")
            match = _LINE.match(first.strip())
            if not match:
                raise MalformedFile(where, f"{first!r} is not a statement line")
            currency = statement["currency"]
            # The optional funds code letter (often the currency's third letter, but banks vary) is read and
            # not used: the amount that follows is what moved.
            amount = decimal_to_minor(match["amount"], currency, where, comma=True)
            value_on = parse_date(match["value"], "%y%m%d", where)
            booked_on = value_on
            if match["entry"]:
                month, day = int(match["entry"][:2]), int(match["entry"][2:])
                year = value_on.year
                if month == 12 and value_on.month == 1:
                    year -= 1
                elif month == 1 and value_on.month == 12:
                    year += 1
                try:
                    booked_on = date(year, month, day)
                except ValueError as error:
                    raise MalformedFile(where, f"entry date {match['entry']!r} is not a date") from error
            mark = match["mark"]
            is_credit = mark in ("C", "RD", "EC")  # a reversal of a debit is money in
            signed = amount if is_credit else -amount
            statement["movement"] += signed
            customer = (match["customer"] or "").strip()
            parsed.lines.append(
                ParsedLine(
                    line_no=len(parsed.lines) + 1,
                    booked_on=booked_on,
                    amount_minor=signed,
                    currency=currency,
                    account=statement["account"],
                    reference="" if customer == "NONREF" else customer,
                    bank_reference=(match["bank"] or "").strip()
                    + (" " + extra.strip() if extra.strip() else ""),
                    is_return=mark in ("RC", "RD"),
                    where=where,
                )
            )
            statement["last"] = parsed.lines[-1]
        elif tag == "86":
            last = statement["last"]
            if last is not None:
                reference, payer = _details(value)
                last.reference = " ".join(part for part in (last.reference, reference) if part)
                last.payer_name = payer
                statement["last"] = None
        elif tag in ("62F", "62M"):
            statement["closing"], _, _ = _balance(value, where)
            statement["closing_line"] = number
            parsed.closing_balance_minor = statement["closing"]
        elif tag in ("28C", "28", "64", "65", "13D", "21", "34F", "90D", "90C"):
            continue
        else:
            raise MalformedFile(where, f"unknown MT940 field :{tag}:")
    close(f"line {fields[-1][0] if fields else 1}")
    parsed.control_count = len(parsed.lines)
    parsed.control_total_minor = total
    return parsed
