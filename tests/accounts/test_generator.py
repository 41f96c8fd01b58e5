"""The synthetic portfolio: consistent with the ledger rules, reproducible, and scoped to its client."""

from __future__ import annotations

from datetime import date

import pytest
import typer
from django.db.models import F, OuterRef, Subquery, Sum
from typer.testing import CliRunner

from fairpath.accounts import actions
from fairpath.accounts.models import (
    Agreement,
    ArrearsState,
    BucketHistory,
    ContactPoint,
    Customer,
    LedgerEntry,
    PaymentAllocation,
    ScheduleInstalment,
    StatusHistory,
)
from fairpath.cli.generate import generate
from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.demo.generator import generate_portfolio

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 30)


def fingerprint(client: Client) -> dict[str, list]:
    """Everything generated, without ids, in a stable order."""
    return {
        "customers": list(
            Customer.objects.filter(client=client)
            .order_by("reference")
            .values_list("reference", "title", "first_name", "last_name", "date_of_birth")
        ),
        "contacts": list(
            ContactPoint.objects.filter(client=client)
            .order_by("customer__reference", "channel", "kind", "value")
            .values_list("customer__reference", "channel", "value", "has_call_consent", "is_opted_out")
        ),
        "agreements": list(
            Agreement.objects.filter(client=client)
            .order_by("reference")
            .values_list(
                "reference", "customer__reference", "product", "status", "balance_minor", "opened_on"
            )
        ),
        "ledger": list(
            LedgerEntry.objects.filter(client=client)
            .order_by("agreement__reference", "posted_on", "id")
            .values_list("agreement__reference", "kind", "amount_minor", "posted_on")
        ),
        "buckets": list(
            BucketHistory.objects.filter(client=client)
            .order_by("agreement__reference", "as_of", "id")
            .values_list("agreement__reference", "as_of", "to_bucket")
        ),
    }


def test_generated_book_obeys_the_ledger_rules(client_a, monkeypatch):
    monkeypatch.setattr("fairpath.demo.generator.SUSPEND_KEYS_FROM", 1)  # the large-load path, keys re-added
    summary = generate_portfolio(accounts=120, seed=11, as_of=AS_OF, months=12, client_code=client_a.code)
    assert summary.agreements == Agreement.objects.filter(client=client_a).count() == 120
    assert summary.customers == Customer.objects.filter(client=client_a).count()
    ledger_total = (
        LedgerEntry.objects.filter(agreement=OuterRef("pk"))
        .values("agreement")
        .annotate(total=Sum("amount_minor"))
    )
    agreements = Agreement.objects.filter(client=client_a).annotate(
        total=Subquery(ledger_total.values("total"))
    )
    assert not agreements.exclude(balance_minor=F("total")).exists()
    allocated = (
        PaymentAllocation.objects.filter(entry=OuterRef("pk"))
        .values("entry")
        .annotate(total=Sum("amount_minor"))
    )
    payments = LedgerEntry.objects.filter(client=client_a, kind="payment").annotate(
        allocated=Subquery(allocated.values("total"))
    )
    assert payments.exists()
    assert not payments.exclude(allocated=-F("amount_minor")).exists()
    assert not ScheduleInstalment.objects.filter(
        client=client_a, amount_paid_minor__gt=F("amount_due_minor")
    ).exists()
    assert ArrearsState.objects.filter(client=client_a).count() == 120
    assert ArrearsState.objects.filter(client=client_a).exclude(bucket="current").exists()
    assert StatusHistory.objects.filter(client=client_a, from_status="").count() == 120


def test_arrears_recompute_agrees_with_the_generated_state(client_a):
    generate_portfolio(accounts=80, seed=3, as_of=AS_OF, months=18, client_code=client_a.code)
    summary = actions.recompute_arrears(client_ids=[client_a.id], as_of=AS_OF)
    assert (summary.states_written, summary.bucket_changes, summary.status_changes) == (0, 0, 0)


def test_same_seed_same_portfolio_other_seed_other_portfolio():
    generate_portfolio(accounts=60, seed=42, as_of=AS_OF, months=6, client_code="rep-one")
    generate_portfolio(accounts=60, seed=42, as_of=AS_OF, months=6, client_code="rep-two")
    generate_portfolio(accounts=60, seed=43, as_of=AS_OF, months=6, client_code="rep-three")
    one, two, three = (
        fingerprint(Client.objects.get(code=code)) for code in ("rep-one", "rep-two", "rep-three")
    )
    assert one == two
    assert one["agreements"] != three["agreements"]


def test_worker_processes_make_the_same_portfolio_as_one_process(monkeypatch):
    """Chunks simulated in forked workers load with the same rows, keys and links as in-process ones."""
    monkeypatch.setattr("fairpath.demo.generator.CHUNK_CUSTOMERS", 7)  # several chunks, loaded out of step
    generate_portfolio(accounts=50, seed=8, as_of=AS_OF, months=6, client_code="same-here", workers=0)
    generate_portfolio(accounts=50, seed=8, as_of=AS_OF, months=6, client_code="same-forked", workers=2)
    here, forked = (fingerprint(Client.objects.get(code=code)) for code in ("same-here", "same-forked"))
    assert here == forked
    allocations = PaymentAllocation.objects.filter(client__code="same-forked")
    assert allocations.exists()
    assert not allocations.exclude(entry__agreement__client__code="same-forked").exists()
    assert (
        not allocations.filter(instalment__isnull=False)
        .exclude(instalment__agreement=F("entry__agreement"))
        .exists()
    )


def test_refuses_a_client_that_already_has_customers(client_a):
    generate_portfolio(accounts=5, seed=1, as_of=AS_OF, client_code=client_a.code)
    with pytest.raises(InvalidInput) as refused:
        generate_portfolio(accounts=5, seed=1, as_of=AS_OF, client_code=client_a.code)
    assert refused.value.field == "client"


def test_generated_customers_are_searchable_only_by_their_clients_users(
    client_a, client_b, user_factory, api_as
):
    generate_portfolio(accounts=30, seed=9, as_of=AS_OF, months=6, client_code=client_b.code)
    customer = Customer.objects.filter(client=client_b).first()
    outsider = api_as(user_factory("agent", client_a))
    insider = api_as(user_factory("agent", client_b))
    assert outsider.get(f"/customers?q={customer.last_name}")[1]["items"] == []
    assert outsider.get(f"/customers/{customer.pk}")[0] == 404
    status, body = insider.get(f"/customers?q={customer.reference}")
    assert status == 200 and [item["id"] for item in body["items"]] == [customer.pk]


def test_generate_command(client_a):
    app = typer.Typer()
    app.command()(generate)
    app.command("noop")(lambda: None)  # two commands, so typer routes by name
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--accounts",
            "25",
            "--seed",
            "4",
            "--as-of",
            "2026-06-30",
            "--months",
            "6",
            "--client",
            client_a.code,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "25 agreements" in result.output
    assert Agreement.objects.filter(client=client_a).count() == 25
    bad = CliRunner().invoke(app, ["generate", "--accounts", "5", "--as-of", "2026-02-30"])
    assert bad.exit_code != 0


def test_demo_portfolios_are_made_once(client_a, client_b):
    from fairpath.demo.generator import generate_demo_portfolios

    first = generate_demo_portfolios([client_a.code, client_b.code], accounts_per_client=10)
    again = generate_demo_portfolios([client_a.code, client_b.code], accounts_per_client=10)
    assert [summary.client_code for summary in first] == [client_a.code, client_b.code]
    assert again == []
    assert Agreement.objects.filter(client=client_b).count() == 10
