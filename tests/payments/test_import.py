"""Import through the action: posting via the accounts waterfall, idempotency, overlap, refusals change nothing."""

from __future__ import annotations

import pytest

from fairpath.accounts.models import LedgerEntry
from fairpath.core.errors import InvalidInput, NotPermitted
from fairpath.governance.models import AuditEvent
from fairpath.payments import actions
from fairpath.payments.models import Match, PaymentFile, StatementLine
from fairpath.work.models import WorkItem
from tests.factories import SETUP, make_user
from tests.factories.accounts import make_agreement, make_customer
from tests.factories.payments import arudd, camt054, import_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(client_a):
    ada = make_customer(client_a, first_name="Ada", last_name="Lovelace", reference="CUS0000001")
    bob = make_customer(client_a, first_name="Robert", last_name="Brown", reference="CUS0000002")
    return {
        "ada1": make_agreement(ada, reference="AG00001234"),
        "ada2": make_agreement(ada, reference="AG00005678", instalment_minor=5_000),
        "bob": make_agreement(bob, reference="AG00009876"),
    }


def payments_on(agreement) -> list[int]:
    return list(
        LedgerEntry.objects.filter(agreement=agreement, kind="payment").values_list("amount_minor", flat=True)
    )


def snapshot():
    return (LedgerEntry.objects.count(), StatementLine.objects.count(), Match.objects.count(),
            PaymentFile.objects.count(), WorkItem.objects.count())  # fmt: skip


def test_exact_reference_posts_through_the_waterfall(client_a, book):
    summary = import_lines(client_a, [("100.00", "AG00001234", "ADA LOVELACE")])
    assert (summary.posted, summary.suggested, summary.suspense) == (1, 0, 0)
    assert payments_on(book["ada1"]) == [-10_000]
    match = Match.objects.get()
    assert (match.step, match.confidence, match.status) == ("exact", 1.0, "posted")
    assert match.entry.allocations.exists()


def test_cascade_steps(client_a, book):
    summary = import_lines(
        client_a,
        [
            ("100.00", "ag-0000 1234", "A LOVELACE"),  # normalised: spacing and punctuation
            ("100.00", "AGOOOO9876", "R BROWN"),  # normalised: O for 0
            ("100.00", "AG00009867", "ROBERT BROWN"),  # transposed digits, amount agrees
            ("150.00", "CUS0000001", "ADA LOVELACE"),  # customer reference: both instalments exactly
            ("150.00", "AG00001234 AG00005678", "ADA LOVELACE"),  # several agreements of one customer
            ("100.00", "INVOICE 42", "Robert Brown"),  # name and expected amount only
            ("33.00", "GIFT", "SOMEONE ELSE"),  # nothing fits: suspense
        ],
    )
    steps = dict(
        Match.objects.filter(status__in=("posted", "suggested"))
        .values_list("line__line_no", "step")
        .distinct()
    )
    assert steps == {
        1: "normalised",
        2: "normalised",
        3: "transposed",
        4: "multi",
        5: "multi",
        6: "name_amount",
    }
    assert summary.suspense == 1 and summary.posted == 6
    assert sorted(payments_on(book["ada2"])) == [-5_000, -5_000]
    assert StatementLine.objects.get(line_no=7).status == "suspense"


def test_below_threshold_is_a_suggestion_with_a_work_item(client_a, book):
    summary = import_lines(client_a, [("100.00", "INVOICE 42", "R Browne")])
    assert summary.suggested == 1 and summary.posted == 0
    assert payments_on(book["bob"]) == []
    line = StatementLine.objects.get()
    item = WorkItem.objects.get(object_type="payments.statementline", object_id=str(line.pk))
    assert item.kind == "reconciliation_exception" and item.agreement_id == book["bob"].pk
    actions.confirm_suggestion(line=line, actor=make_user("back_office_executive", client_a))
    assert payments_on(book["bob"]) == [-10_000]
    item.refresh_from_db()
    assert item.status == "done"


def test_same_file_twice_posts_nothing_twice(client_a, book):
    data = camt054([("100.00", "AG00001234", "ADA")])
    first = actions.import_file(client=client_a, data=data, name="a.xml", actor=SETUP)
    second = actions.import_file(client=client_a, data=data, name="a.xml", actor=SETUP)
    assert first.posted == 1 and second.already_imported and second.posted == 0 and second.skipped == 1
    assert payments_on(book["ada1"]) == [-10_000]


def test_overlapping_file_skips_lines_already_imported(client_a, book):
    import_lines(client_a, [("100.00", "AG00001234", "ADA"), ("100.00", "AG00009876", "BOB")])
    summary = import_lines(
        client_a,
        [("100.00", "AG00001234", "ADA"), ("100.00", "AG00009876", "BOB"), ("50.00", "AG00005678", "ADA")],
    )
    assert (summary.skipped, summary.posted) == (2, 1)
    assert payments_on(book["ada1"]) == [-10_000] and payments_on(book["ada2"]) == [-5_000]


def test_two_identical_payments_in_one_file_are_both_posted(client_a, book):
    summary = import_lines(client_a, [("100.00", "AG00001234", "ADA"), ("100.00", "AG00001234", "ADA")])
    # Different bank references make them different movements; identical ones count occurrences.
    assert summary.posted == 2


@pytest.mark.parametrize(
    "data",
    [
        camt054([("100.00", "AG00001234", "ADA")])[:-40],  # truncated
        camt054([("100.00", "AG00001234", "ADA")], currency="XYZ"),  # unknown currency
        arudd([("100.00", "AG00001234", "0")]).replace(
            b'numberOf="1" valueOf="100.00"', b'numberOf="1" valueOf="99.00"'
        ),
    ],
)
def test_bad_files_change_nothing(client_a, book, data):
    before = snapshot()
    with pytest.raises(InvalidInput):
        actions.import_file(client=client_a, data=data, name="bad", actor=SETUP)
    assert snapshot() == before


def test_csv_mapping_with_missing_column_changes_nothing(client_a, book):
    actions.save_mapping(client=client_a, name="bank", columns={"date": "Date", "amount": "Amt", "reference": "Ref"},
                         actor=SETUP)  # fmt: skip
    before = snapshot()
    with pytest.raises(InvalidInput, match="'Amt'"):
        actions.import_file(client=client_a, data=b"Date,Amount,Ref\n2026-12-07,100.00,AG00001234\n",
                            name="x.csv", actor=SETUP, fmt="csv", mapping="bank")  # fmt: skip
    assert snapshot() == before


def test_returned_direct_debit_reverses_the_payment(client_a, book):
    import_lines(client_a, [("100.00", "AG00001234", "ADA")])
    summary = actions.import_file(client=client_a, data=arudd([("100.00", "AG00001234", "0")]), name="r",
                                  actor=SETUP)  # fmt: skip
    assert summary.returned == 1
    reversal = LedgerEntry.objects.get(agreement=book["ada1"], kind="payment_reversal")
    assert reversal.amount_minor == 10_000 and "Bacs reason 0" in reversal.description
    assert Match.objects.get(step="return").reversal == reversal


def test_return_with_no_payment_goes_to_suspense(client_a, book):
    summary = actions.import_file(client=client_a, data=arudd([("100.00", "AG00001234", "B")]), name="r",
                                  actor=SETUP)  # fmt: skip
    assert summary.suspense == 1 and not LedgerEntry.objects.filter(kind="payment_reversal").exists()


def test_unmatch_and_move_reverse_and_repost_with_audit(client_a, book):
    import_lines(client_a, [("100.00", "AG00001234", "ADA")])
    line = StatementLine.objects.get()
    executive = make_user("back_office_executive", client_a)
    actions.move_line(line=line, allocations=[(book["bob"], 10_000)], actor=executive, reason="Bob's money")
    assert sorted(payments_on(book["ada1"])) == [-10_000]
    assert LedgerEntry.objects.filter(agreement=book["ada1"], kind="payment_reversal").count() == 1
    assert payments_on(book["bob"]) == [-10_000]
    assert (
        AuditEvent.objects.filter(action__in=("payments.line_unmatched", "payments.line_matched")).count()
        == 2
    )


def test_manual_match_refuses_shares_that_do_not_add_up_and_changes_nothing(client_a, book):
    import_lines(client_a, [("33.00", "GIFT", "SOMEONE")])
    line = StatementLine.objects.get()
    before = snapshot()
    with pytest.raises(InvalidInput):
        actions.match_line(line=line, allocations=[(book["bob"], 1_000)], actor=SETUP)
    assert snapshot() == before


def test_foreign_client_refused(client_a, client_b, book):
    outsider = make_user("back_office_executive", client_b)
    with pytest.raises(NotPermitted):
        actions.import_file(client=client_a, data=camt054([("1.00", "X", "Y")]), name="x", actor=outsider)


def test_a_quoted_reference_that_is_a_transposition_of_a_better_fit_is_only_suggested(client_a, book):
    """AG00001243 exists (Bob, £70 a month); Ada pays her £100 quoting it — two digits of her AG00001234
    swapped. Posting it to Bob would be a false match: it becomes a suggestion for Ada's agreement."""
    bob = book["bob"].customer
    make_agreement(bob, reference="AG00001243", instalment_minor=7_000)
    summary = import_lines(client_a, [("100.00", "AG00001243", "ADA LOVELACE")])
    assert (summary.posted, summary.suggested) == (0, 1)
    match = Match.objects.get()
    assert (match.agreement, match.status, match.step) == (book["ada1"], "suggested", "transposed")
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_a_payment_of_a_promised_amount_matches_by_name_and_keeps_the_promise(client_a, book):
    from datetime import date

    import time_machine

    from fairpath.collections.promises import record_promise

    with time_machine.travel("2026-12-07 12:00Z", tick=False):
        promise = record_promise(agreement=book["ada1"], instalments=[(date(2026, 12, 7), 3_750)],
                                 made_on=date(2026, 12, 1), actor=SETUP)  # fmt: skip
        summary = import_lines(client_a, [("37.50", "THANK YOU", "ADA LOVELACE")])
    assert summary.posted == 1
    assert Match.objects.get().step == "name_amount"
    promise.refresh_from_db()
    assert promise.status == "kept"


def test_a_file_posts_its_lines_in_file_order_and_in_bulk(client_a, book, monkeypatch):
    """Auto-matched lines go to the ledger through post_payments_in_bulk in batches, each line's match keeping its own
    entry, and two payments to one agreement allocate in the file's order (the first pays January)."""
    monkeypatch.setattr(actions, "POSTING_BATCH", 2)
    calls = []
    real = actions.accounts_actions.post_payments_in_bulk
    monkeypatch.setattr(
        actions.accounts_actions,
        "post_payments_in_bulk",
        lambda **kwargs: calls.append(kwargs) or real(**kwargs),
    )
    summary = import_lines(
        client_a,
        [
            ("100.00", "AG00001234", "ADA LOVELACE"),
            ("60.00", "AG00001234", "ADA LOVELACE"),
            ("100.00", "AG00009876", "ROBERT BROWN"),
        ],
    )
    assert summary.posted == 3
    assert [len(call["payments"]) for call in calls] == [2, 1]
    matches = list(Match.objects.order_by("line__line_no"))
    assert [(m.entry.agreement_id, -m.entry.amount_minor) for m in matches] == [
        (book["ada1"].pk, 10_000),
        (book["ada1"].pk, 6_000),
        (book["bob"].pk, 10_000),
    ]
    first, second = (m.entry.allocations.get().instalment for m in matches[:2])
    assert (first.sequence, second.sequence) == (1, 2)


def _mt940(details: str, amount: str = "100,00") -> bytes:
    return (
        ":20:STMT\n:25:GB33BUKB20201555555555\n:60F:C261204GBP0,00\n"
        f":61:261207C{amount}NTRFNONREF\n:86:{details}\n:62F:C261207GBP{amount}\n-\n"
    ).encode()


@pytest.mark.parametrize(
    "details",
    [
        "166?00GUTSCHRIFT?20MONATSRATE?32BROWN, ROBERT",
        "/ORDP//NAME/ROBERT BROWN/ADDR/1 HIGH STREET/REMI/USTD//MONTHLY/",
        "/CNTP/GB33BUKB20201555555555/BUKBGB22/MR ROBERT BROWN/LONDON//REMI/USTD//MONTHLY/",
    ],
)
def test_mt940_structured_payer_name_feeds_the_name_matcher(client_a, book, details):
    summary = actions.import_file(client=client_a, data=_mt940(details), name="s.sta", actor=SETUP)
    assert summary.posted == 1
    match = Match.objects.get()
    assert (match.step, match.agreement_id) == ("name_amount", book["bob"].pk)
    assert payments_on(book["bob"]) == [-10_000]


def test_mt940_free_text_is_not_taken_for_a_name(client_a, book):
    summary = actions.import_file(
        client=client_a, data=_mt940("ROBERT BROWN MONTHLY"), name="s.sta", actor=SETUP
    )
    assert (summary.posted, summary.suspense) == (0, 1)
    assert payments_on(book["bob"]) == []


def test_a_returns_file_reverses_each_payment_once_in_bulk(client_a, book):
    """Two returns of the same amount on one agreement undo two different payments (the latest first); a return
    with no payment behind it goes to suspense; balances stay equal to the ledger and each returned payment's
    own match says it was returned."""
    import_lines(client_a, [("100.00", "AG00001234", "ADA"), ("100.00", "AG00001234", "ADA"),
                            ("100.00", "AG00009876", "BOB")])  # fmt: skip
    posted = dict(Match.objects.filter(step="exact").values_list("entry_id", "line__line_no"))
    summary = actions.import_file(
        client=client_a,
        data=arudd([("100.00", "AG00001234", "0"), ("100.00", "AG00001234", "B"), ("100.00", "AG00009876", "1"),
                    ("100.00", "AG00005678", "2")]),
        name="returns", actor=SETUP,
    )  # fmt: skip
    assert (summary.returned, summary.suspense) == (3, 1)
    reversals = LedgerEntry.objects.filter(kind="payment_reversal")
    assert sorted(reversal.reverses_id for reversal in reversals) == sorted(posted)
    assert {r.description for r in reversals if r.agreement_id == book["ada1"].pk} == {
        "Returned direct debit, Bacs reason 0: Refer to payer",
        "Returned direct debit, Bacs reason B: Account closed",
    }
    for agreement in book.values():
        agreement.refresh_from_db()
        assert agreement.balance_minor == sum(
            LedgerEntry.objects.filter(agreement=agreement).values_list("amount_minor", flat=True)
        )
    returned = Match.objects.filter(step="return")
    assert sorted(m.entry_id for m in returned) == sorted(posted)
    assert all(m.reversal.reverses_id == m.entry_id for m in returned)
    assert all(
        m.note.startswith("returned: Returned direct debit") for m in Match.objects.filter(step="exact")
    )
    assert StatementLine.objects.filter(is_return=True, status="returned").count() == 3
    assert StatementLine.objects.filter(is_return=True, status="suspense").count() == 1
    assert WorkItem.objects.filter(kind="reconciliation_exception").count() == 1


def test_a_returns_file_costs_the_same_queries_whatever_its_length(client_a, book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreements = [make_agreement(make_customer(client_a), reference=f"AG0000{7000 + n}") for n in range(6)]
    import_lines(client_a, [("100.00", agreement.reference, "PAYER") for agreement in agreements])

    def returns(chosen) -> int:
        data = arudd([("100.00", agreement.reference, "0") for agreement in chosen])
        with CaptureQueriesContext(connection) as queries:
            summary = actions.import_file(client=client_a, data=data, name=f"r{len(chosen)}", actor=SETUP)
        assert summary.returned == len(chosen)
        return len(queries.captured_queries)

    assert returns(agreements[:2]) == returns(agreements[2:])
