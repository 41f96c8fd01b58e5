"""``fairpath report``: rebuild snapshots for a range and write reports, with clear messages for bad input."""

from __future__ import annotations

import io
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from fairpath.cli.report import report_command
from fairpath.insight.models import KpiDaily
from tests.factories.insight import make_book

pytestmark = pytest.mark.django_db

app = typer.Typer()
app.command()(report_command)
runner = CliRunner()


def test_rebuild_then_report_in_each_format(client_a, tmp_path):
    make_book(client_a)
    result = runner.invoke(app, ["rebuild", "--from", "2024-03-30", "--to", "2024-03-31"])
    assert result.exit_code == 0, result.output
    assert set(KpiDaily.objects.values_list("day", flat=True)) == {date(2024, 3, 30), date(2024, 3, 31)}
    result = runner.invoke(
        app,
        [
            "ARREARS_ACCOUNTS",
            "--from",
            "2024-03-31",
            "--to",
            "2024-03-31",
            "--format",
            "csv",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "arrears_accounts_2024-03-31_2024-03-31.csv").read_text()
    assert "2024-03-31,lender-a,personal_loan,30-59,1,3," in text
    result = runner.invoke(
        app, ["ALL", "--from", "2024-03-30", "--to", "2024-03-31", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO((tmp_path / "all_2024-03-30_2024-03-31.xlsx").read_bytes()))
    assert "KPI definitions" in book.sheetnames and "ROLL_MATRIX" in book.sheetnames
    result = runner.invoke(
        app,
        [
            "MI_PACK",
            "--from",
            "2024-03-01",
            "--to",
            "2024-03-31",
            "--format",
            "pdf",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    written = list(tmp_path.glob("mi_pack_*"))
    assert written and written[0].stat().st_size > 1000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ARREARS_ACCOUNTS", "--from", "2024-03-31", "--to", "2024-03-01"], "The date range is empty"),
        (["NOT_A_KPI", "--from", "2024-03-31", "--to", "2024-03-31"], "Unknown KPI 'NOT_A_KPI'"),
        (
            ["ARREARS_ACCOUNTS", "--from", "2031-01-01", "--to", "2031-01-31"],
            "No snapshots between 2031-01-01",
        ),
        (["rebuild", "--from", "2024-13-01", "--to", "2024-03-31"], "is not a date"),
        (
            ["ARREARS_ACCOUNTS", "--from", "2024-03-31", "--to", "2024-03-31", "--format", "pdf"],
            "Only MI_PACK",
        ),
    ],
)
def test_bad_input_gets_a_clear_message(client_a, arguments, message):
    KpiDaily.objects.create(
        client=client_a, day=date(2024, 3, 31), kpi="PROMISES_TAKEN", product="personal_loan", numerator=1
    )
    result = runner.invoke(app, arguments)
    assert result.exit_code != 0
    assert message in result.output
