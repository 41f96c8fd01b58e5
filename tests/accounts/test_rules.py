"""Pure account rules: waterfall, arrears, buckets and status transitions, checked as properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpath.accounts import rules
from fairpath.accounts.rules import Component, DueItem, DueOrder, Instalment, WaterfallPolicy
from fairpath.core.errors import InvalidInput

DAY0 = date(2024, 1, 31)

due_items = st.lists(
    st.builds(
        DueItem,
        key=st.uuids(),
        due_on=st.integers(0, 400).map(lambda days: DAY0 + timedelta(days=days)),
        component=st.sampled_from([Component.FEE, Component.INTEREST, Component.PRINCIPAL]),
        outstanding_minor=st.integers(0, 500_000),
    ),
    max_size=30,
)
policies = st.builds(
    WaterfallPolicy,
    components=st.permutations([Component.FEE, Component.INTEREST, Component.PRINCIPAL]).map(tuple),
    due_order=st.sampled_from(list(DueOrder)),
)


@given(amount=st.integers(1, 5_000_000), items=due_items, policy=policies)
def test_allocation_never_creates_or_loses_money(amount, items, policy):
    result = rules.allocate_payment(amount, items, policy)
    assert result.allocated_minor + result.unallocated_minor == amount
    assert result.unallocated_minor >= 0
    assert all(allocation.amount_minor > 0 for allocation in result.allocations)


@given(amount=st.integers(1, 5_000_000), items=due_items, policy=policies)
def test_allocation_never_overpays_a_due_item(amount, items, policy):
    outstanding = {item.key: item.outstanding_minor for item in items}
    result = rules.allocate_payment(amount, items, policy)
    for allocation in result.allocations:
        assert allocation.amount_minor <= outstanding[allocation.key]
    # Money is left unallocated only when everything due has been paid.
    if result.unallocated_minor:
        assert result.allocated_minor == sum(outstanding.values())


@given(amount=st.integers(1, 5_000_000), items=due_items, policy=policies)
def test_allocation_follows_the_waterfall_order(amount, items, policy):
    """Nothing later in the order is paid while something earlier is left unpaid."""
    ordered = rules.order_due_items(items, policy)
    paid = {
        allocation.key: allocation.amount_minor
        for allocation in rules.allocate_payment(amount, items, policy).allocations
    }
    seen_short = False
    for item in ordered:
        if item.outstanding_minor == 0:
            continue
        if seen_short:
            assert item.key not in paid
        if paid.get(item.key, 0) < item.outstanding_minor:
            seen_short = True


def test_default_waterfall_is_oldest_first_then_fees_interest_principal():
    items = [
        DueItem("feb-principal", date(2024, 2, 29), Component.PRINCIPAL, 100),
        DueItem("jan-principal", date(2024, 1, 31), Component.PRINCIPAL, 100),
        DueItem("jan-interest", date(2024, 1, 31), Component.INTEREST, 20),
        DueItem("feb-fee", date(2024, 2, 29), Component.FEE, 12),
    ]
    result = rules.allocate_payment(150, items)
    assert [(a.key, a.amount_minor) for a in result.allocations] == [
        ("jan-interest", 20),
        ("jan-principal", 100),
        ("feb-fee", 12),
        ("feb-principal", 18),
    ]


def test_component_first_waterfall_pays_every_fee_before_interest():
    items = [
        DueItem("jan-interest", date(2024, 1, 31), Component.INTEREST, 20),
        DueItem("feb-fee", date(2024, 2, 29), Component.FEE, 12),
    ]
    policy = WaterfallPolicy(due_order=DueOrder.COMPONENT_FIRST)
    assert [a.key for a in rules.allocate_payment(15, items, policy).allocations] == [
        "feb-fee",
        "jan-interest",
    ]


def test_waterfall_policy_needs_each_component_once():
    with pytest.raises(InvalidInput) as refused:
        WaterfallPolicy(components=(Component.FEE, Component.FEE, Component.PRINCIPAL))
    assert refused.value.field == "components"


# ----------------------------------------------------------------------------------------------------
# Arrears: compared with a plain, slow reference computation


def reference_arrears(schedule: list[Instalment], as_of: date) -> tuple[int, int, int]:
    """Walk day by day from the earliest due date: the slow and obvious way."""
    arrears = missed = 0
    oldest = None
    for instalment in schedule:
        late = instalment.due_on < as_of
        owed = instalment.amount_due_minor - instalment.amount_paid_minor
        if late and owed > 0:
            arrears += owed
            missed += 1
            oldest = instalment.due_on if oldest is None else min(oldest, instalment.due_on)
    days = 0
    if oldest is not None:
        day = oldest
        while day < as_of:
            day += timedelta(days=1)
            days += 1
    return arrears, missed, days


instalments = st.lists(
    st.builds(
        lambda offset, due, paid_share: Instalment(
            DAY0 + timedelta(days=offset), due, min(due, due * paid_share // 4)
        ),
        offset=st.integers(0, 800),
        due=st.integers(0, 100_000),
        paid_share=st.integers(0, 4),
    ),
    max_size=40,
)


@settings(max_examples=200)
@given(schedule=instalments, as_of_offset=st.integers(0, 900))
def test_arrears_match_the_reference_computation(schedule, as_of_offset):
    as_of = DAY0 + timedelta(days=as_of_offset)
    result = rules.compute_arrears(schedule, as_of)
    assert (result.arrears_minor, result.missed_payments, result.days_past_due) == reference_arrears(
        schedule, as_of
    )
    assert result.arrears_minor >= 0
    assert (result.days_past_due == 0) == (
        result.missed_payments == 0
    ) or result.oldest_unpaid_due_on == as_of
    assert (result.arrears_minor == 0) == (result.missed_payments == 0)


@given(schedule=instalments, as_of_offset=st.integers(0, 900), extra=st.integers(1, 60))
def test_days_past_due_only_grow_while_nothing_is_paid(schedule, as_of_offset, extra):
    as_of = DAY0 + timedelta(days=as_of_offset)
    earlier = rules.compute_arrears(schedule, as_of)
    later = rules.compute_arrears(schedule, as_of + timedelta(days=extra))
    assert later.days_past_due >= earlier.days_past_due
    assert later.arrears_minor >= earlier.arrears_minor


def monthly(first: date, count: int, amount: int, paid: list[int]) -> list[Instalment]:
    from dateutil.relativedelta import relativedelta

    return [
        Instalment(first + relativedelta(months=n), amount, paid[n] if n < len(paid) else 0)
        for n in range(count)
    ]


def test_month_end_schedule_counts_calendar_days_across_february_in_a_leap_year():
    # Due on the 31st: the next due dates are 29 Feb 2024 (leap year), 31 Mar, 30 Apr.
    schedule = monthly(date(2024, 1, 31), 4, 10_000, paid=[10_000])
    assert [i.due_on for i in schedule] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]
    on_due_day = rules.compute_arrears(schedule, date(2024, 2, 29))
    assert on_due_day.days_past_due == 0 and on_due_day.arrears_minor == 0
    next_day = rules.compute_arrears(schedule, date(2024, 3, 1))
    assert (next_day.arrears_minor, next_day.missed_payments, next_day.days_past_due) == (10_000, 1, 1)
    result = rules.compute_arrears(schedule, date(2024, 5, 1))
    assert result.arrears_minor == 30_000 and result.missed_payments == 3
    assert result.days_past_due == 62  # 29 Feb -> 29 Apr is 60 days, then 30 Apr and 1 May
    assert result.oldest_unpaid_due_on == date(2024, 2, 29)
    assert rules.bucket_for(result.days_past_due) == "60-89"


def test_non_leap_year_february_month_end():
    schedule = monthly(date(2023, 1, 31), 2, 5_000, paid=[5_000])
    assert schedule[1].due_on == date(2023, 2, 28)
    assert rules.compute_arrears(schedule, date(2023, 3, 31)).days_past_due == 31


def test_partial_payment_leaves_the_instalment_missed():
    schedule = [Instalment(date(2024, 3, 15), 10_000, 9_999)]
    result = rules.compute_arrears(schedule, date(2024, 4, 15))
    assert (result.arrears_minor, result.missed_payments, result.days_past_due) == (1, 1, 31)


# ----------------------------------------------------------------------------------------------------
# Buckets


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_bucket_is_monotone_in_days_past_due(first, second):
    low, high = sorted((first, second))
    bands = rules.DEFAULT_BUCKETS
    assert bands.rank(rules.bucket_for(low)) <= bands.rank(rules.bucket_for(high))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "current"), (1, "1-29"), (29, "1-29"), (30, "30-59"), (59, "30-59"), (60, "60-89"), (89, "60-89"),
     (90, "90-119"), (119, "90-119"), (120, "120-149"), (150, "150-179"), (179, "150-179"), (180, "180+"),
     (4000, "180+")],
)  # fmt: skip
def test_default_bucket_edges(days, bucket):
    assert rules.bucket_for(days) == bucket


def test_custom_bands_are_checked():
    with pytest.raises(InvalidInput):
        rules.BucketBands(lower_bounds=(1, 30), codes=("a", "b"))
    bands = rules.BucketBands(lower_bounds=(0, 1, 91), codes=("current", "early", "late"))
    assert bands.bucket_for(90) == "early" and bands.bucket_for(91) == "late"


# ----------------------------------------------------------------------------------------------------
# Status transitions and postings


def test_illegal_status_move_raises_named_error():
    with pytest.raises(rules.IllegalTransition) as refused:
        rules.check_transition("closed", "up_to_date")
    assert refused.value.rule == "STATUS-TRANSITION"
    with pytest.raises(rules.IllegalTransition):
        rules.check_transition("breathing_space", "default")  # BS-EFFECT: no enforcement during a moratorium


def test_legal_status_move_returns_the_target():
    assert rules.check_transition("in_arrears", "arrangement") is rules.AgreementStatus.ARRANGEMENT


def test_every_status_is_in_the_table():
    assert set(rules.STATUS_TRANSITIONS) == set(rules.AgreementStatus)


@pytest.mark.parametrize(
    ("kind", "amount", "expected"),
    [
        ("payment", 100, -100),
        ("fee", 100, 100),
        ("adjustment", -5, -5),
        ("waiver", 7, -7),
        ("payment_reversal", 3, 3),
    ],
)
def test_signed_amounts(kind, amount, expected):
    assert rules.signed_amount(kind, amount) == expected


@pytest.mark.parametrize(
    ("kind", "amount", "field"),
    [("payment", -1, "amount_minor"), ("bonus", 1, "kind"), ("adjustment", 0, "amount_minor")],
)
def test_bad_postings_name_the_field(kind, amount, field):
    with pytest.raises(InvalidInput) as refused:
        rules.signed_amount(kind, amount)
    assert refused.value.field == field


def test_address_decides_calendar_and_time_zone():
    assert rules.holiday_calendar_for("GB", "SCT") == ("GB", "SCT")
    assert rules.time_zone_for("US", "CA") == "America/Los_Angeles"
    with pytest.raises(InvalidInput) as refused:
        rules.time_zone_for("GB", "XX")
    assert refused.value.field == "region"


def test_search_keys():
    assert rules.normalise_phone("+44 7700 900123") == rules.normalise_phone("07700 900123") == "7700900123"
    assert rules.normalise_phone("+1 (212) 555-0100") == "2125550100"
    assert rules.normalise_postcode(" sw1a 1aa ") == "SW1A1AA"
