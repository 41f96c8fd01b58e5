"""UK Bacs ARUDD (Automated Return of Unpaid Direct Debits) XML reports, with their reason codes.

Each ReturnedDebitItem is a direct debit the payer's bank did not pay; it becomes a return line that reverses
the payment it undoes. The Totals of each originating account must tie to its items.
"""

from __future__ import annotations

from fairpath.payments.parsers.common import (
    MalformedFile,
    ParsedFile,
    ParsedLine,
    check_currency,
    decimal_to_minor,
    parse_date,
    tie,
)
from fairpath.payments.parsers.xmlsafe import parse_xml

# Bacs ARUDD return reason codes (Bacs Service User Guide).
REASON_CODES = {
    "0": "Refer to payer",
    "1": "Instruction cancelled by payer",
    "2": "Payer deceased",
    "3": "Account transferred to another bank",
    "4": "Advance notice disputed",
    "5": "No account (or wrong account type)",
    "6": "No instruction (Direct Debit Instruction not held)",
    "7": "Amount differs from advance notice",
    "8": "Amount not yet due",
    "9": "Presentation overdue",
    "A": "Service user differs",
    "B": "Account closed",
}


def parse_arudd(data: bytes) -> ParsedFile:
    root = parse_xml(data)
    report = root.find(".//ARUDD")
    if report is None:
        raise MalformedFile(root.tag, "no ARUDD element: not a Bacs returned direct debit report")
    header = report.find("Header")
    if header is None:
        raise MalformedFile("ARUDD", "Header missing")
    processed = header.get("currentProcessingDate", "")
    processed_on = parse_date(processed, "%Y-%m-%d", "ARUDD/Header/@currentProcessingDate")
    parsed = ParsedFile(format="arudd", statement_id=header.get("adviceNumber", ""))
    records = report.findall("Advice/OriginatingAccountRecords/OriginatingAccountRecord")
    if not records:
        raise MalformedFile("ARUDD/Advice", "no OriginatingAccountRecord")
    grand_total = 0
    for r_index, record in enumerate(records, start=1):
        where_r = f"OriginatingAccountRecord[{r_index}]"
        origin = record.find("OriginatingAccount")
        account = ""
        if origin is not None:
            account = f"{origin.get('sortCode', '')}{origin.get('number', '')}"
        total = 0
        items = record.findall("ReturnedDebitItem")
        for i_index, item in enumerate(items, start=1):
            where = f"{where_r}/ReturnedDebitItem[{i_index}]"
            currency = check_currency(item.get("currency", ""), f"{where}/@currency")
            amount = decimal_to_minor(item.get("valueOf", ""), currency, f"{where}/@valueOf")
            if amount <= 0:
                raise MalformedFile(f"{where}/@valueOf", "a returned debit must be more than zero")
            code = item.get("returnCode", "").strip().upper()
            if code not in REASON_CODES:
                raise MalformedFile(f"{where}/@returnCode", f"{code!r} is not a Bacs ARUDD reason code")
            original = item.get("originalProcessingDate", "")
            payer = item.find("PayerAccount")
            parsed.currency = parsed.currency or currency
            parsed.lines.append(
                ParsedLine(
                    line_no=len(parsed.lines) + 1,
                    booked_on=parse_date(original, "%Y-%m-%d", f"{where}/@originalProcessingDate")
                    if original
                    else processed_on,
                    amount_minor=-amount,
                    currency=currency,
                    account=account,
                    reference=item.get("ref", "") or (payer.get("ref", "") if payer is not None else ""),
                    payer_name=payer.get("name", "") if payer is not None else "",
                    bank_reference=f"ARUDD-{parsed.statement_id}-{r_index}-{i_index}",
                    is_return=True,
                    return_code=code,
                    return_reason=item.get("returnDescription", "") or REASON_CODES[code],
                    where=where,
                )
            )
            total += amount
        totals = record.find("Totals")
        if totals is None:
            raise MalformedFile(f"{where_r}/Totals", "totals missing")
        number = totals.get("numberOf", "")
        if not number.isdigit():
            raise MalformedFile(f"{where_r}/Totals/@numberOf", f"{number!r} is not a number")
        tie(f"{where_r}/Totals/@numberOf", "number of returned items", int(number), len(items))
        currency = check_currency(
            totals.get("currency", parsed.currency or ""), f"{where_r}/Totals/@currency"
        )
        stated = decimal_to_minor(totals.get("valueOf", ""), currency, f"{where_r}/Totals/@valueOf")
        tie(f"{where_r}/Totals/@valueOf", "value of returned items", stated, total)
        grand_total += total
    parsed.control_count = len(parsed.lines)
    parsed.control_total_minor = -grand_total
    return parsed
