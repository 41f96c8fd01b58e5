"""The team leader console: what is counted live, what is kept for a minute or a day, and its pages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.governance.actions import create_user
from fairpath.work import actions, selectors
from fairpath.work.models import WorkItem
from tests.factories import PASSWORD, SETUP, make_client, make_user
from tests.factories.work import make_item, make_items

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)  # midday in London (BST)


def test_backlog_figures_are_kept_a_minute_and_the_page_says_when_they_were_counted(client_a, web_as):
    leader = make_user("team_leader", client_a)
    http = web_as(leader)
    with time_machine.travel(NOON, tick=False) as clock:
        make_items(client_a, 3, start=NOON + timedelta(days=1))
        first = http.get("/work/console/")
        assert first.context["board"].backlog[0].total == 3
        assert b"Counted at 12:00:00" in first.content
        make_items(client_a, 2, start=NOON + timedelta(days=1))
        urgent = make_item(client_a, title="Due in ten minutes", due_in=timedelta(minutes=10))
        clock.shift(timedelta(seconds=59))
        kept = http.get("/work/console/").context["board"]
        assert kept.backlog[0].total == 3 and kept.trend[-1].created == 3 and kept.at_risk_count == 0
        assert [item.pk for item in kept.at_risk] == [urgent.pk]  # the list itself is read live
        clock.shift(timedelta(seconds=2))
        fresh = http.get("/work/console/")
        board = fresh.context["board"]
        assert board.backlog[0].total == 6 and board.trend[-1].created == 6 and board.at_risk_count == 1
        assert b"Counted at 12:01:01" in fresh.content


def test_the_at_risk_list_comes_in_pages(client_a, web_as):
    leader = make_user("team_leader", client_a)
    make_items(client_a, selectors.AT_RISK_PAGE + 7, start=timezone.now() - timedelta(hours=1))
    http = web_as(leader)
    first = http.get("/work/console/")
    board = first.context["board"]
    assert len(board.at_risk) == selectors.AT_RISK_PAGE and board.at_risk_count == selectors.AT_RISK_PAGE + 7
    assert f'href="?risk={selectors.AT_RISK_PAGE}"'.encode() in first.content
    rest = http.get(f"/work/console/?risk={selectors.AT_RISK_PAGE}").context["board"]
    assert len(rest.at_risk) == 7 and rest.at_risk_next is None
    shown = [item.pk for item in board.at_risk + rest.at_risk]
    assert shown == list(
        WorkItem.objects.order_by("due_at", "id").values_list("id", flat=True)
    )  # every one, once, soonest first


def test_each_row_s_menu_selects_its_owner_and_names_are_escaped(client_a, web_as):
    leader = make_user("team_leader", client_a)
    odd = create_user(
        username="odd", role_code="agent", password=PASSWORD, client_codes=[client_a.code],
        first_name="<b>Bold</b>", actor=SETUP,
    )  # fmt: skip
    mine = make_item(client_a, due_in=timedelta(minutes=5), owner=odd)
    free = make_item(client_a, due_in=timedelta(minutes=6))
    page = web_as(leader).get("/work/console/").content.decode()
    row = page[page.index(f'id="risk-{mine.pk}"') : page.index(f'id="risk-{free.pk}"')]
    assert f'<option value="{odd.pk}" selected>' in row
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    other = page[page.index(f'id="risk-{free.pk}"') :]
    assert " selected>" not in other.split("</tr>")[0]


# The trend, however the days before were kept, says what a fresh count of every item says.

_codes = itertools.count()
DAY = timedelta(days=1)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    days=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans(), st.integers(0, 23)),
        min_size=1,
        max_size=5,
    ),
    look_at=st.integers(0, 4),
)
def test_the_trend_equals_a_fresh_count_of_every_item(days, look_at):
    """Each day some items are created and some finished, at some hour (a London day is not a UTC day); the
    console is looked at on one of the days (which fills the kept days), the next day, and after more items.
    Every time, every point equals a count over all items."""
    cache.clear()
    client = make_client(f"trend-{next(_codes)}", "Trend")
    leader = make_user("team_leader", client)
    agent = make_user("agent", client)
    start = NOON.replace(hour=0) - (len(days) + 1) * DAY
    with time_machine.travel(start, tick=False) as clock:
        for index, (created, finished, cancel, hour) in enumerate(days):
            clock.move_to(start + index * DAY + timedelta(hours=hour, minutes=30))
            make_items(client, created, start=timezone.now() + DAY)
            for _ in range(finished):
                item = actions.get_next(agent=agent)
                if item is None:
                    break
                if cancel:
                    actions.cancel_item(item=item, actor=agent, reason="not needed")
                else:
                    actions.complete_item(item=item, actor=agent)
            if index == look_at:
                _assert_trend_is_exact(leader, client)
        clock.move_to(start + len(days) * DAY + timedelta(hours=12))
        _assert_trend_is_exact(leader, client)
        clock.shift(timedelta(minutes=5))
        make_items(client, 2, start=timezone.now() + DAY)
        clock.shift(timedelta(minutes=2))
        _assert_trend_is_exact(leader, client)


def _assert_trend_is_exact(leader, client) -> None:  # noqa: ANN001
    trend = selectors.console(leader).trend
    items = list(WorkItem.objects.filter(client=client).values("created_at", "completed_at", "status"))
    for point in trend:
        end = timezone.make_aware(datetime.combine(point.day + DAY, datetime.min.time()))
        assert point.created == sum(_on(point.day, item["created_at"]) for item in items), point
        assert point.finished == sum(
            _on(point.day, item["completed_at"]) for item in items if item["status"] in ("done", "cancelled")
        ), point
        left = [
            item for item in items
            if item["created_at"] < end and (item["completed_at"] is None or item["completed_at"] >= end)
        ]  # fmt: skip
        assert point.backlog == len(left), point


def _on(day, moment) -> bool:  # noqa: ANN001
    return moment is not None and timezone.localdate(moment) == day


def test_kept_figures_are_kept_per_set_of_clients(client_a, client_b, web_as):
    """Within the same minute, a team leader of another client sees only their own client's figures."""
    make_items(client_a, 4, start=timezone.now() - timedelta(hours=1))
    make_items(client_b, 1, start=timezone.now() + timedelta(days=1))
    seen_a = web_as(make_user("team_leader", client_a)).get("/work/console/").context["board"]
    seen_b = web_as(make_user("team_leader", client_b)).get("/work/console/").context["board"]
    both = web_as(make_user("team_leader", client_a, client_b)).get("/work/console/").context["board"]
    assert (seen_a.backlog[0].total, seen_a.at_risk_count) == (4, 4)
    assert (seen_b.backlog[0].total, seen_b.at_risk_count, seen_b.trend[-1].created) == (1, 0, 1)
    assert (both.backlog[0].total, both.at_risk_count) == (5, 4)
