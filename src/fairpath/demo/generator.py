"""The synthetic portfolio: a reproducible, realistic book of customers and agreements with their history.

``generate_portfolio(accounts=N, seed=S, as_of=D, months=M, client_code=C)`` simulates M months of each
agreement's life — schedule, interest, payments allocated by the default waterfall, late fees, arrears,
bucket and status changes — and loads it with bulk inserts (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), a few thousand accounts at a time, never row by row through the ORM. The distributions are
documented in docs/portfolio.md.

Reproducible: every random draw comes from ``numpy.random.default_rng(seed)`` (vectorised draws) and a
``random.Random`` seeded from it (per-event draws); timestamps are derived from the dates, never from the
clock. The same seed, size, as-of date and months give the same rows (ids aside) on any machine.
"""

from __future__ import annotations

import calendar
import collections
import functools
import itertools
import json
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

from fairpath.accounts import rules
from fairpath.accounts.models import (
    Address,
    Agreement,
    ArrearsState,
    BucketHistory,
    ContactPoint,
    ContactPreference,
    Customer,
    FeeTerm,
    LedgerEntry,
    PaymentAllocation,
    ScheduleInstalment,
    StatusHistory,
    ThirdParty,
    VulnerabilityCue,
)
from fairpath.clients.models import Client
from fairpath.core.errors import InvalidInput
from fairpath.governance.audit import SystemActor, record_event

ACTOR = SystemActor("generator")
CHUNK_CUSTOMERS = 2000
PARALLEL_FROM = 20_000  # accounts; below this, forking workers costs more than it saves
SUSPEND_KEYS_FROM = 5000  # accounts; below this, checking keys row by row costs less than re-adding them

# ---------------------------------------------------------------------------------------------------- mixes
PRODUCTS = ["credit_card", "personal_loan", "hire_purchase", "pcp", "lease"]
PRODUCT_SHARE = [0.35, 0.30, 0.15, 0.12, 0.08]
BEHAVIOURS = ["always", "early", "occasional_miss", "partial", "persistent", "cures", "rolls_to_default"]
BEHAVIOUR_SHARE = [0.60, 0.08, 0.12, 0.05, 0.06, 0.05, 0.04]
AGREEMENTS_PER_CUSTOMER = [1, 2, 3]
AGREEMENTS_PER_CUSTOMER_SHARE = [0.87, 0.11, 0.02]
REGIONS = ["ENG", "SCT", "WLS", "NIR", "US"]
REGION_SHARE = [0.77, 0.08, 0.05, 0.03, 0.07]
US_STATES = ["NY", "CA", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "AZ"]
US_STATE_SHARE = [0.16, 0.2, 0.16, 0.14, 0.07, 0.07, 0.06, 0.05, 0.05, 0.04]
US_ZIP_PREFIX = {"NY": "10", "CA": "90", "TX": "75", "FL": "33", "IL": "60", "PA": "19", "OH": "44", "GA": "30",
                 "NC": "27", "AZ": "85"}  # fmt: skip
POSTCODE_AREAS = {
    "ENG": [
        "B",
        "BS",
        "CB",
        "L",
        "LS",
        "M",
        "NE",
        "NG",
        "S",
        "SE",
        "SW",
        "N",
        "E",
        "OX",
        "PL",
        "YO",
        "LE",
        "BN",
    ],
    "SCT": ["EH", "G", "AB", "DD", "IV", "KY", "PA"],
    "WLS": ["CF", "SA", "LL", "NP", "SY"],
    "NIR": ["BT"],
}
TOWNS = {
    "ENG": ["Birmingham", "Bristol", "Cambridge", "Liverpool", "Leeds", "Manchester", "Newcastle", "Nottingham",
            "Sheffield", "London", "Oxford", "Plymouth", "York", "Leicester", "Brighton"],
    "SCT": ["Edinburgh", "Glasgow", "Aberdeen", "Dundee", "Inverness"],
    "WLS": ["Cardiff", "Swansea", "Wrexham", "Newport"],
    "NIR": ["Belfast", "Derry", "Lisburn"],
    "NY": ["New York", "Buffalo"], "CA": ["Los Angeles", "San Diego"], "TX": ["Dallas", "Houston"],
    "FL": ["Miami", "Orlando"], "IL": ["Chicago"], "PA": ["Philadelphia"], "OH": ["Cleveland"],
    "GA": ["Atlanta"], "NC": ["Raleigh"], "AZ": ["Phoenix"],
}  # fmt: skip
STREETS = ["High Street", "Station Road", "Church Lane", "Park Avenue", "Victoria Road", "Mill Lane", "Green Lane",
           "Queens Road", "King Street", "Manor Way", "Oak Drive", "Main Street", "Elm Street", "Maple Avenue"]  # fmt: skip
FIRST_NAMES = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Ivy", "Leo", "Lily",
               "Arthur", "Freya", "Muhammad", "Grace", "Oscar", "Sophia", "Charlie", "Emily", "Thomas", "Poppy",
               "James", "Ella", "William", "Evie", "Jacob", "Chloe", "Aisha", "Priya", "Ravi", "Fatima", "Kwame",
               "Chidi", "Siobhan", "Niamh", "Callum", "Eilidh", "Rhys", "Carys", "Wei", "Mei", "Tomasz", "Zofia",
               "David", "Sarah", "Michael", "Jessica", "Daniel", "Laura", "Joseph", "Rebecca", "Carlos", "Maria"]  # fmt: skip
LAST_NAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
              "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
              "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
              "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
              "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly",
              "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
              "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Ali",
              "Campbell", "Stewart", "MacDonald", "Reid", "Murray", "Kaur", "O'Brien", "Nowak", "Kowalski",
              "Garcia", "Rodriguez", "Nguyen", "Okafor", "Mensah", "Chen", "Wang", "Ahmed", "Hussain"]  # fmt: skip
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", ""]
TITLE_SHARE = [0.4, 0.2, 0.2, 0.08, 0.02, 0.02, 0.08]
VULNERABILITY = [
    ("health", "Long-term illness affecting ability to work", False),
    ("health", "Mental health condition disclosed", False),
    ("health", "Hospital stay", True),
    ("life_events", "Bereavement", True),
    ("life_events", "Job loss", True),
    ("life_events", "Relationship breakdown", True),
    ("resilience", "Low income, no savings", True),
    ("resilience", "Multiple debts", True),
    ("capability", "Low literacy or numeracy", False),
    ("capability", "English is not first language", False),
]
VULNERABILITY_SHARE = [0.14, 0.14, 0.06, 0.08, 0.12, 0.08, 0.16, 0.1, 0.06, 0.06]
LATE_FEE = ("late_payment", 1_200, "Staff time, letters and calls for one missed payment (CONC 7.7)")
RETURNED_FEE = ("returned_payment", 1_000, "Bank charge and handling of a returned direct debit")


@dataclass
class GenerateSummary:
    client_code: str
    customers: int = 0
    agreements: int = 0
    instalments: int = 0
    ledger_entries: int = 0
    allocations: int = 0
    seconds: float = 0.0
    behaviours: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- loader


class BulkLoader:
    """Inserts rows with explicit ids: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB of page cache for the index inserts
        self.next_ids: dict[type[models.Model], int] = {}
        self.tables: list[type[models.Model]] = []

    def reserve(self, model: type[models.Model], count: int) -> int:
        """The first of ``count`` new ids for ``model``."""
        if model not in self.next_ids:
            top = model._default_manager.aggregate(top=models.Max("id"))["top"] or 0
            self.next_ids[model] = top + 1
            self.tables.append(model)
        first = self.next_ids[model]
        self.next_ids[model] += count
        return first

    def share(self, shared: dict[type[models.Model], dict[str, object]]) -> None:
        """Columns with one value for every row: SQLite writes it into the INSERT, PostgreSQL into a default.

        The PostgreSQL defaults last only for the load (``finish`` drops them, inside the same transaction).
        """
        self.shared = shared
        if self.vendor != "postgresql":
            return
        from psycopg import sql

        with connection.cursor() as cursor:
            for model, values in shared.items():
                for column, value in values.items():
                    cursor.cursor.execute(
                        sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                            sql.Identifier(model._meta.db_table), sql.Identifier(column), sql.Literal(value)
                        )
                    )

    def write(self, model: type[models.Model], columns: Sequence[str], rows: list[tuple],
              offsets: dict[int, int]) -> None:  # fmt: skip
        """Insert ``rows``, adding ``offsets[position]`` to each non-null value of those id columns.

        Rows come from a chunk simulated with ids counted from zero (possibly in another process); the
        offsets place them after the ids already used. SQLite adds them in the INSERT statement itself;
        COPY cannot, so on PostgreSQL they are added here.
        """
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        if self.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                shifts = list(offsets.items())
                for row in rows:
                    values = list(row)
                    for position, offset in shifts:
                        if values[position] is not None:
                            values[position] += offset
                    copy.write_row(values)
            return
        shared = self.shared[model]
        names = ", ".join(connection.ops.quote_name(column) for column in (*columns, *shared))
        placeholders = ", ".join(
            [f"? + {offsets[position]}" if position in offsets else "?" for position in range(len(columns))]
            + [_sqlite_literal(value) for value in shared.values()]
        )
        raw = connection.connection.cursor()
        try:
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)
        finally:
            raw.close()

    def write_chunk(self, rows: dict[type[models.Model], list[tuple]]) -> dict[type[models.Model], int]:
        """Load one simulated chunk, parents before children, its ids moved past those already used."""
        firsts: dict[type[models.Model], int] = {
            model: self.reserve(model, len(rows[model])) for model in TABLE_COLUMNS
        }
        for model, columns in TABLE_COLUMNS.items():
            offsets = {position: firsts[target] for position, target in _ID_COLUMNS[model].items()}
            self.write(model, columns, rows[model], offsets)
        return {model: len(model_rows) for model, model_rows in rows.items()}

    def suspend_checks(self, tables: Sequence[type[models.Model]]) -> None:
        """Lift per-row upkeep for the load; ``finish`` puts it back, each index built and key checked in one pass.

        Checking every foreign key and updating every secondary index row by row is most of a bulk load's
        time; building an index once from the finished table (a sort) and validating a constraint with one
        join are several times cheaper (measured: 20k accounts on PostgreSQL load in 12 s this way, 29 s
        keeping the indexes whose keys grow in insertion order, 41 s keeping them all). Unique constraints
        and primary keys stay. PostgreSQL also drops the foreign keys (SQLite does not check them here). It
        all runs inside the load's transaction, so a failure restores them; the tables are locked until
        commit.
        """
        self.restore: list[str] = []
        keys: list[str] = []
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in tables:
                table = model._meta.db_table
                if self.vendor == "postgresql":
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                        [table],
                    )
                    for name, definition in cursor.fetchall():
                        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                        keys.append(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
                    cursor.execute(
                        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                        "WHERE indrelid = %s::regclass AND NOT indisprimary "
                        "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
                        [table],
                    )
                else:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                        "AND sql IS NOT NULL ORDER BY name",
                        [table],
                    )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {name if self.vendor == 'postgresql' else quote(name)}")
                    self.restore.append(definition)
        self.restore += keys  # keys last: checking them uses the rebuilt indexes

    def finish(self) -> None:
        """Restore what ``suspend_checks`` lifted, drop the shared defaults, move PostgreSQL's id sequences."""
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in getattr(self, "restore", []):
                cursor.execute(statement)
            if self.vendor != "postgresql":
                return
            cursor.execute(
                "SET CONSTRAINTS ALL IMMEDIATE"
            )  # check the rows' keys now: no ALTER with checks pending
            for model, values in self.shared.items():
                table = connection.ops.quote_name(model._meta.db_table)
                for column in values:
                    cursor.execute(
                        f"ALTER TABLE {table} ALTER COLUMN {connection.ops.quote_name(column)} DROP DEFAULT"
                    )
            for model in self.tables:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM "
                    f"{connection.ops.quote_name(table)}))",
                    [table],
                )


def _sqlite_literal(value: object) -> str:
    if isinstance(value, bool | int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


FOURTEEN_DAYS = timedelta(days=14)


@functools.cache
def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@functools.lru_cache(maxsize=65536)  # the same few thousand (date, months) pairs recur across agreements
def _add_months(day: date, months: int, on_day: int | None = None) -> date:
    """The same day (or ``on_day``) ``months`` later, clamped to the month's last day (31 Jan + 1 = 29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(on_day or day.day, _month_days(year, month + 1)))


def _month_end(day: date) -> date:
    return date(day.year, day.month, _month_days(day.year, day.month))


@functools.lru_cache(maxsize=8192)
def _noon(day: date, suffix: str) -> str:
    """Noon UTC on ``day`` as the database's timestamp text (rows travel between processes as text).

    SQLite keeps naive UTC text, as Django does (``suffix`` empty); PostgreSQL is told the offset.
    """
    return f"{day.isoformat()} 12:00:00{suffix}"


# -------------------------------------------------------------------------------------------- agreement life


@dataclass
class Terms:
    product: str
    frequency: str
    rate_bp: int
    principal: int
    term: int | None
    instalment: int
    balloon: int | None
    credit_limit: int | None
    opened_on: date
    first_due_on: date
    end_on: date | None
    schedule: list[tuple[date, int, int]]


def _amortised(
    principal: int, rate_bp: int, periods: int, per_year: int, balloon: int = 0
) -> list[tuple[int, int]]:
    """(interest, principal) per instalment of a level-payment loan, exact to the penny, balloon left over."""
    rate = rate_bp / 10_000 / per_year
    financed = principal - (balloon / (1 + rate) ** periods if rate else balloon)
    payment = financed * rate / (1 - (1 + rate) ** -periods) if rate else financed / periods
    level = int(round(payment))
    remaining = principal
    rows = []
    for number in range(periods):
        interest = int(round(remaining * rate))
        repaid = level - interest if number < periods - 1 else remaining - balloon
        repaid = max(min(repaid, remaining - balloon), 0)
        rows.append((interest, repaid))
        remaining -= repaid
    return rows


def _terms(product: str, rnd: random.Random, as_of: date, months: int) -> Terms:
    months_on_book = rnd.randint(1, months)
    opened_on = _add_months(as_of, -months_on_book) - timedelta(days=rnd.randint(0, 27))
    day = min(opened_on.day, 28) if rnd.random() < 0.85 else 31  # some pay on the last day of the month
    first_due_on = _add_months(opened_on, 1, day)
    frequency, per_year = "monthly", 12
    balloon = credit_limit = None
    if product == "credit_card":
        credit_limit = rnd.choice([50_000, 100_000, 150_000, 200_000, 300_000, 500_000, 750_000, 1_000_000])
        principal = int(credit_limit * rnd.uniform(0.2, 0.95))
        rate_bp = rnd.choice([1990, 2290, 2490, 2790, 2990, 3490])
        minimum = max(2_500, principal * 3 // 100)
        horizon = _add_months(as_of, 1)
        count = 0
        schedule = []
        while _add_months(first_due_on, count) <= horizon:
            interest = principal * rate_bp // 120_000
            schedule.append((_add_months(first_due_on, count), interest, max(minimum - interest, 0)))
            count += 1
        return Terms(product, frequency, rate_bp, principal, None, minimum, None, credit_limit, opened_on,
                     first_due_on, None, schedule)  # fmt: skip
    if product == "personal_loan":
        principal = int(min(max(rnd.lognormvariate(np.log(750_000), 0.6), 100_000), 3_500_000)) // 100 * 100
        term = rnd.choice([12, 24, 36, 48, 60])
        rate_bp = rnd.choice([590, 790, 990, 1290, 1590, 1990, 2490])
        if rnd.random() < 0.05 and term <= 24:
            frequency, per_year, term = "weekly", 52, term * 52 // 12
            first_due_on = opened_on + timedelta(days=7)
    elif product == "hire_purchase":
        principal = int(min(max(rnd.lognormvariate(np.log(1_200_000), 0.5), 300_000), 5_000_000)) // 100 * 100
        term, rate_bp = rnd.choice([24, 36, 48, 60]), rnd.choice([790, 990, 1190, 1490])
    elif product == "pcp":
        principal = int(min(max(rnd.lognormvariate(np.log(2_200_000), 0.4), 800_000), 7_000_000)) // 100 * 100
        term, rate_bp = rnd.choice([24, 36, 48]), rnd.choice([690, 890, 990, 1190])
        balloon = int(principal * rnd.uniform(0.35, 0.45)) // 100 * 100
    else:  # lease: rentals, no interest
        rental = int(min(max(rnd.lognormvariate(np.log(35_000), 0.35), 15_000), 120_000)) // 100 * 100
        term, rate_bp = rnd.choice([24, 36, 48]), 0
        principal = rental * term
    rows = _amortised(principal, rate_bp, term, per_year, balloon or 0)
    step = (
        (lambda n: first_due_on + timedelta(weeks=n))
        if frequency == "weekly"
        else (lambda n: _add_months(first_due_on, n))
    )
    schedule = [(step(number), interest, repaid) for number, (interest, repaid) in enumerate(rows)]
    end_on = schedule[-1][0]
    if balloon:
        schedule.append((end_on, 0, balloon))
    instalment = rows[0][0] + rows[0][1]
    return Terms(product, frequency, rate_bp, principal, term, instalment, balloon, credit_limit, opened_on,
                 first_due_on, end_on, schedule)  # fmt: skip


def _payment_plan(behaviour: str, schedule: list[tuple[date, int, int]], terms: Terms, as_of: date,
                  rnd: random.Random) -> list[tuple[date, int]]:  # fmt: skip
    """The payments this kind of payer makes: (date, amount), before the waterfall spreads them."""
    due = [(day, interest + principal) for day, interest, principal in schedule if day <= as_of]
    if not due:
        return []
    turn = rnd.randint(1, max(len(due) - 1, 1))  # when trouble starts, for the troubled behaviours
    missed_run = rnd.randint(2, 3)
    payments: list[tuple[date, int]] = []
    owed = 0  # unpaid so far, as the payer sees it
    for number, (day, amount) in enumerate(due):
        owed += amount
        pay_day = max(day - timedelta(days=rnd.randint(0, 3)), terms.opened_on)
        pay = amount
        if behaviour == "early":
            pay_day = max(day - timedelta(days=rnd.randint(5, 15)), terms.opened_on)
        elif behaviour == "occasional_miss":
            pay = 0 if rnd.random() < 0.1 else (owed if rnd.random() < 0.7 else amount)
        elif behaviour == "partial":
            pay = int(amount * rnd.uniform(0.4, 0.9))
        elif behaviour == "persistent":
            pay = 0 if turn <= number < turn + rnd.choice([1, 1, 2]) and owed <= 2 * amount else amount
        elif behaviour == "cures":
            if turn <= number < turn + missed_run:
                pay = 0
            elif number >= turn + missed_run:
                pay = min(owed, int(amount * 1.5))
        elif behaviour == "rolls_to_default" and number >= turn:
            pay = int(amount * 0.1) if rnd.random() < 0.15 else 0
        if pay > 0:
            pay_day = min(pay_day, as_of)
            payments.append((pay_day, pay))
            owed = max(owed - pay, 0)
    return payments


@dataclass
class Life:
    """What happened to one agreement: rows to insert (ids filled in by the caller) and where it ended."""

    entries: list[tuple] = field(default_factory=list)  # (id, kind, amount, posted_on, fee_type, reference)
    allocations: list[tuple] = field(
        default_factory=list
    )  # (entry id, component, instalment id, fee id, amount)
    paid: dict[int, list[int]] = field(
        default_factory=dict
    )  # instalment id -> [interest paid, principal paid]
    buckets: list[tuple] = field(default_factory=list)  # (as_of, from, to, dpd, arrears)
    arrears: tuple[int, int, int, date | None] = (0, 0, 0, None)
    balance: int = 0


def _simulate(terms: Terms, behaviour: str, first_instalment_id: int, next_entry_id: Callable[[], int],
              as_of: date, months: int, rnd: random.Random) -> Life:  # fmt: skip
    """Run the agreement's life: postings, waterfall allocation, late fees and month-end arrears buckets."""
    life = Life()
    schedule = terms.schedule
    count = len(schedule)
    due_on = [row[0] for row in schedule]
    due = [[row[1], row[2]] for row in schedule]  # interest, principal
    paid = [[0, 0] for _ in range(count)]
    fees: list[list] = []  # [fee entry id, posted_on, amount, paid]
    cursor = [0]  # first instalment not fully paid

    def post(kind: str, amount: int, day: date, fee_type: str = "", reference: str = "") -> int:
        entry_id = next_entry_id()
        life.entries.append((entry_id, kind, amount, day, fee_type, reference))
        life.balance += amount
        return entry_id

    post("purchase" if terms.product == "credit_card" else "drawdown", terms.principal, terms.opened_on)
    events: list[tuple[date, int, str, int]] = []
    for number in range(count):
        day = due_on[number]
        if day > as_of:
            break
        if due[number][0]:
            events.append((day, 0, "interest", due[number][0]))
        if day + FOURTEEN_DAYS <= as_of:
            events.append((day + FOURTEEN_DAYS, 2, "fee_check", number))
    for pay_day, amount in _payment_plan(behaviour, schedule, terms, as_of, rnd):
        events.append((pay_day, 1, "payment", amount))
    snapshot = _month_end(max(terms.opened_on, _add_months(as_of, -months)))
    while snapshot < as_of:
        events.append((snapshot, 3, "snapshot", 0))
        snapshot = _month_end(_add_months(snapshot, 1))
    events.append((as_of, 3, "snapshot", 0))
    events.sort()
    bucket = ""
    references = 0
    may_charge = behaviour not in ("always", "early")
    for day, _, kind, value in events:
        if kind == "interest":
            post("interest", value, day)
        elif kind == "fee_check":
            if may_charge and paid[value][0] + paid[value][1] < due[value][0] + due[value][1]:
                fee_id = post("fee", LATE_FEE[1], day, fee_type=LATE_FEE[0])
                fees.append([fee_id, day, LATE_FEE[1], 0])
        elif kind == "payment":
            references += 1
            entry_id = post("payment", -value, day, reference=f"PAY{references:04d}")
            _allocate(life, entry_id, value, day, first_instalment_id, due_on, due, paid, fees, cursor)
        else:
            arrears = missed = 0
            oldest: date | None = None
            for number in range(cursor[0], count):
                if due_on[number] >= day:
                    break
                unpaid = due[number][0] + due[number][1] - paid[number][0] - paid[number][1]
                if unpaid > 0:
                    arrears += unpaid
                    missed += 1
                    oldest = oldest or due_on[number]
            dpd = (day - oldest).days if oldest else 0
            new_bucket = rules.bucket_for(dpd)
            if new_bucket != bucket:
                life.buckets.append((day, bucket, new_bucket, dpd, arrears))
                bucket = new_bucket
            life.arrears = (arrears, missed, dpd, oldest)
    life.paid = {first_instalment_id + number: paid[number] for number in range(count)}
    return life


def _allocate(life: Life, entry_id: int, amount: int, day: date, first_id: int, due_on: list[date],
              due: list[list[int]], paid: list[list[int]], fees: list[list], cursor: list[int]) -> None:  # fmt: skip
    """LEDGER-WATERFALL (default): oldest due first — fee, interest, principal — then ahead, then unallocated."""
    remaining = amount
    now: list[
        tuple[date, int, int]
    ] = []  # (date, component rank, index): fees rank 0, interest 1, principal 2
    for index, fee in enumerate(fees):
        if fee[3] < fee[2] and fee[1] <= day:
            now.append((fee[1], 0, index))
    number = cursor[0]
    count = len(due_on)
    while number < count and due_on[number] <= day:
        if paid[number][0] < due[number][0]:
            now.append((due_on[number], 1, number))
        if paid[number][1] < due[number][1]:
            now.append((due_on[number], 2, number))
        number += 1
    now.sort()
    ahead = ((due_on[n], rank, n) for n in range(number, count) for rank in (1, 2))
    for _, rank, index in itertools.chain(now, ahead):
        if remaining == 0:
            break
        if rank == 0:
            fee = fees[index]
            part = min(fee[2] - fee[3], remaining)
            fee[3] += part
            life.allocations.append((entry_id, "fee", None, fee[0], part))
        else:
            slot = rank - 1
            part = min(due[index][slot] - paid[index][slot], remaining)
            if part <= 0:
                continue
            paid[index][slot] += part
            life.allocations.append(
                (entry_id, "interest" if slot == 0 else "principal", first_id + index, None, part)
            )
        remaining -= part
    if remaining:
        life.allocations.append((entry_id, "unallocated", None, None, remaining))
    while (
        cursor[0] < count
        and paid[cursor[0]][0] >= due[cursor[0]][0]
        and paid[cursor[0]][1] >= due[cursor[0]][1]
    ):
        cursor[0] += 1


def _status_path(behaviour: str, life: Life, terms: Terms, as_of: date, rnd: random.Random) -> list[tuple]:
    """(day, from, to, reason) moves consistent with the arrears: in arrears exactly when payments are missed."""
    moves: list[tuple] = [(terms.opened_on, "", "up_to_date", "opened")]
    status = "up_to_date"
    for day, _from_bucket, to_bucket, _dpd, _arrears in life.buckets:
        target = "up_to_date" if to_bucket == "current" else "in_arrears"
        if target != status:
            moves.append((day, status, target, "arrears"))
            status = target
    arrears, missed, dpd, oldest = life.arrears
    if missed == 0:
        if terms.end_on and terms.end_on < as_of and life.balance <= 0:
            moves.append((terms.end_on, status, "settled", "paid in full"))
        return moves
    if status != "in_arrears":
        moves.append((as_of, status, "in_arrears", "arrears"))
    assert oldest is not None
    if behaviour == "rolls_to_default" and dpd >= 90:
        moves.append((oldest + timedelta(days=90), "in_arrears", "default", "default notice expired"))
        if dpd >= 180 and rnd.random() < 0.6:
            moves.append((oldest + timedelta(days=180), "default", "recoveries", "passed to recoveries"))
        return moves
    draw = rnd.random()
    if behaviour == "persistent" and draw < 0.3:
        moves.append(
            (as_of - timedelta(days=rnd.randint(0, 20)), "in_arrears", "arrangement", "payment arrangement")
        )
    elif draw < 0.04:
        moves.append(
            (as_of - timedelta(days=rnd.randint(0, 20)), "in_arrears", "forbearance", "interest frozen")
        )
    elif draw < 0.05:
        moves.append(
            (as_of - timedelta(days=rnd.randint(1, 40)), "in_arrears", "breathing_space", "BS-START")
        )
    return moves


# ------------------------------------------------------------------------------------------------ customers

CUSTOMER_COLUMNS = ("id", "reference", "title", "first_name", "last_name", "date_of_birth",
                    "last_name_key", "full_name_key", "created_at")  # fmt: skip
ADDRESS_COLUMNS = ("id", "customer_id", "kind", "line1", "line2", "town", "postcode", "postcode_key",
                   "country", "region", "is_current")  # fmt: skip
CONTACT_COLUMNS = ("id", "customer_id", "channel", "kind", "value", "search_key", "is_primary",
                   "has_call_consent", "has_text_consent", "has_email_consent", "is_opted_out", "opted_out_at")  # fmt: skip
PREFERENCE_COLUMNS = ("id", "customer_id", "channel", "is_preferred", "is_refused", "earliest_time",
                      "latest_time", "weekdays", "note")  # fmt: skip
VULNERABILITY_COLUMNS = ("id", "customer_id", "driver", "description", "is_temporary", "review_on",
                         "lawful_basis", "recorded_on")  # fmt: skip
THIRD_PARTY_COLUMNS = ("id", "customer_id", "agreement_id", "kind", "name", "organisation", "phone",
                       "email", "authority_from", "authority_until")  # fmt: skip
AGREEMENT_COLUMNS = ("id", "customer_id", "reference", "product", "currency", "rate_bp",
                     "instalment_minor", "frequency", "term_instalments", "credit_limit_minor", "balloon_minor",
                     "opened_on", "first_due_on", "end_on", "status", "balance_minor", "disputed_since")  # fmt: skip
FEE_COLUMNS = ("id", "agreement_id", "fee_type", "amount_minor", "cost_basis")
INSTALMENT_COLUMNS = ("id", "agreement_id", "sequence", "due_on", "interest_due_minor",
                      "principal_due_minor", "amount_due_minor", "interest_paid_minor", "principal_paid_minor",
                      "amount_paid_minor")  # fmt: skip
ENTRY_COLUMNS = (
    "id",
    "agreement_id",
    "kind",
    "amount_minor",
    "posted_on",
    "created_at",
    "fee_type",
    "reference",
)
ALLOCATION_COLUMNS = (
    "id",
    "entry_id",
    "component",
    "instalment_id",
    "fee_entry_id",
    "amount_minor",
)
ARREARS_COLUMNS = ("id", "agreement_id", "as_of", "arrears_minor", "missed_payments", "days_past_due",
                   "oldest_unpaid_due_on", "bucket")  # fmt: skip
BUCKET_COLUMNS = ("id", "agreement_id", "as_of", "from_bucket", "to_bucket", "days_past_due",
                  "arrears_minor", "recorded_at")  # fmt: skip
STATUS_COLUMNS = ("id", "agreement_id", "from_status", "to_status", "changed_on", "changed_at", "reason")


def _postcode(region: str, state: str, rnd: random.Random) -> str:
    if region == "US":
        return f"{US_ZIP_PREFIX[state]}{rnd.randint(0, 999):03d}"
    area = rnd.choice(POSTCODE_AREAS[region])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{area}{rnd.randint(1, 29)} {rnd.randint(0, 9)}{rnd.choice(letters)}{rnd.choice(letters)}"


def _phone(region: str, rnd: random.Random) -> str:
    if region == "US":
        return f"({rnd.randint(201, 989)}) 555-{rnd.randint(0, 9999):04d}"
    return f"07{rnd.randint(100, 999)} {rnd.randint(0, 999999):06d}"


TABLE_COLUMNS: dict[type[models.Model], tuple[str, ...]] = {  # parents before children
    Customer: CUSTOMER_COLUMNS, Address: ADDRESS_COLUMNS, ContactPoint: CONTACT_COLUMNS,
    ContactPreference: PREFERENCE_COLUMNS, VulnerabilityCue: VULNERABILITY_COLUMNS,
    Agreement: AGREEMENT_COLUMNS, ThirdParty: THIRD_PARTY_COLUMNS, FeeTerm: FEE_COLUMNS,
    ScheduleInstalment: INSTALMENT_COLUMNS, LedgerEntry: ENTRY_COLUMNS,
    PaymentAllocation: ALLOCATION_COLUMNS, ArrearsState: ARREARS_COLUMNS, BucketHistory: BUCKET_COLUMNS,
    StatusHistory: STATUS_COLUMNS,
}  # fmt: skip


# Rows built with their dates already as text (the big tables: converting afterwards costs a second pass).
DATES_AS_TEXT = {ScheduleInstalment, LedgerEntry, BucketHistory}


def shared_values(client: Client) -> dict[type[models.Model], dict[str, object]]:
    """Per table, the columns whose value is the same on every generated row: written once, not per row."""
    shared: dict[type[models.Model], dict[str, object]] = {
        model: {"client_id": client.pk} for model in TABLE_COLUMNS
    }
    shared[LedgerEntry].update(currency=client.base_currency, description="", actor_label=ACTOR.label)
    shared[StatusHistory]["actor_label"] = ACTOR.label
    return shared


_iso = functools.lru_cache(maxsize=65536)(date.isoformat)


class Batch:
    """The rows of one chunk of customers, per table, with ids counted from zero within the chunk."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[tuple]] = {model: [] for model in TABLE_COLUMNS}

    def add(self, model: type[models.Model], row: tuple) -> None:
        self.rows[model].append(row)

    def as_text(self) -> dict[type[models.Model], list[tuple]]:
        """Dates as ISO text and lists as JSON text: cheap to send between processes, and to insert."""
        for model, rows in self.rows.items():
            dates, lists = _TEXT_COLUMNS[model]
            if model in DATES_AS_TEXT:
                dates = []
            if not rows or not (dates or lists):
                continue
            converted = []
            for row in rows:
                values = list(row)
                for position in dates:
                    if values[position] is not None:
                        values[position] = values[position].isoformat()
                for position in lists:
                    values[position] = json.dumps(values[position])
                converted.append(tuple(values))
            self.rows[model] = converted
        return self.rows


def _text_columns() -> dict[type[models.Model], tuple[list[int], list[int]]]:
    """Per table, the positions of its date columns and of its JSON list columns."""
    found: dict[type[models.Model], tuple[list[int], list[int]]] = {}
    for model, columns in TABLE_COLUMNS.items():
        fields = {field.column: field for field in model._meta.concrete_fields}
        dates = [i for i, column in enumerate(columns) if type(fields[column]) is models.DateField]
        lists = [i for i, column in enumerate(columns) if isinstance(fields[column], models.JSONField)]
        found[model] = (dates, lists)
    return found


def _id_columns() -> dict[type[models.Model], dict[int, type[models.Model]]]:
    """Per table, the positions of its own id and of keys to other generated tables, with the table each counts."""
    found: dict[type[models.Model], dict[int, type[models.Model]]] = {}
    for model, columns in TABLE_COLUMNS.items():
        fields = {field.column: field for field in model._meta.concrete_fields}
        found[model] = {
            position: model if column == "id" else fields[column].related_model  # type: ignore[misc]
            for position, column in enumerate(columns)
            if column == "id"
            or (fields[column].is_relation and fields[column].related_model in TABLE_COLUMNS)
        }
    return found


_TEXT_COLUMNS = _text_columns()
_ID_COLUMNS = _id_columns()


class IdCounter:
    """Hands out a chunk's ids from zero; the loader moves them past the ids already used."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    def take_many(self, count: int) -> int:
        first = self.next
        self.next += count
        return first


@dataclass(frozen=True)
class ChunkPlan:
    """Everything needed to simulate one chunk of customers, in this process or another."""

    first_customer: int  # index of the chunk's first customer in the whole portfolio
    first_agreement: int
    counts: np.ndarray  # agreements per customer
    products: np.ndarray  # per agreement
    behaviours: np.ndarray
    regions: np.ndarray  # per customer
    states: np.ndarray
    ages: np.ndarray
    first_names: np.ndarray
    last_names: np.ndarray
    seeds: np.ndarray
    client_id: int
    currency: str
    prefix: str
    as_of: date
    months: int
    timestamp_suffix: str


def simulate_chunk(plan: ChunkPlan) -> dict[type[models.Model], list[tuple]]:
    """The rows of one chunk of customers: pure computation, no database, so it can run in a worker."""
    batch = Batch()
    ids = _Ids(plan.client_id, plan.currency, plan.timestamp_suffix)
    agreement_index = plan.first_agreement
    for offset, count in enumerate(plan.counts):
        index = plan.first_customer + offset
        rnd = random.Random(int(plan.seeds[offset]))
        customer_id = ids.customers.take()
        region, state = str(plan.regions[offset]), str(plan.states[offset])
        _customer_rows(batch, ids, customer_id, index, plan.prefix, region, state,
                       FIRST_NAMES[plan.first_names[offset]], LAST_NAMES[plan.last_names[offset]],
                       int(plan.ages[offset]), plan.as_of, rnd)  # fmt: skip
        for _ in range(int(count)):
            local = agreement_index - plan.first_agreement
            _agreement_rows(batch, ids, customer_id, agreement_index, plan.prefix, str(plan.products[local]),
                            str(plan.behaviours[local]), plan.as_of, plan.months, rnd)  # fmt: skip
            agreement_index += 1
    return batch.as_text()


def _chunks_in_order(plans: list[ChunkPlan], workers: int) -> Iterator[dict[type[models.Model], list[tuple]]]:
    """Simulated chunks in plan order: here, or in ``workers`` forked processes a few chunks ahead.

    At most two chunks per worker wait to be loaded, so memory stays flat however large the book.
    """
    if workers < 1:
        yield from map(simulate_chunk, plans)
        return
    context = multiprocessing.get_context("fork")  # the worker needs no setup: it never touches the database
    with context.Pool(workers) as pool:
        pending: collections.deque = collections.deque()
        queued = iter(plans)
        for plan in itertools.islice(queued, 2 * workers):
            pending.append(pool.apply_async(simulate_chunk, (plan,)))
        while pending:
            rows = pending.popleft().get()
            for plan in itertools.islice(queued, 1):
                pending.append(pool.apply_async(simulate_chunk, (plan,)))
            yield rows


def default_workers(accounts: int) -> int:
    """Worker processes for a book this size: none for small books (forking costs more), else one per core."""
    return 0 if accounts < PARALLEL_FROM else max(1, min(os.cpu_count() or 1, 4))


def generate_portfolio(
    *,
    accounts: int,
    seed: int,
    as_of: date | None = None,
    months: int = 18,
    client_code: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Make ``accounts`` agreements (with their customers and history) for one client, reproducibly.

    Chunks of customers are simulated in ``workers`` processes (default: one per core for large books)
    while this process loads the finished ones in order; the rows are the same whatever ``workers`` is.
    """
    if accounts < 1:
        raise InvalidInput("Generate at least one account", field="accounts")
    if not 1 <= months <= 120:
        raise InvalidInput("History is 1 to 120 months", field="months")
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    client = _client(client_code)
    if Customer.objects.filter(client=client).exists():
        raise InvalidInput(
            f"Client {client.code} already has customers; generate into an empty client", field="client"
        )
    rng = np.random.default_rng(seed)
    counts = rng.choice(AGREEMENTS_PER_CUSTOMER, size=accounts, p=AGREEMENTS_PER_CUSTOMER_SHARE)
    cumulative = np.cumsum(counts)
    customers = int(np.searchsorted(cumulative, accounts) + 1)
    counts = counts[:customers]
    counts[-1] -= int(cumulative[customers - 1] - accounts)
    products = rng.choice(PRODUCTS, size=accounts, p=PRODUCT_SHARE)
    behaviours = rng.choice(BEHAVIOURS, size=accounts, p=BEHAVIOUR_SHARE)
    regions = rng.choice(REGIONS, size=customers, p=REGION_SHARE)
    states = rng.choice(US_STATES, size=customers, p=US_STATE_SHARE)
    ages = np.clip(rng.normal(44, 13, size=customers), 18, 88).astype(int)
    first_names = rng.integers(0, len(FIRST_NAMES), size=customers)
    last_names = rng.integers(0, len(LAST_NAMES), size=customers)
    seeds = rng.integers(0, 2**63 - 1, size=customers)
    prefix = "".join(character for character in client.code.upper() if character.isalnum())[:3] or "FP"
    summary = GenerateSummary(client.code, customers=customers, agreements=accounts)
    summary.behaviours = {name: int((behaviours == name).sum()) for name in BEHAVIOURS}
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    plans = []
    for first in range(0, customers, CHUNK_CUSTOMERS):
        last = min(first + CHUNK_CUSTOMERS, customers)
        first_agreement = int(cumulative[first - 1]) if first else 0
        last_agreement = first_agreement + int(counts[first:last].sum())
        plans.append(ChunkPlan(
            first, first_agreement, counts[first:last], products[first_agreement:last_agreement],
            behaviours[first_agreement:last_agreement], regions[first:last], states[first:last], ages[first:last],
            first_names[first:last], last_names[first:last], seeds[first:last], client.pk, client.base_currency,
            prefix, as_of, months, suffix,
        ))  # fmt: skip
    loader = BulkLoader()
    with transaction.atomic():
        loader.share(shared_values(client))
        if accounts >= SUSPEND_KEYS_FROM:
            loader.suspend_checks(list(TABLE_COLUMNS))
        chosen = default_workers(accounts) if workers is None else workers
        for plan, rows in zip(plans, _chunks_in_order(plans, chosen), strict=True):
            written = loader.write_chunk(rows)
            summary.instalments += written[ScheduleInstalment]
            summary.ledger_entries += written[LedgerEntry]
            summary.allocations += written[PaymentAllocation]
            if on_progress:
                on_progress(int(plan.counts.sum()))
        loader.finish()
        record_event(
            actor=ACTOR,
            action="accounts.portfolio_generated",
            object_type="clients.client",
            object_id=str(client.pk),
            client_id=client.pk,
            after={"accounts": accounts, "customers": customers, "seed": seed, "as_of": as_of.isoformat(),
                   "months": months},
        )  # fmt: skip
    if connection.vendor == "postgresql":
        # Fresh statistics after a bulk load, so the first queries on the new book get sensible plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    summary.seconds = time.perf_counter() - started
    return summary


def _client(code: str | None) -> Client:
    from fairpath.clients.actions import create_client

    code = code or "synthetic"
    client = Client.objects.filter(code=code).first()
    if client is None:
        client = create_client(code=code, name=code.replace("-", " ").title() + " (synthetic)", actor=ACTOR)
    return client


class _Ids:
    """One id counter per table, and what every row of the chunk shares."""

    def __init__(self, client_id: int, currency: str, timestamp_suffix: str) -> None:
        self.customers = IdCounter()
        self.addresses = IdCounter()
        self.contacts = IdCounter()
        self.preferences = IdCounter()
        self.cues = IdCounter()
        self.third_parties = IdCounter()
        self.agreements = IdCounter()
        self.fee_terms = IdCounter()
        self.instalments = IdCounter()
        self.entries = IdCounter()
        self.allocations = IdCounter()
        self.arrears = IdCounter()
        self.buckets = IdCounter()
        self.statuses = IdCounter()
        self.currency = currency
        self.client_id = client_id
        self.suffix = timestamp_suffix

    def noon(self, day: date) -> str:
        return _noon(day, self.suffix)


def _customer_rows(batch: Batch, chunk: _Ids, customer_id: int, index: int, prefix: str,
                   region: str, state: str, first: str, last: str, age: int, as_of: date,
                   rnd: random.Random) -> None:  # fmt: skip
    title = rnd.choices(TITLES, TITLE_SHARE)[0]
    born = _add_months(as_of, -12 * age) - timedelta(days=rnd.randint(1, 364))
    batch.add(Customer, (customer_id, f"{prefix}C{index + 1:07d}", title, first, last, born,
                         rules.name_key(last), rules.name_key(first, last), chunk.noon(as_of)))  # fmt: skip
    country, area = ("US", state) if region == "US" else ("GB", region)
    postcode = _postcode(region, state, rnd)
    town = rnd.choice(TOWNS[state if region == "US" else region])
    line1 = f"{rnd.randint(1, 240)} {rnd.choice(STREETS)}"
    batch.add(Address, (chunk.addresses.take(), customer_id, "home", line1, "", town, postcode,
                        rules.normalise_postcode(postcode), country, area, True))  # fmt: skip
    if rnd.random() < 0.08:
        old = _postcode(region, state, rnd)
        batch.add(Address, (chunk.addresses.take(), customer_id, "previous",
                            f"{rnd.randint(1, 240)} {rnd.choice(STREETS)}", "", town, old,
                            rules.normalise_postcode(old), country, area, False))  # fmt: skip
    if rnd.random() < 0.95:
        mobile = _phone(region, rnd)
        opted_out = rnd.random() < 0.03
        batch.add(ContactPoint, (chunk.contacts.take(), customer_id, "phone", "mobile", mobile,
                                 rules.normalise_phone(mobile), True, rnd.random() < 0.9, rnd.random() < 0.6, False,
                                 opted_out, chunk.noon(as_of - timedelta(days=rnd.randint(1, 300))) if opted_out else None))  # fmt: skip
    if rnd.random() < 0.3:
        landline = _phone(region, rnd).replace("07", "01", 1) if region != "US" else _phone(region, rnd)
        batch.add(ContactPoint, (chunk.contacts.take(), customer_id, "phone", "home", landline,
                                 rules.normalise_phone(landline), False, True, False, False, False, None))  # fmt: skip
    if rnd.random() < 0.7:
        domain = rnd.choice(["example.com", "example.org", "example.net"])
        email = f"{first}.{last}{index + 1}@{domain}".lower().replace("'", "")
        batch.add(ContactPoint, (chunk.contacts.take(), customer_id, "email", "personal", email,
                                 email, False, False, False, rnd.random() < 0.5, False, None))  # fmt: skip
    if rnd.random() < 0.2:
        draw = rnd.random()
        if draw < 0.5:
            batch.add(ContactPreference, (chunk.preferences.take(), customer_id,
                                          rnd.choice(["call", "sms", "email", "letter"]), True, False, None, None,
                                          [], "Preferred channel"))  # fmt: skip
        elif draw < 0.8:
            batch.add(ContactPreference, (chunk.preferences.take(), customer_id, "call", False, False,
                                          "17:30:00" if rnd.random() < 0.5 else "09:00:00",
                                          "20:00:00" if rnd.random() < 0.5 else "12:00:00",
                                          [0, 1, 2, 3, 4] if rnd.random() < 0.5 else [], "Works shifts"))  # fmt: skip
        else:
            batch.add(ContactPreference, (chunk.preferences.take(), customer_id,
                                          rnd.choice(["call", "sms"]), False, True, None, None, [],
                                          "Asked not to be contacted this way"))  # fmt: skip
    if rnd.random() < 0.12:
        driver, description, temporary = rnd.choices(VULNERABILITY, VULNERABILITY_SHARE)[0]
        recorded = as_of - timedelta(days=rnd.randint(1, 500))
        batch.add(VulnerabilityCue, (chunk.cues.take(), customer_id, driver, description, temporary,
                                     recorded + timedelta(days=180) if temporary else None, "Explicit consent",
                                     recorded))  # fmt: skip


def _agreement_rows(batch: Batch, chunk: _Ids, customer_id: int, index: int, prefix: str,
                    product: str, behaviour: str, as_of: date, months: int, rnd: random.Random) -> None:  # fmt: skip
    agreement_id = chunk.agreements.take()
    terms = _terms(product, rnd, as_of, months)
    first_instalment = chunk.instalments.take_many(len(terms.schedule))
    life = _simulate(terms, behaviour, first_instalment, chunk.entries.take, as_of, months, rnd)
    moves = _status_path(behaviour, life, terms, as_of, rnd)
    status = moves[-1][2]
    disputed = as_of - timedelta(days=rnd.randint(1, 60)) if rnd.random() < 0.015 else None
    currency = chunk.currency
    batch.add(Agreement, (agreement_id, customer_id, f"{prefix}{index + 1:08d}", product, currency,
                          terms.rate_bp, terms.instalment, terms.frequency, terms.term, terms.credit_limit,
                          terms.balloon, terms.opened_on, terms.first_due_on, terms.end_on, status, life.balance,
                          disputed))  # fmt: skip
    batch.add(FeeTerm, (chunk.fee_terms.take(), agreement_id, *LATE_FEE))
    batch.add(FeeTerm, (chunk.fee_terms.take(), agreement_id, *RETURNED_FEE))
    add_instalment = batch.rows[ScheduleInstalment].append  # the three big tables: appended directly
    for sequence, (due_on, interest, principal) in enumerate(terms.schedule, start=1):
        instalment_id = first_instalment + sequence - 1
        paid_interest, paid_principal = life.paid[instalment_id]
        add_instalment((instalment_id, agreement_id, sequence, _iso(due_on), interest, principal,
                        interest + principal, paid_interest, paid_principal, paid_interest + paid_principal))  # fmt: skip
    add_entry = batch.rows[LedgerEntry].append
    for entry_id, kind, amount, posted_on, fee_type, reference in life.entries:
        add_entry((entry_id, agreement_id, kind, amount, _iso(posted_on), chunk.noon(posted_on), fee_type,
                   reference))  # fmt: skip
    add_allocation = batch.rows[PaymentAllocation].append
    first_allocation = chunk.allocations.take_many(len(life.allocations))
    for allocation_id, (entry_id, component, instalment_id, fee_id, amount) in enumerate(
        life.allocations, start=first_allocation
    ):
        add_allocation((allocation_id, entry_id, component, instalment_id, fee_id, amount))
    arrears, missed, dpd, oldest = life.arrears
    batch.add(ArrearsState, (chunk.arrears.take(), agreement_id, as_of, arrears, missed, dpd, oldest,
                             rules.bucket_for(dpd)))  # fmt: skip
    for day, from_bucket, to_bucket, days, amount in life.buckets:
        batch.add(BucketHistory, (chunk.buckets.take(), agreement_id, _iso(day), from_bucket, to_bucket, days,
                                  amount, chunk.noon(day)))  # fmt: skip
    for day, from_status, to_status, reason in moves:
        batch.add(StatusHistory, (chunk.statuses.take(), agreement_id, from_status, to_status, day,
                                  chunk.noon(day), reason))  # fmt: skip
    troubled = behaviour in ("persistent", "rolls_to_default", "cures") and missed > 0
    if rnd.random() < (0.25 if troubled else 0.01):
        kind = "debt_adviser" if troubled else rnd.choice(["power_of_attorney", "relative", "representative"])
        organisation = rnd.choice(
            ["StepChange Debt Charity", "Citizens Advice", "National Debtline", "PayPlan"]
        )
        batch.add(ThirdParty, (chunk.third_parties.take(), customer_id,
                               agreement_id if troubled else None, kind,
                               f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}",
                               organisation if kind == "debt_adviser" else "", "", "",
                               as_of - timedelta(days=rnd.randint(1, 200)), None))  # fmt: skip


def generate_demo_portfolios(
    client_codes: Sequence[str],
    *,
    accounts_per_client: int = 2500,
    on_progress: Callable[[int], None] | None = None,
) -> list[GenerateSummary]:
    """The demo's books: one portfolio per client that has none yet (idempotent), seeded by position."""
    summaries = []
    for position, code in enumerate(client_codes, start=1):
        if Customer.objects.filter(client__code=code).exists():
            continue
        summaries.append(
            generate_portfolio(
                accounts=accounts_per_client,
                seed=position,
                months=18,
                client_code=code,
                on_progress=on_progress,
            )
        )
    return summaries
