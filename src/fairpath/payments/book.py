"""The part of a client's book one file can touch, read in bulk for the matching cascade.

A statement names references, customer numbers, payer names and amounts; only agreements reachable from
those are read, in a handful of set-based queries whatever the file or book size (never one per line):

  1. exact       the words of the lines' texts against agreement references (the unique index)
  2. normalised  for lines with no exact hit, every window of their squashed text (and each window with
                 two adjacent digits swapped), plus the swapped forms of the references found in step 1,
                 against the references normalised in SQL; windows against customer numbers likewise
  3. customers   the agreements of customers found by their customer number (the customer index)
  4. amounts     for lines that no reference reaches, agreements whose instalment or expected payment is
                 exactly the line's amount (the name-and-amount step scores payer names against these)
  5. names and expected payments (arrangement and promise instalments around the lines' dates) of every
     agreement read above, by id

The cascade then runs in memory over this partial book exactly as over the whole one: every key it looks up
was asked for, so it finds what the whole book would have given it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.db import connection

from fairpath.accounts.models import Agreement, Customer
from fairpath.clients.models import Client
from fairpath.payments import matching, parsers

EXPECTED_WINDOW_DAYS = 7
CLOSED_STATUSES = ("settled", "closed", "written_off")
_WORDS = re.compile(r"[^A-Z0-9]+")
_SQLITE_NORMALISE = "payments_normalise"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _normalised(column: str) -> str:
    """SQL for matching.normalise(column): upper case, letters and digits only, O/I/S/B folded to 0/1/5/8.

    PostgreSQL computes it in the query; SQLite calls the Python function itself (registered here)."""
    if connection.vendor == "postgresql":
        return f"translate(regexp_replace(upper({column}), '[^A-Z0-9]', '', 'g'), 'OISB', '0158')"
    connection.ensure_connection()
    connection.connection.create_function(  # type: ignore[union-attr]
        _SQLITE_NORMALISE, 1, lambda text: matching.normalise(text or ""), deterministic=True
    )
    return f"{_SQLITE_NORMALISE}({column})"


def any_of(expression: str, values: Iterable[Any], kind: str) -> tuple[str, list[Any]]:
    """``expression`` is one of ``values``, as one parameter whatever their number (kind: bigint or text)."""
    items = list(values)
    if connection.vendor == "postgresql":
        if kind == "bigint":
            return f"{expression} = ANY(%s::bigint[])", ["{" + ",".join(str(int(v)) for v in items) + "}"]
        return f"{expression} = ANY(%s::text[])", [text_array(items)]
    return f"{expression} IN (SELECT value FROM json_each(%s))", [json.dumps(items)]


def text_array(values: Iterable[Any]) -> str:
    """A PostgreSQL text[] literal of ``values``, sent as one parameter."""
    return "{" + ",".join(_array_text(str(value)) for value in values) + "}"


def _array_text(value: str) -> str:
    """One element of a PostgreSQL array literal, quoted (sent as one text parameter: no per-item adapting)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rows(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_AGREEMENT_COLUMNS = ("id", "customer_id", "reference", "currency", "instalment_minor", "status")


class _Reader:
    """Agreements read so far (id -> row), their customers' names and expected payments, and the queries
    that add to them — each asks only for what is not read yet."""

    def __init__(self, client: Client, since: Any, until: Any) -> None:
        self.client = client
        self.since, self.until = since, until
        self.agreements: dict[int, tuple] = {}
        self.names: dict[int, str] = {}
        self.expected: dict[int, set[tuple[int, str]]] = defaultdict(set)
        self.expected_read: set[int] = set()
        self.table = _quote(Agreement._meta.db_table)
        self.columns = ", ".join(_quote(name) for name in _AGREEMENT_COLUMNS)

    def where(self, condition: str, params: list[Any]) -> list[tuple]:
        found = _rows(
            f"SELECT {self.columns} FROM {self.table} WHERE {_quote('client_id')} = %s AND {condition}",  # noqa: S608
            [self.client.pk, *params],
        )
        for row in found:
            self.agreements[row[0]] = row
        return found

    def by_references(self, references: set[str]) -> list[tuple]:
        return self.where(*any_of(_quote("reference"), sorted(references), "text")) if references else []

    def by_normalised(self, keys: set[str]) -> list[tuple]:
        return self.where(*any_of(_normalised(_quote("reference")), sorted(keys), "text")) if keys else []

    def by_customers(self, customer_ids: set[int]) -> list[tuple]:
        return (
            self.where(*any_of(_quote("customer_id"), sorted(customer_ids), "bigint")) if customer_ids else []
        )

    def by_instalments(self, amounts: set[int]) -> list[tuple]:
        return self.where(*any_of(_quote("instalment_minor"), sorted(amounts), "bigint")) if amounts else []

    def by_ids(self, ids: set[int]) -> list[tuple]:
        missing = ids - self.agreements.keys()
        return self.where(*any_of(_quote("id"), sorted(missing), "bigint")) if missing else []

    def read_names_and_expected(self) -> None:
        """Names of the customers, and payments expected, of every agreement read and not yet looked at."""
        customer_ids = {row[1] for row in self.agreements.values()} - self.names.keys()
        if customer_ids:
            condition, params = any_of(_quote("id"), sorted(customer_ids), "bigint")
            for customer_id, first, last in _rows(
                f"SELECT {_quote('id')}, {_quote('first_name')}, {_quote('last_name')} "  # noqa: S608
                f"FROM {_quote(Customer._meta.db_table)} WHERE {condition}",
                params,
            ):
                self.names[customer_id] = matching.name_key(f"{first} {last}")
        agreement_ids = self.agreements.keys() - self.expected_read
        for agreement_id, amount, why in _expected_rows(
            self.client, self.since, self.until, agreement_ids=set(agreement_ids)
        ):
            self.expected[agreement_id].add((amount, why))
        self.expected_read |= agreement_ids

    def fit(self, line: parsers.ParsedLine, agreement_id: int) -> int:
        row = self.agreements[agreement_id]
        expected = (value for value, _ in self.expected.get(agreement_id, ()))
        return matching.fit(line.payer_name, line.amount_minor, self.names.get(row[1], ""), row[4], expected)


def reference_lengths(client: Client) -> tuple[int, ...]:
    """Every length a normalised agreement reference or customer number of the client has.

    On PostgreSQL a loose scan of the index on the normalised length (migration payments 0002): one index
    probe per distinct length, whatever the size of the book. Elsewhere the references are read and folded."""
    lengths: set[int] = set()
    for model in (Agreement, Customer):
        table = _quote(model._meta.db_table)
        length = f"length({_normalised(_quote('reference'))})"
        client_column = _quote("client_id")
        if connection.vendor == "postgresql":
            found = _rows(
                f"WITH RECURSIVE found(n) AS (SELECT min({length}) FROM {table} WHERE {client_column} = %s "  # noqa: S608
                f"UNION ALL SELECT (SELECT min({length}) FROM {table} WHERE {client_column} = %s AND {length} > found.n) "
                "FROM found WHERE found.n IS NOT NULL) SELECT n FROM found WHERE n IS NOT NULL",
                [client.pk, client.pk],
            )
        else:
            found = _rows(
                f"SELECT DISTINCT {length} FROM {table} WHERE {client_column} = %s",  # noqa: S608
                [client.pk],
            )
        lengths |= {int(value) for (value,) in found if value}
    return tuple(sorted(lengths))


def _transpositions(keys: Iterable[str]) -> set[str]:
    return {variant for key in keys for variant in matching.transpositions(key)}


def load_book(client: Client, lines: Sequence[parsers.ParsedLine]) -> matching.Book:
    """The agreements, customers and expected payments the lines can reach (see the module docstring)."""
    since, until = _date_window(lines)
    reader = _Reader(client, since, until)
    lengths = reference_lengths(client) if lines else ()
    words_of = [{word for word in _WORDS.split(line.reference.upper()) if word} for line in lines]
    by_upper: dict[str, list[tuple]] = defaultdict(list)
    for row in reader.by_references(set().union(*words_of) if words_of else set()):
        by_upper[row[2].upper()].append(row)
    exact_of = [
        {row[0] for word in words for row in by_upper.get(word, ()) if row[3] == line.currency}
        for line, words in zip(lines, words_of, strict=True)
    ]
    # 2. an exact hit the payer's name and amount do not both confirm is checked against the references one
    # transposition away; lines with no exact hit look up every window of their text, and its transpositions
    reader.read_names_and_expected()
    neighbours: set[str] = set()
    for line, hits in zip(lines, exact_of, strict=True):
        if len(hits) == 1:
            (agreement_id,) = hits
            if reader.fit(line, agreement_id) < 2:
                neighbours |= _transpositions([matching.normalise(reader.agreements[agreement_id][2])])
    pending = [index for index, hits in enumerate(exact_of) if not hits]
    windows_of = {
        index: set(matching.windows(matching.normalise(lines[index].reference), lengths)) for index in pending
    }
    windows: set[str] = set().union(*windows_of.values()) if windows_of else set()
    reader.by_normalised(windows | _transpositions(windows) | neighbours)
    customer_refs: dict[str, int] = {}
    if windows:
        condition, params = any_of(_normalised(_quote("reference")), sorted(windows), "text")
        for customer_id, reference in _rows(
            f"SELECT {_quote('id')}, {_quote('reference')} FROM {_quote(Customer._meta.db_table)} "  # noqa: S608
            f"WHERE {_quote('client_id')} = %s AND {condition}",
            [client.pk, *params],
        ):
            customer_refs[matching.normalise(reference)] = customer_id
    # 3. every agreement of a customer found by customer number
    reader.by_customers(set(customer_refs.values()))
    # 4. lines no reference reaches: agreements expecting exactly their amount
    by_key: dict[str, set[str]] = defaultdict(set)
    for row in reader.agreements.values():
        by_key[matching.normalise(row[2])].add(row[3])
    leftover_amounts: set[int] = set()
    for index in pending:
        line, keys = lines[index], windows_of[index]
        reached = any(line.currency in by_key.get(key, ()) for key in keys | _transpositions(keys))
        by_customer = any(key in customer_refs for key in keys)
        if (not reached or by_customer) and line.amount_minor > 0 and line.payer_name.strip():
            leftover_amounts.add(line.amount_minor)
    reader.by_instalments(leftover_amounts)
    reader.by_ids({row[0] for row in _expected_rows(client, since, until, amounts=leftover_amounts)})
    # 5. names and expected payments of everything read
    reader.read_names_and_expected()
    return _book(reader, customer_refs, lengths)


def _book(reader: _Reader, customer_refs: dict[str, int], lengths: tuple[int, ...]) -> matching.Book:
    agreements: dict[int, matching.Candidate] = {}
    by_reference: dict[str, int] = {}
    by_normalised: dict[str, list[int]] = defaultdict(list)
    customer_agreements: dict[int, list[int]] = defaultdict(list)
    # In reference order, as the whole book is read (ties between equal name scores go the same way).
    for agreement_id, customer_id, reference, currency, instalment, status in sorted(
        reader.agreements.values(), key=lambda row: (row[2], row[0])
    ):
        agreements[agreement_id] = matching.Candidate(
            agreement_id, customer_id, reference, currency, instalment
        )
        by_reference[reference.upper()] = agreement_id
        by_normalised[matching.normalise(reference)].append(agreement_id)
        if status not in CLOSED_STATUSES:
            customer_agreements[customer_id].append(agreement_id)
    return matching.Book(
        agreements=agreements,
        by_reference=by_reference,
        by_normalised=dict(by_normalised),
        customer_refs=customer_refs,
        customer_names={
            customer_id: reader.names.get(customer_id, "")
            for customer_id in {candidate.customer_id for candidate in agreements.values()}
        },  # fmt: skip
        customer_agreements=dict(customer_agreements),
        expected={
            agreement_id: reader.expected[agreement_id]
            for agreement_id in agreements
            if reader.expected.get(agreement_id)
        },  # fmt: skip
        reference_lengths=lengths,
    )


def _date_window(lines: Sequence[parsers.ParsedLine]) -> tuple[Any, Any]:
    if not lines:
        return None, None
    return (
        min(line.booked_on for line in lines) - timedelta(days=EXPECTED_WINDOW_DAYS),
        max(line.booked_on for line in lines) + timedelta(days=EXPECTED_WINDOW_DAYS),
    )


def _expected_rows(
    client: Client,
    since: Any,
    until: Any,
    *,
    amounts: set[int] | None = None,
    agreement_ids: set[int] | None = None,
) -> list[tuple[int, int, str]]:
    """(agreement id, amount, 'arrangement' | 'promise') of active arrangement and open promise instalments
    due between the dates, narrowed to the amounts or the agreements given."""
    if (
        since is None
        or (amounts is not None and not amounts)
        or (agreement_ids is not None and not agreement_ids)
    ):
        return []
    try:
        from fairpath.collections.models import (
            Arrangement,
            ArrangementInstalment,
            Promise,
            PromiseInstalment,
        )
    except ImportError:  # pragma: no cover - collections not installed
        return []
    found: list[tuple[int, int, str]] = []
    for why, instalment, parent, status, link in (
        ("arrangement", ArrangementInstalment, Arrangement, "active", "arrangement_id"),
        ("promise", PromiseInstalment, Promise, "open", "promise_id"),
    ):
        conditions = [
            f"i.{_quote('client_id')} = %s",
            f"i.{_quote('due_on')} BETWEEN %s AND %s",
            f"p.{_quote('status')} = %s",
        ]
        params: list[Any] = [client.pk, since, until, status]
        if amounts is not None:
            condition, extra = any_of(f"i.{_quote('amount_minor')}", sorted(amounts), "bigint")
            conditions.append(condition)
            params += extra
        if agreement_ids is not None:
            condition, extra = any_of(f"p.{_quote('agreement_id')}", sorted(agreement_ids), "bigint")
            conditions.append(condition)
            params += extra
        for agreement_id, amount in _rows(
            f"SELECT p.{_quote('agreement_id')}, i.{_quote('amount_minor')} "  # noqa: S608
            f"FROM {_quote(instalment._meta.db_table)} i JOIN {_quote(parent._meta.db_table)} p "
            f"ON p.{_quote('id')} = i.{_quote(link)} WHERE " + " AND ".join(conditions),
            params,
        ):
            found.append((agreement_id, amount, why))
    return found


def load_whole_book(client: Client, lines: Sequence[parsers.ParsedLine]) -> matching.Book:
    """Every agreement, customer number and name of the client, and every payment expected around the lines'
    dates: what :func:`load_book` must agree with (the tests compare the two), and fine for small books."""
    agreements: dict[int, matching.Candidate] = {}
    by_reference: dict[str, int] = {}
    by_normalised: dict[str, list[int]] = defaultdict(list)
    customer_agreements: dict[int, list[int]] = defaultdict(list)
    rows = Agreement.objects.filter(client=client).values_list(
        "id", "customer_id", "reference", "currency", "instalment_minor", "status"
    )
    for agreement_id, customer_id, reference, currency, instalment, status in rows.iterator(chunk_size=20000):
        agreements[agreement_id] = matching.Candidate(
            agreement_id, customer_id, reference, currency, instalment
        )
        by_reference[reference.upper()] = agreement_id
        by_normalised[matching.normalise(reference)].append(agreement_id)
        if status not in ("settled", "closed", "written_off"):
            customer_agreements[customer_id].append(agreement_id)
    customer_refs: dict[str, int] = {}
    customer_names: dict[int, str] = {}
    for customer_id, reference, first, last in (
        Customer.objects.filter(client=client)
        .values_list("id", "reference", "first_name", "last_name")
        .iterator(chunk_size=20000)
    ):
        customer_refs[matching.normalise(reference)] = customer_id
        customer_names[customer_id] = matching.name_key(f"{first} {last}")
    book = matching.Book(
        agreements=agreements,
        by_reference=by_reference,
        by_normalised=dict(by_normalised),
        customer_refs=customer_refs,
        customer_names=customer_names,
        customer_agreements=dict(customer_agreements),
        expected=_whole_expected(client, lines),
    )
    return book


def _whole_expected(client: Client, lines: Sequence[parsers.ParsedLine]) -> dict[int, set[tuple[int, str]]]:
    """Arrangement and promise instalments due within a week of the lines' dates, by agreement."""
    expected: dict[int, set[tuple[int, str]]] = defaultdict(set)
    if not lines:
        return expected
    since = min(line.booked_on for line in lines) - timedelta(days=EXPECTED_WINDOW_DAYS)
    until = max(line.booked_on for line in lines) + timedelta(days=EXPECTED_WINDOW_DAYS)
    try:
        from fairpath.collections.models import ArrangementInstalment, PromiseInstalment
    except ImportError:  # pragma: no cover - collections not installed
        return expected
    for agreement_id, amount in ArrangementInstalment.objects.filter(
        client=client, due_on__range=(since, until), arrangement__status="active"
    ).values_list("arrangement__agreement_id", "amount_minor"):
        expected[agreement_id].add((amount, "arrangement"))
    for agreement_id, amount in PromiseInstalment.objects.filter(
        client=client, due_on__range=(since, until), promise__status="open"
    ).values_list("promise__agreement_id", "amount_minor"):
        expected[agreement_id].add((amount, "promise"))
    return expected
