"""``field__any_of=<subquery>`` answers exactly what ``field__in=<subquery>`` answers, on either database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairpath.accounts.models import Address, Agreement
from tests.factories import make_client
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db


def test_any_of_a_subquery_matches_in_for_relations_and_plain_columns():
    client = make_client()
    customers = [make_customer(client) for _ in range(4)]
    agreements = [make_agreement(customer) for customer in customers]
    chosen = Agreement.objects.filter(pk__in=[agreements[0].pk, agreements[2].pk])

    by_relation = Address.objects.filter(customer_id__any_of=chosen.values("customer_id"))
    by_column = Agreement.objects.filter(id__any_of=chosen.values("id"))

    assert set(by_relation.values_list("id", flat=True)) == set(
        Address.objects.filter(customer_id__in=chosen.values("customer_id")).values_list("id", flat=True)
    )
    assert {row.customer_id for row in by_relation} == {customers[0].pk, customers[2].pk}
    assert set(by_column.values_list("id", flat=True)) == {agreements[0].pk, agreements[2].pk}
    assert not Agreement.objects.filter(id__any_of=Agreement.objects.none().values("id")).exists()


def test_any_of_asks_postgresql_for_an_array_so_it_probes_the_index():
    client = make_client()
    make_agreement(make_customer(client))
    with CaptureQueriesContext(connection) as captured:
        list(Address.objects.filter(customer_id__any_of=Agreement.objects.values("customer_id")))
    sql = captured.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql
    else:
        assert " IN (SELECT" in sql


def test_any_of_a_list_of_ids_is_one_array_parameter_on_postgresql():
    client = make_client()
    agreements = [make_agreement(make_customer(client)) for _ in range(3)]
    wanted = [agreements[0].pk, agreements[2].pk]
    with CaptureQueriesContext(connection) as captured:
        found = set(Agreement.objects.filter(id__any_of=wanted).values_list("id", flat=True))
        related = set(Address.objects.filter(customer_id__any_of={agreements[1].customer_id}).values_list(
            "customer_id", flat=True
        ))  # fmt: skip
    assert found == set(wanted) and related == {agreements[1].customer_id}
    assert not Agreement.objects.filter(id__any_of=[]).exists()
    if connection.vendor == "postgresql":
        assert "= ANY('{" in captured.captured_queries[0]["sql"]
    else:
        assert " IN (" in captured.captured_queries[0]["sql"]
