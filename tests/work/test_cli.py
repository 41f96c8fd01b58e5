"""``fairpath work`` commands (the typer app in cli/work.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fairpath.cli.work import work_app
from fairpath.work.models import PortfolioAssignment
from tests.factories import make_user
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


def test_balance_portfolios_prints_what_moved(client_a):
    ann = make_user("agent", client_a, username="ann")
    bob = make_user("agent", client_a, username="bob")
    customer = make_customer(client_a)
    for _ in range(5):
        make_agreement(customer)
    result = CliRunner().invoke(
        work_app, ["balance-portfolios", "--client", client_a.code, "--agent", "ann", "--agent", "bob"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == 5 and sorted(report["loads"].values()) == [2, 3]
    assert PortfolioAssignment.objects.filter(agent__in=[ann, bob]).count() == 5


def test_unknown_agent_is_refused_and_nothing_is_assigned(client_a):
    make_agreement(make_customer(client_a))
    result = CliRunner().invoke(
        work_app, ["balance-portfolios", "--client", client_a.code, "--agent", "nobody"]
    )
    assert result.exit_code != 0 and "unknown username" in result.output
    assert not PortfolioAssignment.objects.exists()


def test_wake_reports_a_count():
    result = CliRunner().invoke(work_app, ["wake"])
    assert result.exit_code == 0 and json.loads(result.output) == {"woken": 0}
