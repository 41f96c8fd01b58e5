"""Pure case rules: the card-number detector (P-PAN), the status table, closure checks, which deadlines apply."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpath.cases import rules
from fairpath.core.errors import InvalidInput, Refusal


def with_check_digit(prefix: str) -> str:
    for digit in "0123456789":
        if rules.luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError("unreachable")


card_numbers = st.integers(min_value=12, max_value=18).flatmap(
    lambda length: st.text("0123456789", min_size=length, max_size=length).map(with_check_digit)
)
separators = st.sampled_from(["", " ", "-"])
filler = st.text(alphabet="abcdefghij .,;:!?£", max_size=30)


@given(filler, card_numbers, separators, filler)
def test_a_card_number_anywhere_in_text_is_masked_to_first_six_and_last_four(before, card, separator, after):
    spaced = separator.join(card[i : i + 4] for i in range(0, len(card), 4))
    text, masked = rules.mask_card_numbers(f"{before} {spaced} {after}")
    assert masked == 1
    assert card not in re.sub(r"[ \-]", "", text)
    assert card[:6] + "*" * (len(card) - 10) + card[-4:] in text
    assert rules.find_card_numbers(text) == []


@given(st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_only_luhn_valid_runs_are_card_numbers(digits):
    found = rules.find_card_numbers(f"ref {digits} end")
    assert bool(found) == rules.luhn_valid(digits)


@given(st.text(alphabet="abc xyz0123456789", max_size=12))
def test_text_without_long_digit_runs_is_unchanged(text):
    assert rules.mask_card_numbers(text) == (text, 0)


def test_well_known_test_cards():
    for number in ("4111111111111111", "5500000000000004", "340000000000009", "6011000000000004"):
        assert rules.find_card_numbers(f"card {number}")[0][2] == number
    assert rules.find_card_numbers("card 4111111111111112") == []


def test_the_status_table_has_no_way_out_of_merged_and_closed_only_reopens():
    assert rules.STATUS_TRANSITIONS[rules.Status.MERGED] == frozenset()
    assert rules.STATUS_TRANSITIONS[rules.Status.CLOSED] == {rules.Status.OPEN}
    for status in rules.OPEN_STATUSES:
        assert rules.Status.CLOSED in rules.STATUS_TRANSITIONS[status]
    with pytest.raises(Refusal) as refused:
        rules.check_transition("closed", "awaiting_customer")
    assert refused.value.rule == "CASE-TRANSITION"
    with pytest.raises(InvalidInput):
        rules.check_transition("new", "limbo")


def test_which_regulatory_deadlines_apply():
    assert [d.rule for d in rules.regulatory_deadlines_for("complaint", "interest")] == ["D-SRC", "D-8WEEKS"]
    assert [d.rule for d in rules.regulatory_deadlines_for("complaint", "direct_debit")] == [
        "D-SRC", "D-PSD", "D-PSD-35",
    ]  # fmt: skip
    assert [d.rule for d in rules.regulatory_deadlines_for("subject_access_request", "data_protection")] == [
        "G-SAR"
    ]
    assert rules.regulatory_deadlines_for("enquiry", "interest") == ()


def test_closure_needs_an_outcome_and_a_root_cause():
    assert rules.check_closure(outcome="upheld", root_cause="delay", redress_minor=0) == rules.Outcome.UPHELD
    with pytest.raises(Refusal) as no_cause:
        rules.check_closure(outcome="upheld", root_cause="", redress_minor=0)
    assert (no_cause.value.rule, no_cause.value.field) == ("D-ROOT", "root_cause")
    with pytest.raises(InvalidInput):
        rules.check_closure(outcome="", root_cause="delay", redress_minor=0)


def test_escalation_chain_ends_at_the_head_of_operations():
    assert rules.next_escalation_level(0) == rules.EscalationLevel.TEAM_LEADER
    assert rules.next_escalation_level(2) == rules.EscalationLevel.HEAD_OF_OPERATIONS
    with pytest.raises(Refusal):
        rules.next_escalation_level(3)


@pytest.mark.parametrize(
    ("final_response", "deadline"),
    [(dt.date(2024, 8, 31), dt.date(2025, 2, 28)), (dt.date(2024, 1, 15), dt.date(2024, 7, 15))],
)
def test_ombudsman_referral_window_is_six_calendar_months(final_response, deadline):
    assert rules.fos_referral_deadline(final_response) == deadline
