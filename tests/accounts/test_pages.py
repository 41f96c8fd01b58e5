"""The customer list, customer page and agreement page: search, client scope, permissions and query counts."""

from __future__ import annotations

from datetime import date

import pytest

from fairpath.accounts import actions
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(client_a, client_b):
    """Two customers at lender A, one at lender B with a similar name."""
    ada = make_customer(client_a, first_name="Ada", last_name="Lovelace", postcode="EH1 1YZ", region="SCT",
                        phone="07700 900123", email="ada@example.org")  # fmt: skip
    loan = make_agreement(ada, reference="NW00000042")
    grace = make_customer(client_a, first_name="Grace", last_name="Hopper", postcode="SW1A 2AA")
    other = make_customer(client_b, first_name="Ada", last_name="Lovelock", postcode="BT1 1AA", region="NIR",
                          phone="07700 900999")  # fmt: skip
    other_loan = make_agreement(other, reference="HB00000042")
    return {"ada": ada, "loan": loan, "grace": grace, "other": other, "other_loan": other_loan}


@pytest.fixture
def agent_a(user_factory, client_a):
    return user_factory("agent", client_a)


def names_on(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def results_of(response) -> str:
    """Only the results table, not the search box echoing the query."""
    page = names_on(response)
    return page[page.index('data-testid="customer-results"') :]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lovel", "Lovelace"),
        ("Ada Lovelace", "Lovelace"),
        ("NW00000042", "Lovelace"),
        ("nw0000", "Lovelace"),
        ("+44 7700 900123", "Lovelace"),
        ("07700900123", "Lovelace"),
        ("eh1 1yz", "Lovelace"),
        ("EH1", "Lovelace"),
        ("ada@example.org", "Lovelace"),
        ("hopper", "Hopper"),
    ],
)
def test_search_finds_by_name_agreement_phone_postcode_and_email(book, agent_a, web_as, query, expected):
    page = results_of(web_as(agent_a).get("/customers/", {"q": query}))
    assert expected in page
    assert "Lovelock" not in page


def test_search_never_shows_another_clients_customers(book, agent_a, web_as):
    for query in ("Lovelock", "HB00000042", "07700 900999", "BT1 1AA"):
        page = results_of(web_as(agent_a).get("/customers/", {"q": query}))
        assert f"/customers/{book['other'].pk}/" not in page
        assert "No customer of your clients matches" in page


def test_other_clients_customer_and_agreement_pages_are_not_found(book, agent_a, web_as):
    http = web_as(agent_a)
    assert http.get(f"/customers/{book['other'].pk}/").status_code == 404
    assert http.get(f"/customers/agreements/{book['other_loan'].pk}/").status_code == 404


def test_customer_page_shows_contacts_time_zone_and_agreements(book, agent_a, web_as):
    page = names_on(web_as(agent_a).get(f"/customers/{book['ada'].pk}/"))
    assert "Europe/London" in page and "07700 900123" in page and "NW00000042" in page


def test_agreement_page_shows_balance_arrears_schedule_ledger_and_history(book, agent_a, web_as, client_a):
    loan = book["loan"]
    actions.post_payment(
        agreement=loan, amount_minor=10_000, currency="GBP", received_on=date(2024, 1, 30), actor=SETUP
    )
    actions.recompute_arrears(client_ids=[client_a.id], as_of=date(2024, 3, 15))
    page = names_on(web_as(agent_a).get(f"/customers/agreements/{loan.pk}/"))
    assert "£1,100.00" in page  # balance
    assert "1-29" in page  # bucket
    assert 'data-testid="schedule"' in page and 'data-testid="ledger"' in page
    assert "In arrears" in page  # status history
    assert "governance/audit/history" not in page  # an agent does not see the audit trail


def test_team_leader_gets_the_audit_history_panel(book, user_factory, client_a, web_as):
    leader = user_factory("team_leader", client_a)
    page = names_on(web_as(leader).get(f"/customers/agreements/{book['loan'].pk}/"))
    assert f"/governance/audit/history/accounts.agreement/{book['loan'].pk}/" in page


def test_pages_need_the_permission(book, user_factory, client_a, web_as):
    from fairpath.governance.models import Role

    agent = user_factory("agent", client_a)
    role = Role.objects.get(code="agent")
    role.permissions.remove(*role.permissions.filter(codename="view_customer"))
    agent = type(agent).objects.get(pk=agent.pk)
    assert web_as(agent).get("/customers/").status_code == 403


def test_customer_list_query_count_does_not_grow_with_rows(
    client_a, agent_a, web_as, django_assert_max_num_queries
):
    http = web_as(agent_a)
    http.get("/customers/")  # warm the session and permission caches
    for number in range(30):
        customer = make_customer(client_a, last_name=f"Many{number:02d}")
        make_agreement(customer)
    with django_assert_max_num_queries(12):
        assert http.get("/customers/", {"q": "many"}).status_code == 200


def test_agreement_page_query_count_is_pinned(book, agent_a, web_as, django_assert_max_num_queries):
    http = web_as(agent_a)
    for day in range(1, 20):
        actions.post_payment(
            agreement=book["loan"],
            amount_minor=100,
            currency="GBP",
            received_on=date(2024, 2, day),
            actor=SETUP,
        )
    with django_assert_max_num_queries(16):
        assert http.get(f"/customers/agreements/{book['loan'].pk}/").status_code == 200


def test_customer_page_query_count_is_pinned(client_a, agent_a, web_as, django_assert_max_num_queries):
    customer = make_customer(client_a, phone="07700 900555", email="many@example.org")
    for _ in range(8):
        make_agreement(customer)
    http = web_as(agent_a)
    with django_assert_max_num_queries(16):
        assert http.get(f"/customers/{customer.pk}/").status_code == 200
