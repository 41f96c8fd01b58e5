"""Payment files built through the real import action."""

from __future__ import annotations

from typing import Any

from fairpath.clients.models import Client
from fairpath.payments import actions
from fairpath.payments.models import StatementLine
from tests.factories import SETUP


def camt054(lines: list[tuple[str, str, str]], *, day: str = "2026-12-07", currency: str = "GBP") -> bytes:
    """A camt.054 notification with one credit per (amount, reference, payer name)."""
    entries = "".join(
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>R{index:05d}</AcctSvcrRef><NtryDtls><TxDtls>"
        f"<RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{reference}</Ustrd></RmtInf>"
        f"</TxDtls></NtryDtls></Ntry>"
        for index, (amount, reference, payer) in enumerate(lines, start=1)
    )
    return (
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>T</MsgId></GrpHdr><Ntfctn><Id>T</Id>"
        f"<Acct><Id><Othr><Id>12345678</Id></Othr></Id></Acct>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def arudd(items: list[tuple[str, str, str]], *, processed: str = "2026-12-08") -> bytes:
    """An ARUDD report with one returned debit per (amount, reference, reason code)."""
    body = "".join(
        f'<ReturnedDebitItem ref="{reference}" transCode="17" returnCode="{code}" originalProcessingDate="2026-12-07"'
        f' valueOf="{amount}" currency="GBP"><PayerAccount name="PAYER" ref="{reference}"/></ReturnedDebitItem>'
        for amount, reference, code in items
    )
    total = sum(int(amount.replace(".", "")) for amount, _, _ in items)
    return (
        f'<?xml version="1.0"?><BACSDocument><Data><ARUDD><Header reportType="REFT1027" adviceNumber="9"'
        f' currentProcessingDate="{processed}"/><Advice><OriginatingAccountRecords><OriginatingAccountRecord>'
        f'{body}<Totals numberOf="{len(items)}" valueOf="{total / 100:.2f}" currency="GBP"/>'
        "</OriginatingAccountRecord></OriginatingAccountRecords></Advice></ARUDD></Data></BACSDocument>"
    ).encode()


def import_lines(client: Client, lines: list[tuple[str, str, str]], **options: Any) -> actions.ImportSummary:
    return actions.import_file(client=client, data=camt054(lines), name="test.xml", actor=SETUP, **options)


def make_suspense_line(client: Client) -> StatementLine:
    summary = import_lines(client, [("12.34", "NO REFERENCE HERE", "NOBODY KNOWN")])
    return StatementLine.objects.get(file_id=summary.file_id)


def permission_matrix_samples(client: Client) -> dict[str, Any]:
    """Objects of ``client`` for tests/test_permission_matrix.py, one per URL argument of the payments pages."""
    line = make_suspense_line(client)
    mapping = actions.save_mapping(
        client=client,
        name="matrix",
        columns={"date": "Date", "amount": "Amount", "reference": "Ref"},
        actor=SETUP,
    )
    return {"line_id": lambda: line.pk, "file_id": lambda: line.file_id, "mapping_id": lambda: mapping.pk}
