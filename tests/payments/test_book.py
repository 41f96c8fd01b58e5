"""The book read in part for a file gives the cascade exactly the answers the whole book gives."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairpath.payments import matching
from fairpath.payments.book import load_book, load_whole_book
from fairpath.payments.parsers.common import ParsedLine
from tests.factories.accounts import make_agreement, make_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


@pytest.fixture
def book(client_a):
    """References one transposition apart, a lower-case and a punctuated one, one customer with two loans,
    two customers of the same name, and different instalments."""
    people = [
        ("Ada", "Lovelace", "CUS0000001", ["AG00001234", "AG00001243"]),
        ("Robert", "Brown", "CUS0000002", ["AG00002134"]),
        ("Robert", "Brown", "CUS0000003", ["ag00009876"]),
        ("Grace", "Hopper", "CUS0000004", ["AG-0000-5555", "AG00005678"]),
        ("Alan", "Turing", "CUS0000005", ["AG00007777"]),
    ]
    instalments = iter([10_000, 5_000, 10_000, 7_500, 10_000, 2_500, 4_000])
    agreements = {}
    for first, last, customer_reference, references in people:
        customer = make_customer(client_a, first_name=first, last_name=last, reference=customer_reference)
        for reference in references:
            agreements[reference] = make_agreement(
                customer, reference=reference, instalment_minor=next(instalments)
            )
    return agreements


TEXTS = [
    "AG00001234", "AG00001243", "ag 0000-1234", "AGOOOO1234", "AG00002143", "AG00009876", "ag00009867",
    "CUS0000001", "CUS 0000 004", "AG00001234 AG00001243", "AG00005555", "PAYMENT", "", "INV 4471",
    "REF AG00007777 THANKS", "AG0000777",
]  # fmt: skip
NAMES = [
    "ADA LOVELACE",
    "A LOVELACE",
    "ROBERT BROWN",
    "R BROWNE",
    "HOPPER G",
    "MR ALAN TURING",
    "J BLOGGS",
    "",
]
AMOUNTS = [10_000, 5_000, 7_500, 2_500, 4_000, 15_000, 12_345, 100]


@given(
    lines=st.lists(
        st.tuples(st.sampled_from(TEXTS), st.sampled_from(NAMES), st.sampled_from(AMOUNTS)),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_book_read_in_part_decides_as_the_whole_book(client_a, book, lines):
    parsed = [
        ParsedLine(
            line_no=n, booked_on=DAY, amount_minor=amount, currency="GBP", reference=text, payer_name=name
        )
        for n, (text, name, amount) in enumerate(lines, start=1)
    ]
    inputs = [matching.LineIn(p.line_no, p.amount_minor, p.currency, p.booked_on, p.reference, p.payer_name)
              for p in parsed]  # fmt: skip
    part = load_book(client_a, parsed)
    whole = load_whole_book(client_a, parsed)
    assert matching.match_lines(inputs, part) == matching.match_lines(inputs, whole)
    assert set(part.agreements) <= set(whole.agreements)


def test_only_what_the_file_can_reach_is_read_in_a_fixed_number_of_queries(client_a, book):
    others = [  # references of their own: the factory's AG numbering could reach the book's fixed ones
        make_agreement(make_customer(client_a), instalment_minor=99_999, reference=f"OTHER{n:05d}")
        for n in range(30)
    ]
    one = [ParsedLine(line_no=1, booked_on=DAY, amount_minor=10_000, currency="GBP", reference="AG00007777",
                      payer_name="ALAN TURING")]  # fmt: skip
    many = one * 40
    with CaptureQueriesContext(connection) as few:
        part = load_book(client_a, one)
    with CaptureQueriesContext(connection) as more:
        load_book(client_a, many)
    assert set(part.agreements) == {book["AG00007777"].pk}
    assert not {agreement.pk for agreement in others} & set(part.agreements)
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "reference", ['AB"12', "AB\\12", "AB,12", "{AB12}", "AB 12", "NULL", "ÄB12", "AB'12"]
)
def test_references_with_quotes_commas_and_braces_are_looked_up_exactly(client_a, reference):
    """The lookups send references as one array parameter: quoting in it must not change what is asked."""
    agreement = make_agreement(make_customer(client_a), reference=reference)
    line = ParsedLine(line_no=1, booked_on=DAY, amount_minor=10_000, currency="GBP", reference=reference)
    book = load_book(client_a, [line])
    assert agreement.pk in book.agreements
    whole = load_whole_book(client_a, [line])
    inputs = [matching.LineIn(1, 10_000, "GBP", DAY, reference, "")]
    assert matching.match_lines(inputs, book) == matching.match_lines(inputs, whole)
