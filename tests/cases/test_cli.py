"""The cases CLI commands (run in-process on the test database; cli/main.py wires them as ``fairpath cases``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from fairpath.cases.models import Case
from fairpath.cli.cases import cases_app
from tests.factories.cases import make_case

runner = CliRunner()


def test_deadlines_prints_each_rule_for_a_receipt():
    result = runner.invoke(cases_app, ["deadlines", "2024-07-10T17:30:00+00:00", "--region", "NIR"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {"rule": "D-SRC", "due_at": "2024-07-16T16:30:00+00:00", "due_date": "2024-07-16"} in lines
    bad = runner.invoke(cases_app, ["deadlines", "2024-07-10T17:30:00", "--region", "NIR"])
    assert bad.exit_code != 0


@pytest.mark.django_db
def test_escalate_at_risk_runs_the_set_based_job(client_a):
    case = make_case(client_a, received_at=dt.datetime(2024, 11, 1, 9, tzinfo=dt.UTC))
    result = runner.invoke(cases_app, ["escalate-at-risk", "--at", "2024-12-09T10:00:00+00:00"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"at_risk_cases": 1, "escalated": 1}
    assert Case.objects.get(pk=case.pk).escalation_level == 2
    again = runner.invoke(
        cases_app, ["escalate-at-risk", "--at", "2024-12-09T10:00:00+00:00", "--client", client_a.code]
    )
    assert json.loads(again.output) == {"at_risk_cases": 1, "escalated": 0}
