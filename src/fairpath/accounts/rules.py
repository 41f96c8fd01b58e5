"""Pure account rules: no database access, so they are property-tested directly and reused by batch code.

Holds the vocabularies (products, entry kinds, statuses), the payment waterfall, the arrears computation
from a schedule, delinquency bucket banding, the status transition table and the jurisdiction of an address.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from fairpath.core.errors import InvalidInput, Refusal

# ----------------------------------------------------------------------------------------------------
# Vocabularies


class Product(StrEnum):
    CREDIT_CARD = "credit_card"
    PERSONAL_LOAN = "personal_loan"
    HIRE_PURCHASE = "hire_purchase"
    PCP = "pcp"
    LEASE = "lease"


PRODUCT_LABELS = {
    Product.CREDIT_CARD: "Credit card",
    Product.PERSONAL_LOAN: "Personal loan",
    Product.HIRE_PURCHASE: "Hire purchase",
    Product.PCP: "Personal contract purchase",
    Product.LEASE: "Lease",
}
RUNNING_ACCOUNT_PRODUCTS = frozenset({Product.CREDIT_CARD})


class Frequency(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"


class EntryKind(StrEnum):
    DRAWDOWN = "drawdown"
    PURCHASE = "purchase"
    INTEREST = "interest"
    FEE = "fee"
    PAYMENT = "payment"
    PAYMENT_REVERSAL = "payment_reversal"
    ADJUSTMENT = "adjustment"
    WAIVER = "waiver"
    WRITE_OFF = "write_off"
    SETTLEMENT_DISCOUNT = "settlement_discount"


# +1: increases what the customer owes; -1: reduces it; 0: either sign (an adjustment).
ENTRY_SIGN: dict[EntryKind, int] = {
    EntryKind.DRAWDOWN: 1,
    EntryKind.PURCHASE: 1,
    EntryKind.INTEREST: 1,
    EntryKind.FEE: 1,
    EntryKind.PAYMENT: -1,
    EntryKind.PAYMENT_REVERSAL: 1,
    EntryKind.ADJUSTMENT: 0,
    EntryKind.WAIVER: -1,
    EntryKind.WRITE_OFF: -1,
    EntryKind.SETTLEMENT_DISCOUNT: -1,
}


def signed_amount(kind: str, amount_minor: int) -> int:
    """The ledger amount for a posting: positive adds to the balance owed, negative reduces it.

    Fixed-sign kinds take a positive magnitude; an adjustment takes its own sign and may not be zero.
    """
    try:
        entry_kind = EntryKind(kind)
    except ValueError:
        raise InvalidInput(f"Unknown entry kind {kind!r}", field="kind") from None
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise InvalidInput("Amounts are whole minor units (pence, cents)", field="amount_minor")
    sign = ENTRY_SIGN[entry_kind]
    if sign == 0:
        if amount_minor == 0:
            raise InvalidInput("An adjustment cannot be zero", field="amount_minor")
        return amount_minor
    if amount_minor <= 0:
        raise InvalidInput(f"A {entry_kind.value} amount must be more than zero", field="amount_minor")
    return sign * amount_minor


class Component(StrEnum):
    """What part of a due amount money is allocated to."""

    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    UNALLOCATED = "unallocated"


class AgreementStatus(StrEnum):
    UP_TO_DATE = "up_to_date"
    IN_ARREARS = "in_arrears"
    ARRANGEMENT = "arrangement"
    FORBEARANCE = "forbearance"
    BREATHING_SPACE = "breathing_space"
    DEFAULT = "default"
    RECOVERIES = "recoveries"
    END_OF_CONTRACT = "end_of_contract"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"


S = AgreementStatus
_OPEN_SERVICING = {S.UP_TO_DATE, S.IN_ARREARS, S.ARRANGEMENT, S.FORBEARANCE, S.BREATHING_SPACE}
STATUS_TRANSITIONS: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    S.UP_TO_DATE: frozenset(
        {S.IN_ARREARS, S.BREATHING_SPACE, S.FORBEARANCE, S.END_OF_CONTRACT, S.SETTLED, S.CLOSED}
    ),
    S.IN_ARREARS: frozenset(
        {S.UP_TO_DATE, S.ARRANGEMENT, S.FORBEARANCE, S.BREATHING_SPACE, S.DEFAULT, S.SETTLED, S.WRITTEN_OFF}
    ),
    S.ARRANGEMENT: frozenset({S.UP_TO_DATE, S.IN_ARREARS, S.BREATHING_SPACE, S.DEFAULT, S.SETTLED}),
    S.FORBEARANCE: frozenset(
        {S.UP_TO_DATE, S.IN_ARREARS, S.ARRANGEMENT, S.BREATHING_SPACE, S.DEFAULT, S.SETTLED}
    ),
    # BS-EFFECT: no enforcement during a breathing space, so it cannot move to default or recoveries directly.
    S.BREATHING_SPACE: frozenset({S.UP_TO_DATE, S.IN_ARREARS, S.ARRANGEMENT, S.FORBEARANCE, S.SETTLED}),
    S.DEFAULT: frozenset({S.RECOVERIES, S.ARRANGEMENT, S.BREATHING_SPACE, S.SETTLED, S.WRITTEN_OFF}),
    S.RECOVERIES: frozenset({S.ARRANGEMENT, S.BREATHING_SPACE, S.SETTLED, S.WRITTEN_OFF}),
    S.END_OF_CONTRACT: frozenset({S.IN_ARREARS, S.SETTLED, S.CLOSED}),
    S.SETTLED: frozenset({S.CLOSED}),
    S.WRITTEN_OFF: frozenset({S.RECOVERIES, S.CLOSED}),
    S.CLOSED: frozenset(),
}
STATUS_LABELS = {status: status.value.replace("_", " ").capitalize() for status in AgreementStatus}
# Statuses the arrears recompute may move between on its own (the rest are decisions people take).
ARREARS_DRIVEN_STATUSES = frozenset({S.UP_TO_DATE, S.IN_ARREARS})


class IllegalTransition(Refusal):
    """STATUS-TRANSITION: the agreement's status cannot move that way (see STATUS_TRANSITIONS)."""

    code = "illegal_transition"
    status = 409

    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            f"An agreement cannot move from {current.replace('_', ' ')} to {target.replace('_', ' ')}",
            rule="STATUS-TRANSITION",
            field="status",
        )
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> AgreementStatus:
    """STATUS-TRANSITION: return the target status, or raise IllegalTransition."""
    try:
        target_status = AgreementStatus(target)
    except ValueError:
        raise InvalidInput(f"Unknown status {target!r}", field="status") from None
    if target_status not in STATUS_TRANSITIONS[AgreementStatus(current)]:
        raise IllegalTransition(current, target)
    return target_status


# ----------------------------------------------------------------------------------------------------
# Payment waterfall


class DueOrder(StrEnum):
    OLDEST_FIRST = "oldest_first"  # each due date in turn, its components in order
    COMPONENT_FIRST = "component_first"  # every fee (oldest first), then every interest, then principal


@dataclass(frozen=True)
class WaterfallPolicy:
    """How a payment is spread over what is due; configurable per product."""

    components: tuple[Component, ...] = (Component.FEE, Component.INTEREST, Component.PRINCIPAL)
    due_order: DueOrder = DueOrder.OLDEST_FIRST

    def __post_init__(self) -> None:
        if sorted(self.components) != sorted((Component.FEE, Component.INTEREST, Component.PRINCIPAL)):
            raise InvalidInput(
                "A waterfall orders fee, interest and principal, each once", field="components"
            )


DEFAULT_WATERFALL = WaterfallPolicy()
PRODUCT_WATERFALLS: dict[Product, WaterfallPolicy] = {product: DEFAULT_WATERFALL for product in Product}


def waterfall_for(product: str, override: WaterfallPolicy | None = None) -> WaterfallPolicy:
    return override or PRODUCT_WATERFALLS.get(Product(product), DEFAULT_WATERFALL)


@dataclass(frozen=True)
class DueItem:
    """One thing a payment can pay: a component of an instalment, or a fee; ``key`` identifies it."""

    key: object
    due_on: date
    component: Component
    outstanding_minor: int


@dataclass(frozen=True)
class Allocation:
    key: object | None  # None for the unallocated remainder
    component: Component
    amount_minor: int


@dataclass
class AllocationResult:
    allocations: list[Allocation] = field(default_factory=list)
    unallocated_minor: int = 0

    @property
    def allocated_minor(self) -> int:
        return sum(allocation.amount_minor for allocation in self.allocations)


def order_due_items(items: Iterable[DueItem], policy: WaterfallPolicy = DEFAULT_WATERFALL) -> list[DueItem]:
    rank = {component: position for position, component in enumerate(policy.components)}
    indexed = list(enumerate(items))
    if policy.due_order is DueOrder.OLDEST_FIRST:
        indexed.sort(key=lambda pair: (pair[1].due_on, rank[pair[1].component], pair[0]))
    else:
        indexed.sort(key=lambda pair: (rank[pair[1].component], pair[1].due_on, pair[0]))
    return [item for _, item in indexed]


def allocate_payment(
    amount_minor: int, items: Iterable[DueItem], policy: WaterfallPolicy = DEFAULT_WATERFALL
) -> AllocationResult:
    """LEDGER-WATERFALL: spread a payment over due items in the policy's order.

    Never pays an item more than it has outstanding; whatever is left is returned as unallocated (it reduces
    the balance but pays no due item). Allocated plus unallocated always equals the payment.
    """
    if amount_minor <= 0:
        raise InvalidInput("A payment must be more than zero", field="amount_minor")
    remaining = amount_minor
    result = AllocationResult()
    for item in order_due_items(items, policy):
        if remaining == 0:
            break
        if item.outstanding_minor <= 0:
            continue
        paid = min(remaining, item.outstanding_minor)
        result.allocations.append(Allocation(item.key, item.component, paid))
        remaining -= paid
    result.unallocated_minor = remaining
    return result


# ----------------------------------------------------------------------------------------------------
# Arrears and buckets


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount_due_minor: int
    amount_paid_minor: int

    @property
    def unpaid_minor(self) -> int:
        return max(self.amount_due_minor - self.amount_paid_minor, 0)


@dataclass(frozen=True)
class Arrears:
    arrears_minor: int
    missed_payments: int
    days_past_due: int
    oldest_unpaid_due_on: date | None


def compute_arrears(schedule: Iterable[Instalment], as_of: date) -> Arrears:
    """ARREARS-DPD: arrears as of the end of ``as_of``.

    An instalment is past due once its due date has passed (the due day itself is not late). Arrears are
    the unpaid part of past-due instalments; missed payments count the past-due instalments not paid in
    full; days past due run from the oldest unpaid due date (calendar days, so month ends and 29 February
    need no special case).
    """
    arrears = missed = 0
    oldest: date | None = None
    for instalment in schedule:
        if instalment.due_on >= as_of or instalment.unpaid_minor == 0:
            continue
        arrears += instalment.unpaid_minor
        missed += 1
        if oldest is None or instalment.due_on < oldest:
            oldest = instalment.due_on
    days = (as_of - oldest).days if oldest is not None else 0
    return Arrears(arrears, missed, days, oldest)


@dataclass(frozen=True)
class BucketBands:
    """Delinquency bands by lower bound of days past due; the first band must start at 0."""

    lower_bounds: tuple[int, ...]
    codes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.lower_bounds or self.lower_bounds[0] != 0:
            raise InvalidInput("The first bucket must start at 0 days past due", field="lower_bounds")
        if list(self.lower_bounds) != sorted(set(self.lower_bounds)):
            raise InvalidInput("Bucket bounds must rise", field="lower_bounds")
        if len(self.codes) != len(self.lower_bounds):
            raise InvalidInput("One code per bucket", field="codes")

    def bucket_for(self, days_past_due: int) -> str:
        return self.codes[bisect.bisect_right(self.lower_bounds, max(days_past_due, 0)) - 1]

    def rank(self, code: str) -> int:
        return self.codes.index(code)


DEFAULT_BUCKETS = BucketBands(
    lower_bounds=(0, 1, 30, 60, 90, 120, 150, 180),
    codes=("current", "1-29", "30-59", "60-89", "90-119", "120-149", "150-179", "180+"),
)


def bucket_for(days_past_due: int, bands: BucketBands = DEFAULT_BUCKETS) -> str:
    """ARREARS-BUCKET: the delinquency bucket for a number of days past due."""
    return bands.bucket_for(days_past_due)


# ----------------------------------------------------------------------------------------------------
# Jurisdiction of an address: bank-holiday calendar and time zone

UK_REGIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
US_STATE_TIME_ZONES = {
    "AL": "America/Chicago", "AZ": "America/Phoenix", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu", "IL": "America/Chicago",
    "MA": "America/New_York", "MI": "America/Detroit", "NC": "America/New_York", "NJ": "America/New_York",
    "NY": "America/New_York", "OH": "America/New_York", "PA": "America/New_York", "TX": "America/Chicago",
    "VA": "America/New_York", "WA": "America/Los_Angeles", "AK": "America/Anchorage",
    "NV": "America/Los_Angeles",
}  # fmt: skip


def check_region(country: str, region: str) -> None:
    if country == "GB":
        if region not in UK_REGIONS:
            raise InvalidInput(f"Unknown UK region {region!r}: use ENG, WLS, SCT or NIR", field="region")
    elif country == "US":
        if region not in US_STATE_TIME_ZONES:
            raise InvalidInput(f"Unsupported US state {region!r}", field="region")
    else:
        raise InvalidInput(f"Unsupported country {country!r}: GB or US", field="country")


def holiday_calendar_for(country: str, region: str) -> tuple[str, str | None]:
    """The ``holidays`` country and subdivision whose bank holidays count for this address.

    UK parts differ (England & Wales, Scotland, Northern Ireland); in the US federal holidays count.
    """
    check_region(country, region)
    return ("GB", region) if country == "GB" else ("US", None)


def time_zone_for(country: str, region: str) -> str:
    """US-HOURS / UK-CONTACT: the customer's local time zone, from the address (never the phone number)."""
    check_region(country, region)
    return "Europe/London" if country == "GB" else US_STATE_TIME_ZONES[region]


# ----------------------------------------------------------------------------------------------------
# Search keys


def normalise_phone(text: str) -> str:
    """Digits of the national number, so '+44 7700 900123', '07700900123' and '7700 900 123' all match."""
    digits = "".join(character for character in text if character.isdigit())
    if text.strip().startswith("+44") or (digits.startswith("44") and len(digits) == 12):
        digits = digits[2:]
    elif text.strip().startswith("+1") or (digits.startswith("1") and len(digits) == 11):
        digits = digits[1:]
    return digits.lstrip("0")


def normalise_postcode(text: str) -> str:
    return "".join(text.split()).upper()


def name_key(*parts: str) -> str:
    """Lower-case, single-spaced name for prefix search."""
    return " ".join(" ".join(parts).lower().split())


def check_terms(*, product: str, currency: str, rate_bp: int, instalment_minor: int, frequency: str) -> None:
    """Refuse terms that cannot be right, naming the field."""
    from fairpath.core.money import MINOR_UNITS

    if product not in {p.value for p in Product}:
        raise InvalidInput(f"Unknown product {product!r}", field="product")
    if currency not in MINOR_UNITS:
        raise InvalidInput(f"Unknown currency {currency!r}", field="currency")
    if rate_bp < 0:
        raise InvalidInput("The rate cannot be negative", field="rate_bp")
    if instalment_minor < 0:
        raise InvalidInput("The instalment cannot be negative", field="instalment_minor")
    if frequency not in {f.value for f in Frequency}:
        raise InvalidInput(f"Unknown frequency {frequency!r}", field="frequency")
