"""Matching quality on a synthetic statement against its ground truth, and the statement writer's files."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.clients.models import Client
from fairpath.demo.generator import generate_portfolio
from fairpath.payments import parsers
from fairpath.payments.actions import import_file, mapping_for
from fairpath.payments.matching import DEFAULT_THRESHOLD
from fairpath.payments.synthetic import evaluate, read_truth, write_statements
from tests.factories import SETUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthetic(db):
    generate_portfolio(accounts=300, seed=5, as_of=date(2026, 11, 30), months=6, client_code="synth")
    return Client.objects.get(code="synth")


def test_auto_match_rate_and_no_false_auto_posts(synthetic, tmp_path):
    written = write_statements(tmp_path, client=synthetic, fmt="camt053", lines=150, seed=3,
                               booked_on=date(2026, 12, 1))  # fmt: skip
    summary = import_file(client=synthetic, data=written.statement.read_bytes(), name="s.xml", actor=SETUP,
                          threshold=DEFAULT_THRESHOLD)  # fmt: skip
    quality = evaluate(summary.file_id or 0, read_truth(written.truth))
    assert quality["known_payers"] > 130
    assert quality["auto_match_rate"] >= 0.95, quality
    assert quality["false_auto_posts"] == 0, quality
    assert quality["suspense"] >= quality["lines"] - quality["known_payers"]  # unknown payers stay unposted


@pytest.mark.parametrize("fmt", ["camt053", "camt054", "bai2", "mt940", "csv"])
def test_every_format_written_parses_strictly_with_its_truth(synthetic, tmp_path, fmt):
    written = write_statements(tmp_path, client=synthetic, fmt=fmt, lines=60, seed=9)
    mapping = mapping_for(synthetic, "synthetic") if fmt == "csv" else None
    parsed = parsers.parse(written.statement.read_bytes(), fmt if fmt == "csv" else None, mapping)
    assert parsed.format == fmt and len(parsed.lines) == 60
    truth = read_truth(written.truth)
    assert sorted(truth) == [line.line_no for line in parsed.lines]
    assert any(not refs for refs in truth.values()) or len(truth) < 100


def test_same_seed_same_statement(synthetic, tmp_path):
    first = write_statements(
        tmp_path / "a", client=synthetic, fmt="mt940", lines=40, seed=4, booked_on=date(2026, 12, 1)
    )
    second = write_statements(
        tmp_path / "b", client=synthetic, fmt="mt940", lines=40, seed=4, booked_on=date(2026, 12, 1)
    )
    assert first.statement.read_bytes() == second.statement.read_bytes()
