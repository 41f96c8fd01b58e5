"""Strategies: validation naming the line, import/export round trip, champion/challenger, dry run, CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from fairpath.cli.collections import cycle as cycle_command
from fairpath.cli.collections import strategy_app
from fairpath.collections import strategies
from fairpath.collections.models import CycleRun, ScheduledAction, Strategy, StrategyVersion, TreatmentState
from fairpath.collections.strategies import StrategyError, parse
from tests.factories import SETUP
from tests.factories.collections import make_uk_agreement

DEFAULT = (Path(strategies.__file__).parent / "default_strategy.yaml").read_text()
HEAD = "code: s\nname: S\nsegments:\n"


def refused(text: str) -> StrategyError:
    with pytest.raises(StrategyError) as error:
        parse(text)
    return error.value


def test_the_shipped_strategy_is_valid():
    document = parse(DEFAULT)
    assert [segment.code for segment in document.segments][:3] == ["held", "vulnerable", "early"]


def test_unknown_field_is_refused_with_its_line():
    text = (
        HEAD
        + "  - code: a\n    when:\n      dpd: {min: 1}\n      colour: red\n    paths: [{code: p, steps: []}]\n"
    )
    error = refused(text)
    assert error.line == 7 and "unknown field 'colour'" in error.message


def test_unknown_top_level_and_step_fields():
    assert refused("code: s\nname: S\nowner: me\nsegments: []\n").line == 3
    text = (
        HEAD
        + "  - code: a\n    paths:\n      - code: p\n        steps:\n          - {day: 0, action: sms, tone: firm}\n"
    )
    assert refused(text).line == 8


def test_unknown_channel_is_refused_with_its_line():
    text = (
        HEAD
        + "  - code: a\n    paths:\n      - code: p\n        steps:\n          - day: 0\n            action: fax\n"
    )
    error = refused(text)
    assert error.line == 9 and "unknown channel or action 'fax'" in error.message


def test_overlapping_segments_are_refused_naming_both():
    text = (
        HEAD
        + "  - code: early\n    when: {dpd: {min: 1, max: 30}}\n    paths: [{code: p, steps: []}]\n"
        + "  - code: mid\n    when: {dpd: {min: 30, max: 90}}\n    paths: [{code: p, steps: []}]\n"
    )
    error = refused(text)
    assert error.line == 7 and "'mid' overlaps segment 'early' (line 4)" in error.message


def test_segments_disjoint_on_another_dimension_do_not_overlap():
    text = (
        HEAD
        + "  - code: a\n    when: {dpd: {min: 1}, product: [credit_card]}\n    paths: [{code: p, steps: []}]\n"
        + "  - code: b\n    when: {dpd: {min: 1}, product: [personal_loan]}\n    paths: [{code: p, steps: []}]\n"
        + "  - code: c\n    when: {bucket: ['30-59'], dpd: {max: 0}}\n    paths: [{code: p, steps: []}]\n"
    )
    error = refused(text)  # c: bucket 30-59 and dpd <= 0 can never both hold
    assert error.line == 10 and "unreachable" in error.message


def test_a_segment_after_the_default_is_unreachable():
    text = (
        HEAD
        + "  - code: rest\n    default: true\n    paths: [{code: p, steps: []}]\n"
        + "  - code: late\n    when: {dpd: {min: 90}}\n    paths: [{code: p, steps: []}]\n"
    )
    error = refused(text)
    assert error.line == 7 and "unreachable" in error.message


def test_path_shares_must_add_up_to_100():
    text = (
        HEAD
        + "  - code: a\n    paths:\n      - {code: x, share: 50, steps: []}\n      - {code: y, share: 40, steps: []}\n"
    )
    assert "add up to 90" in refused(text).message


def test_json_is_accepted_and_errors_name_its_line():
    document = json.dumps(parse(DEFAULT).to_dict(), indent=2)
    assert parse(document) == parse(DEFAULT)
    broken = document.replace('"action": "sms"', '"action": "pigeon"', 1)
    line = next(number for number, text in enumerate(broken.splitlines(), 1) if "pigeon" in text)
    assert refused(broken).line == line


def test_champion_challenger_split_is_stable_and_near_the_shares():
    document = parse(DEFAULT)
    ids = list(range(1, 20_001))
    frame = pl.DataFrame(
        {
            "agreement_id": ids,
            "client_code": ["x"] * len(ids),
            "product": ["personal_loan"] * len(ids),
            "dpd": [10] * len(ids),
            "bucket": ["1-29"] * len(ids),
            "balance_minor": [1000] * len(ids),
            "score": [None] * len(ids),
            "is_vulnerable": [False] * len(ids),
            "hold_kinds": [""] * len(ids),
            "days_since_contact": [None] * len(ids),
        },
        schema=strategies.FACT_SCHEMA,
    )
    first = strategies.assign(document, frame)
    shares = Counter(first.get_column("path").to_list())
    assert abs(shares["champion"] / len(ids) - 0.80) < 0.01
    assert first.equals(strategies.assign(document, frame.reverse()).reverse())  # order does not matter
    # the frame's hash and the scalar one agree
    salt = strategies._salt(document, document.segments[2])
    assert all(
        (strategies.path_bucket(agreement_id, salt) < 80) == (path == "champion")
        for agreement_id, path in first.select("agreement_id", "path").iter_rows()
    )


@pytest.mark.django_db
def test_import_creates_versions_and_export_round_trips():
    first = strategies.import_strategy(text=DEFAULT, actor=SETUP)
    second = strategies.import_strategy(
        text=DEFAULT.replace("share: 80", "share: 70").replace("share: 20", "share: 30"), actor=SETUP
    )
    assert (first.version.number, second.version.number) == (1, 2)
    assert parse(strategies.export_strategy(second.version)) == strategies.document_of(second.version)
    assert (
        parse(strategies.export_strategy(second.version, source_format="json")).segments[2].paths[0].share
        == 70
    )


@pytest.mark.django_db
def test_a_refused_import_stores_nothing():
    with pytest.raises(StrategyError):
        strategies.import_strategy(text=DEFAULT.replace("action: sms", "action: telegram"), actor=SETUP)
    assert not Strategy.objects.exists() and not StrategyVersion.objects.exists()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("cycle")(cycle_command)
    app.add_typer(strategy_app, name="strategy")
    return app


@pytest.mark.django_db
def test_simulate_counts_paths_and_changes_nothing(client_a, tmp_path):
    for _ in range(3):
        make_uk_agreement(client_a)  # 12 instalments from 31 Jan 2024, nothing paid
    file = tmp_path / "s.yaml"
    file.write_text(DEFAULT)
    result = CliRunner().invoke(cli(), ["strategy", "simulate", str(file), "--date", "2024-03-10", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    assert body["accounts"] == 3
    assert body["paths"] == [{"segment": "mid", "path": "standard", "accounts": 3}]
    assert not TreatmentState.objects.exists() and not ScheduledAction.objects.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT.replace("action: letter", "action: carrier_pigeon", 1))
    result = CliRunner().invoke(cli(), ["strategy", "simulate", str(bad), "--date", "2024-03-10"])
    assert result.exit_code == 2 and "line" in result.output


@pytest.mark.django_db
def test_cycle_command_prints_json_and_refuses_an_earlier_date(client_a, tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text(DEFAULT)
    assert CliRunner().invoke(cli(), ["strategy", "import", str(file)]).exit_code == 0
    make_uk_agreement(client_a)
    result = CliRunner().invoke(cli(), ["cycle", "--date", "2024-03-10", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["accounts"] == 1 and summary["actions_scheduled"] == 1 and "seconds" in summary
    phases = summary["phases"]  # where the night went, step by step
    assert list(phases) == [
        "shards", "release_messages", "send_notices", "send_messages", "snapshots"
    ]  # fmt: skip
    assert all(0 <= seconds <= summary["seconds"] for seconds in phases.values())
    result = CliRunner().invoke(cli(), ["cycle", "--date", "2024-03-09"])
    assert result.exit_code == 2 and "--rerun" in result.output
    assert CycleRun.objects.count() == 1
    result = CliRunner().invoke(cli(), ["cycle", "--from", "2024-03-11", "--to", "2024-03-12", "--json"])
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 2
    exported = CliRunner().invoke(cli(), ["strategy", "export", "standard"])
    assert parse(exported.output) == parse(DEFAULT)
