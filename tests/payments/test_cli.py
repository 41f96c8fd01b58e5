"""``fairpath import-payments`` (the command function, run through typer in-process)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from fairpath.accounts.models import LedgerEntry
from fairpath.cli.payments import import_payments_command
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.payments import camt054

pytestmark = pytest.mark.django_db(transaction=True)

app = typer.Typer()
app.command("import-payments")(import_payments_command)
app.command("noop")(lambda: None)


def test_import_json_summary_then_skips_on_second_run(client_a, tmp_path):
    agreement = make_agreement(make_customer(client_a), reference="AG00001234")
    path = tmp_path / "s.xml"
    path.write_bytes(camt054([("100.00", "AG00001234", "ADA"), ("1.00", "??", "X")]))
    result = CliRunner().invoke(app, ["import-payments", str(path), "--client", client_a.code, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["lines"], summary["posted"], summary["suspense"], summary["auto_match_rate"]) == (
        2,
        1,
        1,
        0.5,
    )
    again = CliRunner().invoke(app, ["import-payments", str(path), "--client", client_a.code, "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["skipped"] == 2
    assert LedgerEntry.objects.filter(agreement=agreement, kind="payment").count() == 1


def test_malformed_file_exits_non_zero_and_posts_nothing(client_a, tmp_path):
    make_agreement(make_customer(client_a), reference="AG00001234")
    path = tmp_path / "bad.xml"
    path.write_bytes(camt054([("100.00", "AG00001234", "ADA")])[:-50])
    result = CliRunner().invoke(app, ["import-payments", str(path), "--client", client_a.code])
    assert result.exit_code == 2 and "nothing posted" in result.output
    assert not LedgerEntry.objects.filter(kind="payment").exists()
