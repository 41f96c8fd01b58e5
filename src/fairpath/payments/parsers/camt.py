"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), versions 02 to 10.

Each entry (Ntry) may carry several transactions (TxDtls, a batch booking): each transaction becomes a line
with its own amount, and the transactions must add up to the entry. Stated totals (TxsSummry) and balances
(opening + credits - debits = closing) must tie, or the file is refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
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
from fairpath.payments.parsers.xmlsafe import children, find_path, parse_xml, text_of


def _amount(element: ElementTree.Element | None, where: str) -> tuple[int, str]:
    if element is None or not (element.text or "").strip():
        raise MalformedFile(where, "amount missing")
    currency = check_currency(element.get("Ccy", ""), where)
    return decimal_to_minor(element.text or "", currency, where), currency


def _sign(element: ElementTree.Element, where: str) -> int:
    indicator = text_of(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise MalformedFile(f"{where}/CdtDbtInd", f"{indicator!r} is neither CRDT nor DBIT")
    return 1 if indicator == "CRDT" else -1


def _date(element: ElementTree.Element, name: str, where: str) -> date | None:
    text = text_of(element, f"{name}/Dt") or text_of(element, f"{name}/DtTm")[:10]
    return parse_date(text, "%Y-%m-%d", f"{where}/{name}") if text else None


def _party_name(details: ElementTree.Element, role: str) -> str:
    return text_of(details, f"RltdPties/{role}/Nm") or text_of(details, f"RltdPties/{role}/Pty/Nm")


def _remittance(details: ElementTree.Element) -> str:
    parts = [(node.text or "").strip() for node in children(details, "RmtInf/Ustrd")]
    parts += [(node.text or "").strip() for node in children(details, "RmtInf/Strd/CdtrRefInf/Ref")]
    return " ".join(part for part in parts if part)


def parse_camt(data: bytes, expected: str | None = None) -> ParsedFile:
    root = parse_xml(data)
    if root.tag != "Document":
        raise MalformedFile(root.tag, "the root element must be Document")
    body = root.find("BkToCstmrStmt")
    kind, container = "camt053", "Stmt"
    if body is None:
        body = root.find("BkToCstmrDbtCdtNtfctn")
        kind, container = "camt054", "Ntfctn"
    if body is None:
        raise MalformedFile(
            "Document", "neither BkToCstmrStmt (camt.053) nor BkToCstmrDbtCdtNtfctn (camt.054)"
        )
    if expected and expected != kind:
        raise MalformedFile("Document", f"this is a {kind} file, not {expected}")
    parsed = ParsedFile(format=kind)
    statements = children(body, container)
    if not statements:
        raise MalformedFile(f"Document/{body.tag}", f"no {container} element")
    count_total = 0
    net_total = 0
    for s_index, statement in enumerate(statements, start=1):
        where_s = f"{container}[{s_index}]"
        account = text_of(statement, "Acct/Id/IBAN") or text_of(statement, "Acct/Id/Othr/Id")
        if not account:
            raise MalformedFile(f"{where_s}/Acct", "account identification missing")
        statement_currency = text_of(statement, "Acct/Ccy")
        if statement_currency:
            check_currency(statement_currency, f"{where_s}/Acct/Ccy")
        parsed.statement_id = parsed.statement_id or text_of(statement, "Id")
        parsed.account = parsed.account or account
        credits = debits = 0
        entries = children(statement, "Ntry")
        for e_index, entry in enumerate(entries, start=1):
            where_e = f"{where_s}/Ntry[{e_index}]"
            amount, currency = _amount(entry.find("Amt"), f"{where_e}/Amt")
            parsed.currency = parsed.currency or currency
            sign = _sign(entry, where_e)
            credits += amount if sign > 0 else 0
            debits += amount if sign < 0 else 0
            status = text_of(entry, "Sts/Cd") or text_of(entry, "Sts")
            if status and status not in ("BOOK", "PDNG", "INFO"):
                raise MalformedFile(f"{where_e}/Sts", f"unknown entry status {status!r}")
            if status in ("PDNG", "INFO"):
                continue
            booked = _date(entry, "BookgDt", where_e) or _date(entry, "ValDt", where_e)
            if booked is None:
                raise MalformedFile(f"{where_e}/BookgDt", "booking date missing")
            is_return = text_of(entry, "RvslInd").lower() == "true"
            transactions = children(entry, "NtryDtls/TxDtls")
            if not transactions:
                transactions = [entry]
            shares: list[int] = []
            for t_index, details in enumerate(transactions, start=1):
                where_t = f"{where_e}/NtryDtls/TxDtls[{t_index}]" if details is not entry else where_e
                share = amount
                if details is not entry:
                    node = details.find("Amt")
                    if node is None:
                        node = find_path(details, "AmtDtls/TxAmt/Amt")
                    if node is not None:
                        share, _ = _amount(node, f"{where_t}/Amt")
                    elif len(transactions) > 1:
                        raise MalformedFile(f"{where_t}/Amt", "a batch entry needs an amount per transaction")
                shares.append(share)
                role = "Dbtr" if sign > 0 else "Cdtr"
                reason_code = text_of(details, "RtrInf/Rsn/Cd") or text_of(details, "RtrInf/Rsn/Prtry")
                parsed.lines.append(
                    ParsedLine(
                        line_no=len(parsed.lines) + 1,
                        booked_on=booked,
                        amount_minor=share * sign,
                        currency=currency,
                        account=account,
                        reference=_remittance(details) or text_of(details, "Refs/EndToEndId"),
                        payer_name=_party_name(details, role),
                        bank_reference=text_of(details, "Refs/AcctSvcrRef") or text_of(entry, "AcctSvcrRef"),
                        is_return=is_return or bool(reason_code),
                        return_code=reason_code,
                        return_reason=text_of(details, "RtrInf/AddtlInf"),
                        where=where_t,
                    )
                )
            if len(shares) > 1:
                tie(f"{where_e}/NtryDtls", "entry amount against its transactions", amount, sum(shares))
        count_total += len(entries)
        net_total += credits - debits
        _check_summary(statement, where_s, len(entries), credits, debits, parsed.currency or "GBP")
        if container == "Stmt":
            _check_balances(statement, where_s, credits - debits, parsed)
    parsed.control_count = count_total
    parsed.control_total_minor = net_total
    return parsed


def _check_summary(
    statement: ElementTree.Element, where: str, count: int, credits: int, debits: int, entry_currency: str
) -> None:
    summary = statement.find("TxsSummry")
    if summary is None:
        return
    for path, stated_count, total in (
        ("TtlNtries", count, None),
        ("TtlCdtNtries", None, credits),
        ("TtlDbtNtries", None, debits),
    ):
        node = summary.find(path)
        if node is None:
            continue
        number = text_of(node, "NbOfNtries")
        if number and stated_count is not None:
            tie(f"{where}/TxsSummry/{path}/NbOfNtries", "number of entries", int(number), stated_count)
        total_text = text_of(node, "Sum")
        if total_text and total is not None:
            currency = check_currency(text_of(statement, "Acct/Ccy") or entry_currency, f"{where}/Acct/Ccy")
            stated = decimal_to_minor(total_text, currency, f"{where}/TxsSummry/{path}/Sum")
            tie(f"{where}/TxsSummry/{path}/Sum", "sum of entries", stated, total)
    number = text_of(summary, "TtlNtries/NbOfNtries")
    if number and not number.isdigit():
        raise MalformedFile(f"{where}/TxsSummry/TtlNtries/NbOfNtries", f"{number!r} is not a number")


def _check_balances(statement: ElementTree.Element, where: str, movement: int, parsed: ParsedFile) -> None:
    balances: dict[str, int] = {}
    for index, balance in enumerate(children(statement, "Bal"), start=1):
        code = text_of(balance, "Tp/CdOrPrtry/Cd")
        amount, _ = _amount(balance.find("Amt"), f"{where}/Bal[{index}]/Amt")
        balances[code] = amount * _sign(balance, f"{where}/Bal[{index}]")
    opening = balances.get("OPBD", balances.get("PRCD"))
    closing = balances.get("CLBD")
    if opening is not None and closing is not None:
        tie(f"{where}/Bal", "closing balance (opening + credits - debits)", closing, opening + movement)
    parsed.opening_balance_minor = (
        opening if parsed.opening_balance_minor is None else parsed.opening_balance_minor
    )
    parsed.closing_balance_minor = closing
