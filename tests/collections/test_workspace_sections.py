"""Workspace sections read together: the same rows as one query per section would give."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.collections.models import ScheduledAction
from fairpath.collections.workspace import selectors
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db

_keys = itertools.count()
STATUSES = [status.value for status in ScheduledAction.Status]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(STATUSES), st.integers(0, 40)), max_size=2 * selectors.HISTORY + 10
    )
)
def test_next_and_suppressed_actions_are_each_section_s_own_rows_in_its_own_order(client_a, steps):
    """Rows the cycle left (made directly here: only the cycle schedules them): the soonest scheduled and the
    latest suppressed, up to HISTORY of each, ties in id order, other statuses and agreements left out."""
    agreement = make_agreement(make_customer(client_a))
    other = make_agreement(agreement.customer)
    start = date(2026, 3, 1)
    rows = [
        ScheduledAction(
            client=client_a, agreement=target, key=f"k{next(_keys)}", run_date=start + timedelta(days=offset),
            action="call", segment="early", path="standard", step_index=0, status=status,
        )
        for status, offset in steps
        for target in (agreement, other)
    ]  # fmt: skip
    ScheduledAction.objects.bulk_create(rows)
    shown = selectors._next_and_suppressed(agreement)
    mine = ScheduledAction.objects.filter(agreement=agreement)
    expected_next = list(mine.filter(status="scheduled").order_by("run_date", "id")[: selectors.HISTORY])
    expected_suppressed = list(
        mine.filter(status="suppressed").order_by("-run_date", "-id")[: selectors.HISTORY]
    )
    assert [row.pk for row in shown["next_actions"]] == [row.pk for row in expected_next]
    assert [row.pk for row in shown["suppressed"]] == [row.pk for row in expected_suppressed]
