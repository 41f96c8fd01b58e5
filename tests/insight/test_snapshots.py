"""Each KPI on the hand-made book of tests/factories/insight.py, with the answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fairpath.collections.models import Arrangement, ContactAttempt, Hold, Promise
from fairpath.collections.promises import record_promise
from fairpath.core.errors import InvalidInput
from fairpath.insight import snapshots
from fairpath.insight.models import KpiDaily, RollRateMonthly, SnapshotBuild
from tests.factories import SETUP
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.insight import make_book

pytestmark = pytest.mark.django_db

FEB = date(2024, 2, 29)
MAR = date(2024, 3, 31)


def figures(kpi: str, day: date, client=None) -> dict[str, tuple[int, int | None]]:
    rows = KpiDaily.objects.filter(kpi=kpi, day=day)
    if client is not None:
        rows = rows.filter(client=client)
    return {row.dimension: (row.numerator, row.denominator) for row in rows}


@pytest.fixture
def book(client_a):
    return make_book(client_a)


def test_arrears_by_bucket_at_a_month_end(book):
    snapshots.build_snapshots(FEB, [book.client.pk])
    # 15 Feb recompute: on_time current; recovered and slipping missed 31 Jan (15 days) -> 1-29.
    accounts = figures("ARREARS_ACCOUNTS", FEB)
    assert accounts["current"] == (1, 3)
    assert accounts["1-29"] == (2, 3)
    assert accounts["30-59"] == (0, 3)  # a real zero: there is a book
    # Balances: 1,200.00 drawn; on_time paid 100 + 100 -> 1,000.00; the others 1,200.00 each.
    balances = figures("ARREARS_BALANCE", FEB)
    assert balances["current GBP"] == (100_000, 340_000)
    assert balances["1-29 GBP"] == (240_000, 340_000)
    # Nobody is 30+ yet; slipping's customer is vulnerable (cue 1 Feb).
    assert figures("ARREARS_RATE_VULNERABLE", FEB) == {"vulnerable": (0, 1), "other": (0, 2)}
    assert figures("CASH_COLLECTED", FEB) == {"GBP": (10_000, None)}


def test_roll_rates_and_cures_month_on_month(book):
    snapshots.build_snapshots(FEB, [book.client.pk])
    snapshots.build_snapshots(MAR, [book.client.pk])
    # February: all current at 31 Jan; two rolled to 1-29 -> 2 of 3 rolled forward; nobody to cure.
    assert figures("ROLL_FORWARD", FEB) == {"current": (2, 3)}
    assert figures("CURE_RATE", FEB) == {}  # no population: "no data", never 0%
    # March: on_time current -> current; recovered 1-29 -> current (cured); slipping 1-29 -> 30-59.
    assert figures("ROLL_FORWARD", MAR) == {"current": (0, 1), "1-29": (1, 2)}
    assert figures("CURE_RATE", MAR) == {"all": (1, 2), "vulnerable": (0, 1), "other": (1, 1)}
    matrix = {
        (cell.from_bucket, cell.to_bucket): cell.accounts
        for cell in RollRateMonthly.objects.filter(month=MAR)
    }
    assert matrix == {("current", "current"): 1, ("1-29", "current"): 1, ("1-29", "30-59"): 1}
    accounts = figures("ARREARS_ACCOUNTS", MAR)
    assert accounts["current"] == (2, 3) and accounts["30-59"] == (1, 3)
    assert figures("ARREARS_RATE_VULNERABLE", MAR) == {"vulnerable": (1, 1), "other": (0, 2)}
    assert figures("COMPLAINTS_PER_1000", MAR) == {"": (0, 3)}


def test_cash_collected_is_payments_less_reversals(book):
    snapshots.build_snapshots(date(2024, 3, 1), [book.client.pk])
    assert figures("CASH_COLLECTED", date(2024, 3, 1)) == {"GBP": (20_000, None)}
    # A day with no payments has no cash row (no data), not a zero row.
    snapshots.build_snapshots(date(2024, 3, 2), [book.client.pk])
    assert figures("CASH_COLLECTED", date(2024, 3, 2)) == {}


def test_promises_taken_kept_and_broken(book):
    made = date(2024, 2, 20)
    kept = record_promise(
        agreement=book.recovered, instalments=[(date(2024, 3, 1), 20_000)], made_on=made, actor=SETUP
    )
    broken = record_promise(
        agreement=book.slipping, instalments=[(date(2024, 3, 1), 5_000)], made_on=made, actor=SETUP
    )
    Promise.objects.filter(pk=kept.pk).update(status="kept", resolved_on=date(2024, 3, 3))
    Promise.objects.filter(pk=broken.pk).update(status="broken", resolved_on=date(2024, 3, 3))
    snapshots.build_snapshots(made, [book.client.pk])
    snapshots.build_snapshots(date(2024, 3, 3), [book.client.pk])
    assert figures("PROMISES_TAKEN", made) == {"": (2, None)}
    # Of 2 resolved on 3 March, 1 kept: 50%; the vulnerable customer's was broken (VC-OUTCOMES).
    assert figures("PROMISES_KEPT", date(2024, 3, 3)) == {
        "all": (1, 2),
        "vulnerable": (0, 1),
        "other": (1, 1),
    }
    assert figures("PROMISES_BROKEN", date(2024, 3, 3)) == {"": (1, 2)}


def test_arrangements_contacts_and_holds(book):
    client = book.client

    def arrangement(agreement, status, first_due_on, resolved_on=None):
        return Arrangement.objects.create(
            client=client, agreement=agreement, currency="GBP", amount_minor=5_000, first_due_on=first_due_on,
            instalment_count=12, is_affordable=True, status=status, proposed_by="t", proposed_on=first_due_on,
            decided_by="t", decided_on=first_due_on - timedelta(days=5), resolved_on=resolved_on,
        )  # fmt: skip

    start = date(2024, 1, 10)
    arrangement(book.on_time, "active", start)
    arrangement(
        book.recovered, "broken", start, resolved_on=start + timedelta(days=40)
    )  # failed inside 91 days
    arrangement(
        book.slipping, "broken", start, resolved_on=start + timedelta(days=120)
    )  # failed after 91 days
    arrangement(book.slipping, "declined", start)  # never accepted: not in any cohort
    day = start + timedelta(days=130)
    for is_allowed, is_conversation, channel, rule in (
        (True, True, "call", ""),
        (True, False, "call", ""),
        (True, False, "call", ""),
        (False, False, "call", "US-7IN7"),
        (False, False, "sms", "BS-EFFECT"),
        (True, False, "letter", ""),
    ):
        ContactAttempt.objects.create(
            client=client, agreement=book.slipping, channel=channel, at=datetime(2024, 5, 19, 10, tzinfo=UTC),
            is_allowed=is_allowed, is_conversation=is_conversation, rule=rule, actor_label="t",
        )  # fmt: skip
    Hold.objects.create(client=client, agreement=book.slipping, kind="debt_advice", starts_on=date(2024, 5, 1),
                        ends_on=date(2024, 5, 30), created_by="t")  # fmt: skip
    Hold.objects.create(client=client, agreement=book.recovered, kind="debt_advice", starts_on=date(2024, 5, 1),
                        ends_on=date(2024, 5, 30), ended_early_on=date(2024, 5, 10), created_by="t")  # fmt: skip
    assert day == date(2024, 5, 19)
    snapshots.build_snapshots(day, [client.pk])
    snapshots.build_snapshots(start - timedelta(days=5), [client.pk])
    # Cohort at 91 days: 3 accepted; recovered's broke within 40 days -> 2 of 3 still performing.
    assert figures("ARRANGEMENTS_PERFORMING_3M", day) == {"": (2, 3)}
    # 6 months (182 days) after 10 Jan is 10 July: nobody is old enough yet -> no data.
    assert figures("ARRANGEMENTS_PERFORMING_6M", day) == {}
    assert figures("ARRANGEMENTS_SET_UP", start - timedelta(days=5)) == {
        "": (3, None)
    }  # active + 2 broken; declined not set up
    # Calls allowed: 3, one conversation -> 1/3. Refused: 2 of 6 attempts, one per rule.
    assert figures("RIGHT_PARTY_CONTACT", day) == {"": (1, 3)}
    assert figures("CONTACTS_SUPPRESSED", day) == {"US-7IN7": (1, 6), "BS-EFFECT": (1, 6)}
    # One hold in force on 19 May; the other ended early on 10 May.
    assert figures("HOLDS_IN_FORCE", day) == {"debt_advice": (1, None)}


def test_complaints_and_work(book):
    from fairpath.cases.models import ComplaintOutcome, OmbudsmanReferral
    from tests.factories.cases import make_case
    from tests.factories.work import make_item

    client = book.client
    day = date(2024, 6, 3)
    received = datetime(2024, 4, 1, 9, tzinfo=UTC)
    closed_at = datetime(2024, 6, 3, 15, tzinfo=UTC)
    outcomes = (
        # (business days to close, final response on, outcome, redress)
        (2, date(2024, 4, 3), "upheld", 5_000),
        (40, date(2024, 5, 27), "not_upheld", 0),  # 56 days after 1 April is 27 May: within 8 weeks
        (45, date(2024, 5, 28), "partly_upheld", 2_500),  # one day late
    )
    for days, final_on, outcome, redress in outcomes:
        case = make_case(
            client, agreement=book.slipping, customer=book.slipping.customer, received_at=received
        )
        ComplaintOutcome.objects.create(
            client=client, case=case, outcome=outcome, root_cause="other", redress_minor=redress,
            final_response_on=final_on, closed_at=closed_at, closed_by_label="t", business_days_to_close=days,
        )  # fmt: skip
    OmbudsmanReferral.objects.create(client=client, case=case, referred_on=day, is_within_time=True)
    make_case(client, agreement=book.on_time, customer=book.on_time.customer,
              received_at=datetime(2024, 6, 3, 11, tzinfo=UTC))  # fmt: skip
    base = datetime(2024, 6, 3, 20, tzinfo=UTC)
    for created_days_ago in (0, 1, 3, 12):
        item = make_item(client, due_in=timedelta(hours=1))
        type(item).objects.filter(pk=item.pk).update(created_at=base - timedelta(days=created_days_ago))
    done_on_time = make_item(client)
    done_late = make_item(client)
    type(done_on_time).objects.filter(pk=done_on_time.pk).update(
        status="done",
        created_at=base - timedelta(days=1),
        due_at=base,
        completed_at=base - timedelta(hours=1),
    )
    type(done_late).objects.filter(pk=done_late.pk).update(
        status="done",
        created_at=base - timedelta(days=1),
        due_at=base - timedelta(hours=5),
        completed_at=base,
    )
    snapshots.build_snapshots(day, [client.pk])
    assert figures("COMPLAINTS_CLOSED_3BD", day) == {"": (1, 3)}
    assert figures("COMPLAINTS_CLOSED_8W", day) == {"": (2, 3)}
    assert figures("COMPLAINTS_UPHELD", day) == {"": (2, 3)}
    assert figures("COMPLAINT_REDRESS", day) == {"GBP": (7_500, None)}
    assert figures("OMBUDSMAN_REFERRALS", day) == {"": (1, None)}
    # One complaint received on 3 June against a book of 3 accounts: 333.33 per 1,000.
    assert figures("COMPLAINTS_PER_1000", day) == {"": (1, 3)}
    # Open at the end of 3 June: ages 0, 1, 3 and 12 days -> 0-1: 2, 2-5: 1, 11+: 1.
    assert figures("WORK_BACKLOG", day) == {
        "0-1 days": (2, None),
        "2-5 days": (1, None),
        "11+ days": (1, None),
    }
    assert figures("WORK_SERVICE_LEVEL", day) == {"": (1, 2)}


def test_rebuild_is_idempotent_and_scoped_to_the_shard(book, client_b):
    other = make_agreement(make_customer(client_b))
    snapshots.build_snapshots(FEB, None)
    before = list(
        KpiDaily.objects.filter(client=book.client, day=FEB)
        .values_list("kpi", "dimension", "numerator", "denominator")
        .order_by("kpi", "dimension")
    )
    snapshots.build_snapshots(FEB, [book.client.pk])
    after = list(
        KpiDaily.objects.filter(client=book.client, day=FEB)
        .values_list("kpi", "dimension", "numerator", "denominator")
        .order_by("kpi", "dimension")
    )
    assert before == after
    assert (
        KpiDaily.objects.filter(client=client_b, day=FEB, kpi="ARREARS_ACCOUNTS", dimension="current")
        .get()
        .numerator
        == 1
    )
    assert other.client_id == client_b.pk
    assert SnapshotBuild.objects.filter(day=FEB).count() == 2


def test_empty_date_range_is_refused():
    with pytest.raises(InvalidInput, match="empty"):
        snapshots.rebuild(MAR, FEB)


def test_snapshot_build_uses_a_fixed_number_of_queries(book, django_assert_max_num_queries, client_b):
    for _ in range(3):
        make_agreement(make_customer(book.client))
    with django_assert_max_num_queries(40):
        snapshots.build_snapshots(MAR, None)


def test_reconciliation_auto_match_and_suspense(book, web_as, user_factory):
    from fairpath.payments.models import Match, PaymentFile, StatementLine

    client = book.client
    imported = datetime(2024, 3, 4, 9, tzinfo=UTC)
    payment_file = PaymentFile.objects.create(
        client=client, name="s.csv", format="csv", imported_at=imported, imported_by="t"
    )
    # (amount, status, is_return, matched by hand)
    specs = [
        (5_000, "posted", False, False),  # auto-matched
        (6_000, "posted", False, False),  # auto-matched
        (7_000, "posted", False, True),  # matched by hand: not automatic
        (8_000, "suspense", False, False),
        (-5_000, "returned", True, False),  # a return: not in the population
        (-900, "ignored", False, False),  # bank charge: not a customer payment
    ]
    for number, (amount, status, is_return, manual) in enumerate(specs):
        line = StatementLine.objects.create(
            client=client, file=payment_file, line_no=number, natural_key=f"k{number}", booked_on=date(2024, 3, 4),
            amount_minor=amount, currency="GBP", is_return=is_return, status=status, created_at=imported,
        )  # fmt: skip
        if status == "posted":
            Match.objects.create(
                client=client, line=line, agreement=book.on_time, amount_minor=amount,
                step="manual" if manual else "exact", confidence=1.0, status="posted",
            )  # fmt: skip
    snapshots.build_snapshots(date(2024, 3, 4), [client.pk])
    # Population: 4 money-in customer lines; 2 auto-posted, 1 in suspense.
    assert figures("RECONCILIATION_AUTO_MATCH", date(2024, 3, 4)) == {"": (2, 4)}
    assert figures("RECONCILIATION_SUSPENSE", date(2024, 3, 4)) == {"": (1, 4)}
    user = user_factory("operations_manager", client)
    page = web_as(user).get("/mi/drill/?kpi=RECONCILIATION_SUSPENSE&day=2024-03-04").content.decode()
    assert 'data-testid="drill-total">1<' in page
