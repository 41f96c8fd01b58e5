"""BAI2 (Cash Management Balance Reporting Specification, version 2), strictly.

Records 01 file header, 02 group header, 03 account identifier (with summaries), 16 transaction detail,
88 continuation, 49 account trailer, 98 group trailer, 99 file trailer. An 88 continues the record before
it: more fields for an 03, more text for a 16. Control totals tie at every level: an account's (sum of every
amount in its 03 and 16 records), a group's (sum of its accounts), the file's (sum of its groups), and the
record counts stated in 49, 98 and 99.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpath.payments.parsers.common import (
    MalformedFile,
    ParsedFile,
    ParsedLine,
    check_currency,
    parse_date,
    tie,
)


@dataclass
class _Record:
    code: str
    fields: list[str]
    line: int
    physical: int  # records it spans (itself and its 88s)
    text: str = ""


def _split(raw: str) -> list[str]:
    body = raw.rstrip()
    if body.endswith("/"):
        body = body[:-1]
    return body.split(",")


def _records(data: bytes) -> list[_Record]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise MalformedFile("file", "BAI2 files are ASCII text") from error
    records: list[_Record] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        code = raw[:2]
        if code == "88":
            if not records:
                raise MalformedFile(f"line {number}", "an 88 continuation with no record before it")
            previous = records[-1]
            rest = raw[3:] if raw[2:3] == "," else raw[2:]
            if previous.code == "16":
                piece = rest.rstrip()
                previous.text = (previous.text + " " + (piece[:-1] if piece.endswith("/") else piece)).strip()
            else:
                previous.fields += _split(rest)
            previous.physical += 1
            continue
        if code not in ("01", "02", "03", "16", "49", "98", "99"):
            raise MalformedFile(f"line {number}", f"unknown record type {code!r}")
        if code == "16":
            parts = raw.split(",", 6)
            if len(parts) < 6:
                raise MalformedFile(
                    f"line {number}", "a 16 record needs type, amount, funds type and references"
                )
            records.append(_Record(code, parts[:6], number, 1))
            if len(parts) == 7:
                tail = parts[6].rstrip()
                records[-1].text = tail[:-1] if tail.endswith("/") else tail
            else:
                records[-1].fields[-1] = records[-1].fields[-1].rstrip().rstrip("/")
        else:
            records.append(_Record(code, _split(raw), number, 1))
    return records


def _int(value: str, where: str, label: str, *, signed: bool = False) -> int:
    text = value.strip()
    body = text[1:] if signed and text[:1] in "+-" else text
    if not body.isdigit():
        raise MalformedFile(where, f"{label} {value!r} is not a whole number")
    return -int(body) if text.startswith("-") else int(body)


def _funds_fields(fields: list[str], start: int, where: str) -> int:
    """Skip a funds type and its extra fields; return the index after them."""
    funds = fields[start].strip().upper() if start < len(fields) else ""
    if funds in ("", "0", "1", "2", "Z"):
        return start + 1
    if funds == "S":
        return start + 4
    if funds == "V":
        return start + 3
    if funds == "D":
        count = _int(fields[start + 1] if start + 1 < len(fields) else "", where, "distribution count")
        return start + 2 + 2 * count
    raise MalformedFile(where, f"unknown funds type {funds!r}")


def parse_bai2(data: bytes) -> ParsedFile:
    records = _records(data)
    if not records or records[0].code != "01":
        raise MalformedFile("line 1", "a BAI2 file starts with an 01 file header")
    if records[-1].code != "99":
        raise MalformedFile(f"line {records[-1].line}", "the file ends without its 99 trailer (truncated?)")
    parsed = ParsedFile(
        format="bai2", statement_id=records[0].fields[4] if len(records[0].fields) > 4 else ""
    )
    file_total = file_groups = 0
    file_records = 1
    group: dict | None = None
    account: dict | None = None
    for record in records[1:]:
        where = f"line {record.line}"
        f = record.fields
        file_records += record.physical
        if record.code == "02":
            if group is not None:
                raise MalformedFile(where, "a group header inside an open group (98 missing)")
            if len(f) < 5:
                raise MalformedFile(where, "an 02 record needs receiver, originator, status and as-of date")
            currency = check_currency(f[6] if len(f) > 6 and f[6].strip() else "USD", f"{where} currency")
            group = {"as_of": parse_date(f[4], "%y%m%d", f"{where} as-of date"), "currency": currency,
                     "total": 0, "accounts": 0, "records": record.physical}  # fmt: skip
        elif record.code == "03":
            if group is None or account is not None:
                raise MalformedFile(where, "an 03 account record outside a group, or inside an open account")
            currency = (
                check_currency(f[2], f"{where} currency")
                if len(f) > 2 and f[2].strip()
                else group["currency"]
            )
            total = 0
            index = 3
            while index < len(f) and f[index].strip():
                if index + 1 < len(f) and f[index + 1].strip():
                    total += _int(f[index + 1], where, "summary amount", signed=True)
                index = _funds_fields(f, index + 3, where)
            account = {
                "number": f[1].strip(),
                "currency": currency,
                "total": total,
                "records": record.physical,
            }
            group["records"] += record.physical
        elif record.code == "16":
            if account is None or group is None:
                raise MalformedFile(where, "a 16 transaction outside an account")
            type_code = _int(f[1], where, "type code")
            amount = _int(f[2], where, "amount")
            extra = _funds_fields(f + record.text.split(","), 3, where)
            if extra > 4:
                # Funds types S, V and D carry extra fields that shift the references into the text.
                spill = (f[4:] + record.text.split(","))[extra - 4 :]
                bank_ref, customer_ref, text = (
                    (spill + ["", ""])[0],
                    (spill + ["", ""])[1],
                    ",".join(spill[2:]),
                )
            else:
                bank_ref, customer_ref, text = f[4], f[5], record.text
            account["total"] += amount
            account["records"] += record.physical
            group["records"] += record.physical
            if not 100 <= type_code <= 699:
                continue  # 7xx-9xx: loan and custom codes are not money movements we reconcile
            sign = 1 if type_code < 400 else -1
            parsed.lines.append(
                ParsedLine(
                    line_no=len(parsed.lines) + 1,
                    booked_on=group["as_of"],
                    amount_minor=sign * amount,
                    currency=account["currency"],
                    account=account["number"],
                    reference=(customer_ref.strip() + " " + text.strip()).strip(),
                    payer_name=_payer(text),
                    bank_reference=bank_ref.strip(),
                    is_return=type_code in (555, 556, 557, 558, 564, 565),
                    return_code=str(type_code) if type_code in (555, 556, 557, 558, 564, 565) else "",
                    where=where,
                )
            )
            parsed.currency = parsed.currency or account["currency"]
            parsed.account = parsed.account or account["number"]
        elif record.code == "49":
            if account is None or group is None:
                raise MalformedFile(where, "an 49 trailer with no open account")
            account["records"] += record.physical
            tie(f"{where} account control total", "account control total", _int(f[1], where, "total", signed=True),
                account["total"])  # fmt: skip
            tie(
                f"{where} number of records",
                "account records",
                _int(f[2], where, "count"),
                account["records"],
            )
            group["total"] += account["total"]
            group["accounts"] += 1
            group["records"] += record.physical
            account = None
        elif record.code == "98":
            if group is None or account is not None:
                raise MalformedFile(
                    where, "a 98 trailer with no open group, or with an open account (49 missing)"
                )
            group["records"] += record.physical
            tie(f"{where} group control total", "group control total", _int(f[1], where, "total", signed=True),
                group["total"])  # fmt: skip
            tie(
                f"{where} number of accounts",
                "accounts in group",
                _int(f[2], where, "count"),
                group["accounts"],
            )
            tie(f"{where} number of records", "group records", _int(f[3], where, "count"), group["records"])
            file_total += group["total"]
            file_groups += 1
            group = None
        elif record.code == "99":
            if group is not None:
                raise MalformedFile(where, "the file trailer comes before the group's 98 trailer")
            tie(f"{where} file control total", "file control total", _int(f[1], where, "total", signed=True),
                file_total)  # fmt: skip
            tie(f"{where} number of groups", "groups in file", _int(f[2], where, "count"), file_groups)
            tie(f"{where} number of records", "file records", _int(f[3], where, "count"), file_records)
            parsed.control_total_minor = file_total
        elif record.code == "01":
            raise MalformedFile(where, "a second 01 file header")
    parsed.control_count = len(parsed.lines)
    return parsed


def _payer(text: str) -> str:
    """Banks put the originator in the text as 'ORIG NAME X' or 'FROM: X' or 'ORIGINATOR: X'."""
    upper = text.upper()
    for marker in ("ORIGINATOR NAME:", "ORIGINATOR:", "ORIG NAME", "FROM:", "ORIG:"):
        position = upper.find(marker)
        if position >= 0:
            rest = text[position + len(marker) :].strip(" :")
            for stop in (" REF", " ID:", " TRN", "/", ";"):
                cut = rest.upper().find(stop)
                if cut > 0:
                    rest = rest[:cut]
            return rest.strip()
    return ""
