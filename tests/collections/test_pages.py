"""Strategy pages and the suppressions page: permissions, client scope, refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from fairpath.collections import actions
from fairpath.collections.models import StrategyVersion
from tests.factories import SETUP
from tests.factories.collections import make_strategy, make_uk_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(user_factory, client_a):
    return user_factory("operations_manager", client_a)


def test_strategy_list_and_detail_show_segments_and_paths(web_as, manager, client_a, client_b):
    mine = make_strategy(client_a)
    theirs = make_strategy(client_b)
    http = web_as(manager)
    page = http.get("/collections/strategies/")
    assert page.status_code == 200
    assert mine.code.encode() in page.content and theirs.code.encode() not in page.content
    detail = http.get(f"/collections/strategies/{mine.pk}/")
    assert detail.status_code == 200 and b"champion" in detail.content and b"80%" in detail.content
    assert http.get(f"/collections/strategies/{theirs.pk}/").status_code == 404


def test_an_agent_cannot_see_strategies(web_as, user_factory, client_a):
    make_strategy(client_a)
    assert web_as(user_factory("agent", client_a)).get("/collections/strategies/").status_code == 403


def test_editing_refuses_a_bad_document_naming_the_line_and_stores_nothing(web_as, manager, client_a):
    strategy = make_strategy(client_a)
    version = strategy.current_version()
    bad = version.source.replace("action: call_task", "action: carrier_pigeon", 1)
    response = web_as(manager).post(f"/collections/strategies/{strategy.pk}/edit/", {"document": bad})
    assert response.status_code == 422
    assert b"line " in response.content and b"carrier_pigeon" in response.content
    assert StrategyVersion.objects.filter(strategy=strategy).count() == 1
    good = version.source.replace("share: 80", "share: 75").replace("share: 20", "share: 25")
    response = web_as(manager).post(
        f"/collections/strategies/{strategy.pk}/edit/", {"document": good, "note": "75/25"}
    )
    assert response.status_code == 302
    assert strategy.current_version().number == 2


def test_a_team_leader_can_read_but_not_edit(web_as, user_factory, client_a):
    strategy = make_strategy(client_a)
    leader = web_as(user_factory("team_leader", client_a))
    assert leader.get(f"/collections/strategies/{strategy.pk}/").status_code == 200
    response = leader.post(
        f"/collections/strategies/{strategy.pk}/edit/", {"document": strategy.current_version().source}
    )
    assert response.status_code == 403
    assert StrategyVersion.objects.filter(strategy=strategy).count() == 1


def test_import_for_a_client_and_refusal_of_a_shared_one(web_as, manager, client_a):
    from pathlib import Path

    from fairpath.collections import strategies

    text = (Path(strategies.__file__).parent / "default_strategy.yaml").read_text()
    http = web_as(manager)
    assert http.post("/collections/strategies/import/", {"document": text, "client": ""}).status_code == 403
    response = http.post("/collections/strategies/import/", {"document": text, "client": client_a.code})
    assert response.status_code == 302
    exported = http.get(response.url + "export/?format=json")
    assert exported.status_code == 200 and strategies.parse(exported.content.decode()) == strategies.parse(
        text
    )


def test_suppressions_page_counts_refusals_by_rule_within_the_users_clients(
    web_as, user_factory, client_a, client_b, django_assert_max_num_queries
):
    mine = make_uk_agreement(client_a)
    theirs = make_uk_agreement(client_b)
    with time_machine.travel(datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False):
        for loan in (mine, theirs):
            actions.start_breathing_space(agreement=loan, entered_on=date(2026, 6, 1), actor=SETUP)
            actions.record_contact_attempt(agreement=loan, channel="call", actor=SETUP)
        http = web_as(user_factory("team_leader", client_a))
        with django_assert_max_num_queries(20):
            page = http.get("/collections/suppressions/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "BS-EFFECT" in body and mine.reference in body and theirs.reference not in body
    assert web_as(user_factory("agent", client_a)).get("/collections/suppressions/").status_code == 403
