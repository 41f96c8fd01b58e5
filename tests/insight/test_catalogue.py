"""The KPI catalogue is complete, exact and the same in docs/mi.md as in the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairpath.core.errors import InvalidInput
from fairpath.insight import catalogue

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mi.md"


def test_docs_mi_is_generated_from_the_catalogue():
    assert DOCS.read_text() == catalogue.markdown(), (
        "docs/mi.md is out of date: run `python -m fairpath.insight.catalogue > docs/mi.md`"
    )


@pytest.mark.parametrize("kpi", catalogue.KPIS, ids=lambda kpi: kpi.code)
def test_every_kpi_has_an_exact_definition(kpi):
    for text in (kpi.name, kpi.numerator, kpi.denominator, kpi.population, kpi.time_basis):
        assert len(text) > 3
    assert kpi.owner_role in catalogue.ROLE_LABELS
    assert kpi.code == kpi.code.upper()


def test_an_unknown_kpi_gets_a_clear_message():
    with pytest.raises(InvalidInput, match="Unknown KPI 'NOPE'.*ARREARS_ACCOUNTS"):
        catalogue.get("NOPE")


def test_a_rate_without_population_is_no_data_not_zero():
    kpi = catalogue.get("PROMISES_KEPT")
    assert kpi.value(0, 0) is None
    assert kpi.format(None) == "no data"
    assert kpi.format(kpi.value(0, 4)) == "0.0%"
    assert catalogue.get("COMPLAINTS_PER_1000").value(1, 3) == pytest.approx(333.333, abs=0.001)
