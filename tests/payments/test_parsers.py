"""Each format's real-shaped sample parses to the right lines; malformed files are refused naming where."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fairpath.payments.parsers import ColumnMapping, MalformedFile, TotalsDoNotTie, UnknownCurrency, parse

SAMPLES = Path(__file__).parent / "samples"
CSV_MAPPING = ColumnMapping(
    columns={"date": "Posted", "amount": "Amount", "reference": "Description", "payer": "Counterparty",
             "bank_reference": "Ref"},
    date_format="%d/%m/%Y",
)  # fmt: skip


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("camt053.xml", "camt053"), ("camt054.xml", "camt054"), ("bai2.txt", "bai2"), ("mt940.txt", "mt940"),
     ("arudd.xml", "arudd")],
)  # fmt: skip
def test_format_is_detected(name, fmt):
    assert parse(sample(name)).format == fmt


def test_camt053_batch_entry_becomes_one_line_per_transaction():
    parsed = parse(sample("camt053.xml"))
    assert [(line.amount_minor, line.reference, line.payer_name) for line in parsed.lines] == [
        (10_000, "AG00000001", "JOHN SMITH"),
        (10_050, "AG 0000 0002", "Mary Jones"),
        (5_000, "INVOICE 77", "Unknown Payer Ltd"),
        (-1_500, "ACCOUNT FEE", ""),
    ]
    assert parsed.opening_balance_minor == 100_000 and parsed.closing_balance_minor == 123_550


def test_camt054_reads_end_to_end_id_when_no_remittance():
    (line,) = parse(sample("camt054.xml")).lines
    assert (line.reference, line.payer_name, line.amount_minor, line.account) == ("AG00000003", "P BROWN", 7_525,
                                                                                  "12345678")  # fmt: skip


def test_bai2_continuation_records_and_funds_types():
    parsed = parse(sample("bai2.txt"))
    assert [line.amount_minor for line in parsed.lines] == [10_000, 25_050, -1_500, 1_500]
    # The 88 continuation carries the reference and the payer of the 16 before it (funds type V shifts fields).
    assert "AG00000002" in parsed.lines[1].reference and parsed.lines[1].payer_name == "MARY JONES"
    assert parsed.lines[1].bank_reference == "BR0002"
    # Funds type S: three availability fields before the references; the 88 continues the text.
    assert parsed.lines[3].bank_reference == "BR0004" and parsed.lines[3].reference.endswith(
        "REF AG 00000003"
    )
    assert parsed.lines[0].currency == "USD" and parsed.lines[0].booked_on == date(2026, 12, 7)


def test_mt940_line_variants():
    lines = parse(sample("mt940.txt")).lines
    # With entry date and a funds code letter, //bank reference, structured /EREF/ /NAME/ details.
    assert (lines[0].amount_minor, lines[0].payer_name, lines[0].bank_reference) == (
        10_000,
        "JOHN SMITH",
        "BR0001",
    )
    # Without entry date, NONREF, supplementary details on the next line, multi-line :86:.
    assert (
        lines[1].amount_minor == 15_050
        and "AG 0000 0002" in lines[1].reference
        and "INSTALMENT" in lines[1].reference
    )
    assert lines[2].amount_minor == -1_500
    # Entry date differs from the value date; German ?20 structured :86:.
    assert lines[3].booked_on == date(2026, 12, 8) and lines[3].payer_name == "BROWN P"
    assert lines[3].reference.startswith("AG00000003")


def test_mt940_entry_date_across_the_year_end():
    text = ":20:X\n:25:ACC\n:60F:C261231GBP0,00\n:61:2612310102C10,00NTRFREF1\n:62F:C261231GBP10,00\n-\n"
    (line,) = parse(text.encode()).lines
    assert line.booked_on == date(2027, 1, 2)


def test_arudd_return_with_reason_code():
    (line,) = parse(sample("arudd.xml")).lines
    assert line.is_return and line.return_code == "0" and line.amount_minor == -10_000
    assert line.reference == "AG00000001" and line.booked_on == date(2026, 12, 1)


def test_csv_with_mapping():
    lines = parse(sample("payments.csv"), "csv", CSV_MAPPING).lines
    assert [line.amount_minor for line in lines] == [10_000, 125_050, -1_500]
    assert lines[1].booked_on == date(2026, 12, 7) and lines[1].payer_name == "MARY JONES"


def test_csv_mapping_naming_a_missing_column_is_refused_naming_it():
    mapping = ColumnMapping(columns={"date": "Posted", "amount": "Value", "reference": "Description"})
    with pytest.raises(MalformedFile, match="'Value'"):
        parse(sample("payments.csv"), "csv", mapping)


def test_truncated_files_are_refused():
    for name, cut in (("bai2.txt", -20), ("mt940.txt", -40), ("camt053.xml", -30)):
        with pytest.raises(MalformedFile):
            parse(sample(name)[:cut])


def test_wrong_control_totals_are_refused():
    cases = {
        "bai2.txt": (b"49,1073100,8/", b"49,1073101,8/"),
        "mt940.txt": (b":62F:C261207GBP1310,75", b":62F:C261207GBP1310,76"),
        "camt053.xml": (b"<Sum>250.50</Sum>", b"<Sum>250.51</Sum>"),
        "arudd.xml": (b'<Totals numberOf="1" valueOf="100.00"', b'<Totals numberOf="1" valueOf="100.01"'),
    }
    for name, (good, bad) in cases.items():
        data = sample(name)
        assert good in data
        with pytest.raises(TotalsDoNotTie):
            parse(data.replace(good, bad))


def test_unknown_currency_is_refused():
    with pytest.raises(UnknownCurrency, match="XYZ"):
        parse(sample("camt054.xml").replace(b'Ccy="GBP"', b'Ccy="XYZ"'))
    with pytest.raises(UnknownCurrency):
        parse(sample("mt940.txt").replace(b"GBP", b"ABC"))
    with pytest.raises(UnknownCurrency):
        parse(sample("bai2.txt").replace(b",USD,", b",QQQ,"))


def test_xml_entities_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>'
    with pytest.raises(MalformedFile, match="DTD"):
        parse(bomb, "camt053")


def test_bad_mt940_line_names_the_line():
    data = sample("mt940.txt").replace(b":61:261207D15,00NCHGNONREF", b":61:26120XD15,00NCHGNONREF")
    with pytest.raises(MalformedFile, match="line 13"):
        parse(data)


def test_mt940_structured_payer_names():
    """Real-shaped :86: forms: a Sparkasse ?-style (SEPA labels in ?20-?29, name in ?32), Rabobank /ORDP//NAME/
    with an address after it, ING /CNTP/account/BIC/name/city/, ABN AMRO /TRTP/.../NAME/, continuation lines."""
    lines = parse(sample("mt940_structured.sta")).lines
    assert [(line.reference, line.payer_name) for line in lines] == [
        ("RATE DEZEMBER KUNDENNR NOCH OFFEN", "LOVELACE, ADA"),
        ("AG00009876 DEC", "R. BROWN"),
        ("AG 0000 5678", "ADA LOVELACE"),
        ("GIFT", "A DE VRIES"),
        ("KONTOFUEHRUNG", ""),
    ]
    assert [line.amount_minor for line in lines] == [12_000, 8_000, 5_000, 2_550, -1_000]
    assert lines[1].bank_reference == "RABO0001" and lines[0].booked_on == date(2026, 12, 7)
