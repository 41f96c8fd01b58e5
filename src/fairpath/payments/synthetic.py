"""Realistic synthetic statements for a generated portfolio, with noise and a ground truth, so matching
quality is measured rather than guessed.

Noise (shares of lines, reproducible from the seed): mistyped references (spacing, punctuation, O/0 and
similar confusions, transposed digits), names written differently (initials, surname first, titles),
payments split in two, one payment for several agreements of one customer, payments from third parties,
payments with no reference, and unknown payers. The ground truth CSV is ``line_id,agreement_reference``:
line_id is the line's number as the parser reads it, the reference is empty where the payer is unknown, and
a payment for several agreements lists them separated by ``;``.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.utils import timezone

from fairpath.accounts.models import Agreement, Customer, LedgerEntry
from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.core.money import MINOR_UNITS

EXTENSIONS = {"camt053": "xml", "camt054": "xml", "bai2": "bai", "mt940": "sta", "csv": "csv", "arudd": "xml"}
CSV_COLUMNS = {"date": "Date", "amount": "Amount", "reference": "Reference", "payer": "Payer",
               "bank_reference": "Transaction ID"}  # fmt: skip
SYNTHETIC_MAPPING = "synthetic"
THIRD_PARTY_NAMES = ["STEPCHANGE DEBT CHARITY", "PAYPLAN", "A RELATIVE", "J BLOGGS", "CITIZENS ADVICE TRUST"]
UNKNOWN_NAMES = ["ACME TRADING LTD", "K PATEL", "HMRC REFUND", "R GREEN", "PARKING SERVICES", "S O'NEILL"]
CONFUSE = {"0": "O", "1": "I", "5": "S", "8": "B"}

# (kind, share) — the rest are clean.
NOISE = [
    ("confused", 0.03),
    ("spaced", 0.02),
    ("transposed", 0.015),
    ("name_only", 0.01),
    ("split", 0.015),
    ("combined", 0.01),
    ("third_party", 0.02),
    ("customer_ref", 0.005),
    ("unknown", 0.02),
]


@dataclass
class SyntheticLine:
    booked_on: date
    amount_minor: int
    reference: str
    payer: str
    truth: list[str]
    bank_reference: str


@dataclass(frozen=True)
class StatementFiles:
    statement: Path
    truth: Path
    lines: int
    format: str


def _name_variant(first: str, last: str, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.4:
        return f"{first} {last}".upper()
    if choice < 0.6:
        return f"{first[0]} {last}".upper()
    if choice < 0.75:
        return f"{last} {first[0]}".upper()
    if choice < 0.9:
        return f"{rng.choice(['MR', 'MRS', 'MS', 'DR'])} {first} {last}"
    return f"{first} {last}"


def _transpose(reference: str, rng: random.Random) -> str:
    positions = [i for i in range(len(reference) - 1) if reference[i].isdigit() and reference[i + 1].isdigit()
                 and reference[i] != reference[i + 1]]  # fmt: skip
    if not positions:
        return reference
    i = rng.choice(positions)
    return reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]


def _confuse(reference: str, rng: random.Random) -> str:
    positions = [i for i, character in enumerate(reference) if character in CONFUSE]
    if not positions:
        return reference.lower()
    i = rng.choice(positions)
    return reference[:i] + CONFUSE[reference[i]] + reference[i + 1 :]


def _space(reference: str, rng: random.Random) -> str:
    middle = len(reference) // 2
    return rng.choice([f"{reference[:3]} {reference[3:]}", f"{reference[:middle]}-{reference[middle:]}",
                       f"REF: {reference.lower()}", f"{reference[:3]}.{reference[3:]}"])  # fmt: skip


def build_lines(
    client: Client, *, lines: int, seed: int, booked_on: date | None = None
) -> tuple[list[SyntheticLine], str]:
    """The lines of a statement for ``client``'s live agreements in its main currency."""
    rng = random.Random(seed)
    booked_on = booked_on or timezone.localdate()
    rows = list(
        Agreement.objects.filter(client=client)
        .exclude(status__in=("settled", "closed", "written_off"))
        .values_list("reference", "customer_id", "instalment_minor", "currency")
        .order_by("id")
    )
    if not rows:
        raise InvalidInput(f"Client {client.code} has no live agreements to pay", field="client")
    currencies: dict[str, int] = defaultdict(int)
    for row in rows:
        currencies[row[3]] += 1
    currency = max(currencies, key=lambda code: currencies[code])
    rows = [row for row in rows if row[3] == currency]
    customers = {
        pk: (first, last, reference)
        for pk, first, last, reference in Customer.objects.filter(client=client).values_list(
            "id", "first_name", "last_name", "reference"
        )
    }
    by_customer: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_customer[row[1]].append(row)
    several = [agreements for agreements in by_customer.values() if len(agreements) > 1]
    output: list[SyntheticLine] = []
    counter = 0

    def add(amount: int, reference: str, payer: str, truth: list[str]) -> None:
        nonlocal counter
        counter += 1
        output.append(
            SyntheticLine(booked_on, max(amount, 1), reference, payer, truth, f"TRN{seed:03d}{counter:08d}")
        )

    while len(output) < lines:
        reference, customer_id, instalment, _ = rng.choice(rows)
        first, last, customer_reference = customers[customer_id]
        payer = _name_variant(first, last, rng)
        amount = instalment if rng.random() < 0.85 else rng.randint(100, max(instalment, 200))
        roll, kind = rng.random(), "clean"
        for name, share in NOISE:
            if roll < share:
                kind = name
                break
            roll -= share
        if kind == "confused":
            add(amount, _confuse(reference, rng), payer, [reference])
        elif kind == "spaced":
            add(amount, _space(reference, rng), payer, [reference])
        elif kind == "transposed":
            add(instalment, _transpose(reference, rng), payer, [reference])
        elif kind == "name_only":
            add(
                instalment,
                rng.choice(["MONTHLY PAYMENT", "PAYMENT", "LOAN", ""]),
                f"{first} {last}".upper(),
                [reference],
            )
        elif kind == "split" and len(output) + 2 <= lines:
            part = max(amount // 2, 1)
            add(part, reference, payer, [reference])
            add(max(amount - part, 1), reference, payer, [reference])
        elif kind == "combined" and several:
            agreements = rng.choice(several)[:2]
            owner = customers[agreements[0][1]]
            add(sum(a[2] for a in agreements), " ".join(a[0] for a in agreements), f"{owner[0]} {owner[1]}".upper(),
                [a[0] for a in agreements])  # fmt: skip
        elif kind == "third_party":
            add(amount, reference, rng.choice(THIRD_PARTY_NAMES), [reference])
        elif kind == "customer_ref" and len(by_customer[customer_id]) == 1:
            add(amount, customer_reference, payer, [reference])
        elif kind == "unknown":
            add(rng.randint(500, 50_000), rng.choice(["GIFT", "INV 4471", "RENT", "", "REFUND"]),
                rng.choice(UNKNOWN_NAMES), [])  # fmt: skip
        else:
            add(amount, reference, payer, [reference])
    return output[:lines], currency


def currency_of(client: Client) -> str:
    """The currency most of the client's agreements are in."""
    counts: dict[str, int] = defaultdict(int)
    for currency in Agreement.objects.filter(client=client).values_list("currency", flat=True):
        counts[currency] += 1
    return max(counts, key=lambda code: counts[code]) if counts else client.base_currency


def _money(minor: int, currency: str, comma: bool = False) -> str:
    places = MINOR_UNITS[currency]
    text = f"{minor / 10**places:.{places}f}" if places else str(minor)
    return text.replace(".", ",") if comma else text


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _mt940_details(index: int, line: SyntheticLine) -> str:
    """The :86: field in the shapes banks use, in turn: SWIFT /EREF/../NAME/, German ?20/?32 subfields,
    ING /CNTP/account/BIC/name/city/ with /REMI/USTD//, and free text (whose name cannot be read)."""
    reference = line.reference.replace("?", " ").replace("/", " ")
    payer = line.payer.replace("?", " ").replace("/", " ")
    style = index % 4
    if style == 0:
        return f":86:/EREF/{reference}/NAME/{payer}"
    if style == 1:
        return (f":86:166?00GUTSCHRIFT?20{reference[:27]}?21{reference[27:54]}?32{payer[:27]}"
                f"?33{payer[27:54]}")  # fmt: skip
    if style == 2:
        return f":86:/CNTP/GB33SYNT20000012345678/SYNTGB2L/{payer}/LONDON//REMI/USTD//{reference}/"
    return f":86:{line.payer}\n{line.reference}"


def render(fmt: str, lines: list[SyntheticLine], currency: str, *, seed: int) -> bytes:
    total = sum(line.amount_minor for line in lines)
    day = lines[0].booked_on
    if fmt in ("camt053", "camt054"):
        entries = "".join(
            f'<Ntry><Amt Ccy="{currency}">{_money(line.amount_minor, currency)}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{line.booked_on.isoformat()}</Dt></BookgDt>"
            f"<AcctSvcrRef>{line.bank_reference}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED"
            f"</EndToEndId></Refs><RltdPties><Dbtr><Nm>{_xml(line.payer)}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>"
            f"{_xml(line.reference)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
            for line in lines
        )
        if fmt == "camt053":
            opening = 1_000_000
            body = (
                f"<BkToCstmrStmt><GrpHdr><MsgId>SYN-{seed}</MsgId></GrpHdr><Stmt><Id>SYN-{seed}</Id>"
                f"<Acct><Id><IBAN>GB33SYNT20000012345678</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
                f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{_money(opening, currency)}'
                f"</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>"
                f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">'
                f"{_money(opening + total, currency)}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>"
                f"<TxsSummry><TtlNtries><NbOfNtries>{len(lines)}</NbOfNtries></TtlNtries><TtlCdtNtries><NbOfNtries>"
                f"{len(lines)}</NbOfNtries><Sum>{_money(total, currency)}</Sum></TtlCdtNtries></TxsSummry>\n"
                f"{entries}</Stmt></BkToCstmrStmt>"
            )
            namespace = "camt.053.001.08"
        else:
            body = (
                f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>SYN-{seed}</MsgId></GrpHdr><Ntfctn><Id>SYN-{seed}</Id>"
                f"<Acct><Id><Othr><Id>12345678</Id></Othr></Id></Acct>\n{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn>"
            )
            namespace = "camt.054.001.08"
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
                f'{namespace}">{body}</Document>\n').encode()  # fmt: skip
    if fmt == "bai2":
        stamp = day.strftime("%y%m%d")
        records = [f"01,SYNBANK,FAIRPATH,{stamp},0600,SYN{seed},,,2/", f"02,FAIRPATH,SYNBANK,1,{stamp},0600,{currency},2/",
                   f"03,12345678,{currency},015,{total},,/"]  # fmt: skip
        for line in lines:
            text = f"ORIGINATOR: {line.payer.replace(',', ' ')} REF {line.reference.replace(',', ' ')}"
            cut = text.rfind(" ", 0, 40) if len(text) > 40 else len(text)
            records.append(f"16,165,{line.amount_minor},0,{line.bank_reference},,{text[:cut]}")
            if text[cut:].strip():
                records.append(f"88,{text[cut:].strip()}")
        account_records = len(records) - 2 + 1
        records.append(f"49,{total * 2},{account_records}/")
        group_records = account_records + 2
        records.append(f"98,{total * 2},1,{group_records}/")
        records.append(f"99,{total * 2},1,{group_records + 2}/")
        return ("\n".join(records) + "\n").encode("ascii", "replace")
    if fmt == "mt940":
        stamp = day.strftime("%y%m%d")
        opening = 1_000_000
        out = [
            f":20:SYN{seed}",
            ":25:GB33SYNT20000012345678",
            ":28C:1/1",
            f":60F:C{stamp}{currency}{_money(opening, currency, True)}",
        ]
        for index, line in enumerate(lines):
            entry = day.strftime("%m%d") if index % 2 else ""
            reference = "NONREF" if index % 3 == 0 else (line.reference.replace(" ", "")[:16] or "NONREF")
            out.append(
                f":61:{stamp}{entry}C{_money(line.amount_minor, currency, True)}NTRF{reference}//{line.bank_reference[:16]}"
            )
            out.append(_mt940_details(index, line))
        out.append(f":62F:C{stamp}{currency}{_money(opening + total, currency, True)}")
        out.append("-")
        return ("\n".join(out) + "\n").encode()
    if fmt == "csv":
        rows = [[CSV_COLUMNS["date"], CSV_COLUMNS["amount"], CSV_COLUMNS["reference"], CSV_COLUMNS["payer"],
                 CSV_COLUMNS["bank_reference"]]]  # fmt: skip
        rows += [[line.booked_on.isoformat(), _money(line.amount_minor, currency), line.reference, line.payer,
                  line.bank_reference] for line in lines]  # fmt: skip
        import io

        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode()
    raise InvalidInput(f"{fmt!r} is not a statement format the generator writes", field="format")


def _arudd_lines(client: Client, *, lines: int, seed: int) -> tuple[list[SyntheticLine], str]:
    """Returns of real payments on the ledger (each reverses one), plus a few with no payment behind them."""
    rng = random.Random(seed)
    payments = list(
        LedgerEntry.objects.filter(client=client, kind="payment", currency="GBP")
        .order_by("-posted_on", "-id")
        .values_list("agreement__reference", "amount_minor", "posted_on")[: lines * 3]
    )
    if not payments:
        raise InvalidInput(f"Client {client.code} has no GBP payments to return", field="client")
    chosen = rng.sample(payments, min(lines, len(payments)))
    out = [SyntheticLine(posted_on, -amount, reference, "PAYER", [reference], "")
           for reference, amount, posted_on in chosen]  # fmt: skip
    return out, "GBP"


def _render_arudd(lines: list[SyntheticLine], *, seed: int) -> bytes:
    codes = ["0", "1", "2", "3", "5", "6", "B"]
    rng = random.Random(seed)
    items = "".join(
        f'<ReturnedDebitItem ref="{line.reference}" transCode="17" returnCode="{rng.choice(codes)}" '
        f'originalProcessingDate="{line.booked_on.isoformat()}" valueOf="{_money(line.amount_minor, "GBP")}" '
        f'currency="GBP"><PayerAccount name="{line.payer}" ref="{line.reference}"/></ReturnedDebitItem>\n'
        for line in lines
    )
    total = sum(line.amount_minor for line in lines)
    return (
        f'<?xml version="1.0"?><BACSDocument><Data><ARUDD><Header reportType="REFT1027" adviceNumber="{seed}" '
        f'currentProcessingDate="{timezone.localdate().isoformat()}"/><Advice><OriginatingAccountRecords>'
        f'<OriginatingAccountRecord>{items}<Totals numberOf="{len(lines)}" valueOf="{_money(total, "GBP")}" '
        f'currency="GBP"/></OriginatingAccountRecord></OriginatingAccountRecords></Advice></ARUDD></Data></BACSDocument>'
    ).encode()


def write_statements(
    directory: str | Path, *, client: Client, fmt: str, lines: int, seed: int, booked_on: date | None = None
) -> StatementFiles:
    """Write ``statement-<seed>.<ext>`` and ``statement-<seed>-truth.csv`` into ``directory``."""
    if lines < 1:
        raise InvalidInput("Write at least one line", field="lines")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        from fairpath.governance.audit import SystemActor
        from fairpath.payments.actions import save_mapping

        save_mapping(client=client, name=SYNTHETIC_MAPPING, columns=CSV_COLUMNS, actor=SystemActor("generator"),
                     currency=currency_of(client))  # fmt: skip
    if fmt == "arudd":
        built, _ = _arudd_lines(client, lines=lines, seed=seed)
        data = _render_arudd(built, seed=seed)
    else:
        built, currency = build_lines(client, lines=lines, seed=seed, booked_on=booked_on)
        data = render(fmt, built, currency, seed=seed)
    statement = folder / f"statement-{client.code}-{fmt}-{seed}.{EXTENSIONS[fmt]}"
    statement.write_bytes(data)
    truth = folder / f"statement-{client.code}-{fmt}-{seed}-truth.csv"
    with truth.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line_id", "agreement_reference"])
        for number, line in enumerate(built, start=1):
            writer.writerow([number, ";".join(line.truth)])
    return StatementFiles(statement, truth, len(built), fmt)


def read_truth(path: str | Path) -> dict[int, set[str]]:
    with Path(path).open(newline="") as handle:
        return {int(row["line_id"]): {ref for ref in row["agreement_reference"].split(";") if ref}
                for row in csv.DictReader(handle)}  # fmt: skip


def evaluate(file_id: int, truth: dict[int, set[str]]) -> dict[str, Any]:
    """Auto-match rate (posted lines / lines whose payer is known) and false matches (posted or suggested
    to an agreement the truth does not name) for one imported file."""
    from fairpath.payments.models import Match, StatementLine

    matched: dict[int, set[str]] = defaultdict(set)
    status_of: dict[int, str] = {}
    for line_no, status in StatementLine.objects.filter(file_id=file_id).values_list("line_no", "status"):
        status_of[line_no] = status
    for line_no, reference in (
        Match.objects.filter(line__file_id=file_id)
        .exclude(status="rejected")
        .values_list("line__line_no", "agreement__reference")
    ):
        matched[line_no].add(reference)
    known = [line for line, refs in truth.items() if refs]
    posted = [line for line in truth if status_of.get(line) == "posted"]
    false_posts = [line for line in posted if not matched[line] <= truth[line] or not truth[line]]
    suggested = [line for line in truth if status_of.get(line) == "suggested"]
    false_suggestions = [line for line in suggested if not matched[line] <= truth[line] or not truth[line]]
    return {
        "lines": len(truth),
        "known_payers": len(known),
        "auto_posted": len(posted),
        "auto_match_rate": round(len([line for line in posted if truth[line]]) / len(known), 4)
        if known
        else None,
        "false_auto_posts": len(false_posts),
        "false_match_rate": round(len(false_posts) / len(posted), 5) if posted else 0.0,
        "suggested": len(suggested),
        "false_suggestions": len(false_suggestions),
        "suspense": sum(1 for line in truth if status_of.get(line) == "suspense"),
    }
