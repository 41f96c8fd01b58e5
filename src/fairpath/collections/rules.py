"""Pure collections rules (no database): the contact decision, hold periods, limitation, promise status.

Everything here takes plain values so it is property-tested directly and reused by the set-based cycle.
Counting conventions follow domain/RULES.md "Counting time": periods are counted on the customer's local
calendar dates; instants are UTC; the rolling US-7IN7 window is 7 consecutive local days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class Party(StrEnum):
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"  # an authorised adviser or representative (UK-THIRDPARTY)


class Purpose(StrEnum):
    COLLECTIONS = "collections"  # asks for payment
    STATUTORY = "statutory"  # notices required by law (BS-EFFECT keeps them flowing)
    SERVICE = "service"  # replies to the customer's own queries and complaints
    LEGAL = "legal"  # legal referral, or anything that threatens court


class HoldKind(StrEnum):
    BREATHING_SPACE = "breathing_space"
    MENTAL_HEALTH_BREATHING_SPACE = "mental_health_breathing_space"
    DEBT_ADVICE = "debt_advice"
    CAPACITY = "capacity"
    DISPUTE = "dispute"


HOLD_RULES: dict[HoldKind, str] = {
    HoldKind.BREATHING_SPACE: "BS-EFFECT",
    HoldKind.MENTAL_HEALTH_BREATHING_SPACE: "BS-EFFECT",
    HoldKind.DEBT_ADVICE: "UK-ADVICE-HOLD",
    HoldKind.CAPACITY: "UK-CAPACITY",
    HoldKind.DISPUTE: "US-VALIDATION",
}
HOLD_MESSAGES: dict[HoldKind, str] = {
    HoldKind.BREATHING_SPACE: "The customer is in a breathing space: no contact asking for payment",
    HoldKind.MENTAL_HEALTH_BREATHING_SPACE: "The customer is in a mental-health crisis breathing space",
    HoldKind.DEBT_ADVICE: "The customer is getting debt advice: recovery is on hold",
    HoldKind.CAPACITY: "The customer may lack mental capacity: all collection activity is suspended",
    HoldKind.DISPUTE: "The debt is disputed in the validation period: collection stops until verification",
}
# Holds that freeze interest and fees (BS-EFFECT) or suppress fee escalation (UK-ADVICE-HOLD).
FREEZING_HOLDS = frozenset(
    {HoldKind.BREATHING_SPACE, HoldKind.MENTAL_HEALTH_BREATHING_SPACE, HoldKind.DEBT_ADVICE}
)

# Numbers that may change are data (domain/RULES.md): an administrator's policy table would override these.
STANDARD_BREATHING_SPACE_DAYS = 60
ADVICE_HOLD_DAYS = 30
ADVICE_HOLD_EXTENSION_DAYS = 30
MENTAL_HEALTH_AFTER_TREATMENT_DAYS = 30
CALL_CAP = 7
CALL_WINDOW_DAYS = 7
QUIET_BEFORE = time(8, 0)
QUIET_AFTER = time(21, 0)
# The local time at which the cycle's messages go on their day, unless the customer's times say later.
SEND_LOCAL_TIME = time(10, 0)
PLANNING_HORIZON_DAYS = 8
LIMITATION_YEARS = {"ENG": 6, "WLS": 6, "NIR": 6, "SCT": 5}
US_LIMITATION_YEARS = {"NY": 3, "TX": 4, "CA": 4, "PA": 4, "FL": 5, "IL": 5}
US_DEFAULT_LIMITATION_YEARS = 6
SHORTEST_LIMITATION_YEARS = min(
    [*LIMITATION_YEARS.values(), *US_LIMITATION_YEARS.values(), US_DEFAULT_LIMITATION_YEARS]
)


@dataclass(frozen=True)
class ContactDecision:
    """The answer of the contact policy guard: allowed, or refused naming the rule."""

    allowed: bool
    rule: str | None
    message: str


ALLOWED = ContactDecision(True, None, "Contact allowed")


def refused(rule: str, message: str) -> ContactDecision:
    return ContactDecision(False, rule, message)


@dataclass(frozen=True)
class HoldPeriod:
    """A hold in force from ``starts_on`` to ``ends_on`` inclusive (``None``: until ended)."""

    kind: HoldKind
    starts_on: date
    ends_on: date | None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


@dataclass(frozen=True)
class ContactPointFacts:
    channel: str  # "phone" or "email"
    has_call_consent: bool
    has_text_consent: bool
    has_email_consent: bool
    is_opted_out: bool
    is_mobile: bool


@dataclass(frozen=True)
class PreferenceFacts:
    channel: str
    is_refused: bool
    earliest_time: time | None
    latest_time: time | None
    weekdays: tuple[int, ...]


@dataclass
class ContactFacts:
    """What the guard needs to know about one agreement, gathered in bulk by the policy module."""

    agreement_id: int
    country: str  # "GB" or "US"
    region: str
    time_zone: str
    holds: list[HoldPeriod] = field(default_factory=list)
    contact_points: list[ContactPointFacts] = field(default_factory=list)
    preferences: list[PreferenceFacts] = field(default_factory=list)
    call_attempts: list[datetime] = field(default_factory=list)  # outbound calls made, UTC
    conversations: list[datetime] = field(default_factory=list)  # telephone conversations, UTC
    statute_barred_on: date | None = None


def local_day(at: datetime, time_zone: str) -> date:
    return at.astimezone(ZoneInfo(time_zone)).date()


def limitation_years(country: str, region: str) -> int:
    if country == "GB":
        return LIMITATION_YEARS.get(region, 6)
    return US_LIMITATION_YEARS.get(region, US_DEFAULT_LIMITATION_YEARS)


def statute_barred_on(
    *,
    country: str,
    region: str,
    cause_of_action_on: date | None,
    last_payment_on: date | None,
    default_remedy_on: date | None = None,
) -> date | None:
    """UK-STATBAR / US-TIMEBAR: the first day the debt is statute-barred (time-barred), or None.

    The clock starts at the expiry of the default notice when there is one (regulated UK agreements),
    otherwise at the oldest unpaid due date; a later payment acknowledges the debt and restarts it.
    6 years (England, Wales, NI), 5 in Scotland, per-state years in the US.
    """
    start = default_remedy_on or cause_of_action_on
    if start is None:
        return None
    if last_payment_on is not None and last_payment_on > start:
        start = last_payment_on
    return _years_after(start, limitation_years(country, region))


@lru_cache(maxsize=65_536)
def _years_after(day: date, years: int) -> date:
    """``day`` plus whole years (29 February to 28 February), remembered: a batch asks about the same few
    thousand due dates for hundreds of thousands of accounts, and relativedelta is slow."""
    return day + relativedelta(years=years)


def breathing_space_period(entered_on: date) -> tuple[date, date]:
    """BS-START: starts the day after it is entered in the register and lasts 60 days (inclusive)."""
    starts_on = entered_on + timedelta(days=1)
    return starts_on, starts_on + timedelta(days=STANDARD_BREATHING_SPACE_DAYS - 1)


def mental_health_end(treatment_ended_on: date) -> date:
    """BS-START: a mental-health crisis breathing space lasts the treatment plus 30 days."""
    return treatment_ended_on + timedelta(days=MENTAL_HEALTH_AFTER_TREATMENT_DAYS)


def advice_hold_period(starts_on: date) -> tuple[date, date]:
    """UK-ADVICE-HOLD: 30 days beginning with the start day (the first day counts)."""
    return starts_on, starts_on + timedelta(days=ADVICE_HOLD_DAYS - 1)


def hold_forbids(kind: HoldKind, *, party: str, purpose: str) -> bool:
    """Holds stack: each one forbids payment demands and legal steps to the customer.

    Statutory notices and replies to the customer's own queries keep flowing (BS-EFFECT), and an authorised
    third party (debt adviser, attorney) may still be contacted during every hold (UK-THIRDPARTY).
    """
    if purpose in (Purpose.STATUTORY, Purpose.SERVICE):
        return False
    return party != Party.THIRD_PARTY


def _customer_channel_check(facts: ContactFacts, channel: str) -> ContactDecision | None:
    """US-OPTOUT / US-REVOKE (UK-CONTACT for UK customers): a usable address with consent for the channel."""
    is_us = facts.country == "US"
    if channel == Channel.LETTER:
        return None
    if channel == Channel.EMAIL:
        points = [point for point in facts.contact_points if point.channel == "email"]
        consent = "has_email_consent"
    else:
        points = [point for point in facts.contact_points if point.channel == "phone"]
        if channel == Channel.SMS:
            points = [point for point in points if point.is_mobile]
        consent = "has_text_consent" if channel == Channel.SMS else "has_call_consent"
    if not points:
        return refused("UK-CONTACT" if not is_us else "US-OPTOUT", f"No {channel} address on file")
    open_points = [point for point in points if not point.is_opted_out]
    if not open_points:
        return refused(
            "US-OPTOUT" if is_us else "UK-CONTACT", f"The customer opted out of every {channel} address"
        )
    if not any(getattr(point, consent) for point in open_points):
        if channel == Channel.EMAIL:
            return refused("US-OPTOUT" if is_us else "UK-CONTACT", "No consent to e-mail")
        return refused(
            "US-REVOKE" if is_us else "UK-CONTACT", f"Consent to {channel} was revoked or never given"
        )
    return None


def _hours_check(
    facts: ContactFacts, channel: str, at: datetime, *, own_times: bool = True
) -> ContactDecision | None:
    """US-HOURS (UK-CONTACT): 08:00-21:00 at the customer's location, and the customer's own times."""
    if channel == Channel.LETTER:
        return None
    rule = "US-HOURS" if facts.country == "US" else "UK-CONTACT"
    local = at.astimezone(ZoneInfo(facts.time_zone))
    clock = local.time().replace(tzinfo=None)
    if clock < QUIET_BEFORE or clock > QUIET_AFTER:
        return refused(
            rule, f"It is {local:%H:%M} at the customer's location ({facts.time_zone}): outside 08:00-21:00"
        )
    for preference in facts.preferences if own_times else ():
        if preference.channel != channel:
            continue
        if preference.is_refused:
            return refused(
                "US-OPTOUT" if facts.country == "US" else "UK-CONTACT",
                f"The customer asked not to be contacted by {channel}",
            )
        if preference.weekdays and local.weekday() not in preference.weekdays:
            return refused(rule, f"The customer asked not to be contacted by {channel} on {local:%A}")
        if preference.earliest_time and clock < preference.earliest_time:
            return refused(
                rule, f"The customer asked for {channel} contact not before {preference.earliest_time:%H:%M}"
            )
        if preference.latest_time and clock > preference.latest_time:
            return refused(
                rule, f"The customer asked for {channel} contact not after {preference.latest_time:%H:%M}"
            )
    return None


def local_moment(day: date, clock: time, time_zone: str) -> datetime:
    """The instant (UTC) of a wall-clock time on a day at the customer's location: the same local time
    whichever side of a daylight-saving change the day falls."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def next_permitted_moment(
    facts: ContactFacts,
    channel: str,
    earliest: datetime,
    *,
    party: str = Party.CUSTOMER,
    horizon_days: int = PLANNING_HORIZON_DAYS,
) -> datetime | None:
    """US-HOURS / UK-CONTACT: the first moment at or after ``earliest`` whose time of day allows ``channel``
    at the customer's location - 08:00 to 21:00 local and, for the customer, within the times and weekdays
    they asked for (the same windows ``_hours_check`` applies). Counted on the customer's local calendar, so
    a daylight-saving change moves the UTC instant, never the local time. Letters have no hours.

    None when no moment within ``horizon_days`` is allowed (the customer refused the channel, or their
    times leave no window): the guard's decision at ``earliest`` then says why. Holds, consent and the
    call cap are not looked at here: a refusal for those is a refusal, not a reason to wait."""
    if channel == Channel.LETTER:
        return earliest
    zone = ZoneInfo(facts.time_zone)
    start_local = earliest.astimezone(zone)
    preferences = [
        preference
        for preference in (facts.preferences if party == Party.CUSTOMER else ())
        if preference.channel == channel
    ]
    if any(preference.is_refused for preference in preferences):
        return None
    opens, closes = QUIET_BEFORE, QUIET_AFTER
    for preference in preferences:
        if preference.earliest_time is not None:
            opens = max(opens, preference.earliest_time)
        if preference.latest_time is not None:
            closes = min(closes, preference.latest_time)
    if opens > closes:
        return None
    for offset in range(horizon_days):
        day = start_local.date() + timedelta(days=offset)
        if any(
            preference.weekdays and day.weekday() not in preference.weekdays for preference in preferences
        ):
            continue
        # wall-clock comparisons: both sides are local times of the same zone
        window_opens = datetime.combine(day, opens, tzinfo=zone)
        window_closes = datetime.combine(day, closes, tzinfo=zone)
        candidate = max(window_opens, start_local) if offset == 0 else window_opens
        if candidate.replace(tzinfo=None) <= window_closes.replace(tzinfo=None):
            return candidate.astimezone(UTC)
    return None


def _call_cap_check(facts: ContactFacts, at: datetime) -> ContactDecision | None:
    """US-7IN7: at most 7 call attempts in 7 consecutive days, and none within 7 days of a conversation.

    Days are the customer's local calendar days; the conversation day counts as day 1, so calls are
    refused on that day and the 6 that follow. Calls the consumer makes are not recorded as attempts.
    """
    if facts.country != "US":
        return None
    today = local_day(at, facts.time_zone)
    window_start = today - timedelta(days=CALL_WINDOW_DAYS - 1)
    for talked_at in facts.conversations:
        talked_on = local_day(talked_at, facts.time_zone)
        if talked_on <= today <= talked_on + timedelta(days=CALL_WINDOW_DAYS - 1):
            return refused(
                "US-7IN7", f"A telephone conversation about this debt took place on {talked_on:%d %b %Y}"
            )
    made = sum(
        1 for called in facts.call_attempts if window_start <= local_day(called, facts.time_zone) <= today
    )
    if made >= CALL_CAP:
        return refused("US-7IN7", f"{made} call attempts in the 7 days to {today:%d %b %Y}")
    return None


def decide(facts: ContactFacts, *, channel: str, at: datetime, party: str, purpose: str) -> ContactDecision:
    """The contact policy guard's decision for one agreement (see ``policy.check_contact``).

    Order: holds (they stack; any one forbidding is enough), statute-barred limits on legal steps, consent
    and opt-outs, quiet hours and the customer's own times, then the US-7IN7 call cap.
    """
    today = local_day(at, facts.time_zone)
    for hold in sorted(facts.holds, key=lambda period: (period.starts_on, period.kind)):
        if hold.covers(today) and hold_forbids(hold.kind, party=party, purpose=purpose):
            return refused(HOLD_RULES[hold.kind], HOLD_MESSAGES[hold.kind])
    if purpose == Purpose.LEGAL and facts.statute_barred_on is not None and today >= facts.statute_barred_on:
        rule = "US-TIMEBAR" if facts.country == "US" else "UK-STATBAR"
        return refused(rule, f"The debt is statute-barred since {facts.statute_barred_on:%d %b %Y}")
    if party == Party.CUSTOMER:
        decision = _customer_channel_check(facts, channel)
        if decision is not None:
            return decision
    decision = _hours_check(facts, channel, at, own_times=party == Party.CUSTOMER)
    if decision is not None:
        return decision
    if channel == Channel.CALL and purpose != Purpose.SERVICE:
        decision = _call_cap_check(facts, at)
        if decision is not None:
            return decision
    return ALLOWED


# ----------------------------------------------------------------------------------------------------
# Promises and arrangements: kept or broken


class Outcome(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


def payment_outcome(
    instalments: list[tuple[date, int]],
    payments: list[tuple[date, int]],
    *,
    grace_days: int,
    as_of: date,
) -> tuple[Outcome, date | None]:
    """Kept or broken, as of the end of ``as_of``, and the day it was decided.

    Payments count cumulatively: each instalment's deadline is its due date plus the grace days, and by
    the end of that deadline the customer must have paid everything due up to it. Broken the day after a
    missed deadline; kept on the day the total promised is reached. Payments are (day, net amount).
    """
    ordered_payments = sorted(payments)
    due_so_far = 0
    total = sum(amount for _, amount in instalments)
    running = 0
    reached_on: date | None = None
    for day, amount in ordered_payments:
        if day > as_of:
            break
        running += amount
        if reached_on is None and running >= total:
            reached_on = day
        elif running < total:
            reached_on = None  # a reversal took it back under
    for due_on, amount in sorted(instalments):
        due_so_far += amount
        deadline = due_on + timedelta(days=grace_days)
        if deadline >= as_of:
            break
        paid_by_deadline = sum(value for day, value in ordered_payments if day <= deadline)
        if paid_by_deadline < due_so_far:
            return Outcome.BROKEN, deadline + timedelta(days=1)
    if reached_on is not None:
        return Outcome.KEPT, reached_on
    return Outcome.OPEN, None


def monthly_equivalent(amount_minor: int, frequency: str) -> int:
    """A weekly amount is 52/12 of itself a month (rounded up, to judge affordability cautiously)."""
    if frequency == "weekly":
        return -(-amount_minor * 52 // 12)
    return amount_minor


def is_affordable(*, amount_minor: int, frequency: str, disposable_minor: int) -> bool:
    """UK-PROPOSAL: an offer is affordable when it fits the disposable income of the I&E."""
    return monthly_equivalent(amount_minor, frequency) <= max(disposable_minor, 0)


# ----------------------------------------------------------------------------------------------------
# Statutory notices


# UK-NOSIA-FS / UK-NOSIA-RA: which notices are due is decided once, by the communications domain
# (fairpath.communications.rules and notices.find_notices_due); the cycle asks it.
DEFAULT_REMEDY_DAYS = 14
DEFAULT_SERVICE_BUSINESS_DAYS = 2
VALIDATION_RECEIPT_BUSINESS_DAYS = 5
VALIDATION_PERIOD_DAYS = 30


@lru_cache(maxsize=16)
def _holiday_calendar(country: str, region: str) -> Any:
    """Built once per part of the country (building one costs milliseconds; it fills years lazily)."""
    import holidays

    if country == "GB":
        return holidays.country_holidays("GB", subdiv=region if region in LIMITATION_YEARS else "ENG")
    return holidays.country_holidays("US")  # federal holidays


def add_business_days(start: date, count: int, *, country: str, region: str) -> date:
    """``count`` business days after ``start`` (the start day itself not counted), skipping weekends and the
    bank holidays of the customer's part of the UK, or US federal holidays."""
    calendar = _holiday_calendar(country, region)
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            remaining -= 1
    return day


def days_covered(start: date, end: date, periods: list[tuple[date, date | None]]) -> int:
    """How many days of ``start``..``end`` (both counted) fall inside any of ``periods`` (first day, last day
    or None while open). BS-EFFECT: the days of a charging period on which nothing may be charged."""
    covered = 0
    day = start
    while day <= end:
        if any(first <= day and (last is None or day <= last) for first, last in periods):
            covered += 1
        day += timedelta(days=1)
    return covered


def default_remedy_on(posted_on: date, *, country: str, region: str) -> date:
    """UK-DEFAULT: served 2 business days after posting; at least 14 days after service to remedy."""
    served_on = add_business_days(posted_on, DEFAULT_SERVICE_BUSINESS_DAYS, country=country, region=region)
    return served_on + timedelta(days=DEFAULT_REMEDY_DAYS)


def validation_period_end(sent_on: date, *, region: str) -> date:
    """US-VALIDATION: receipt assumed 5 days after sending excluding weekends and federal holidays; the
    period ends 30 days after that."""
    received_on = add_business_days(sent_on, VALIDATION_RECEIPT_BUSINESS_DAYS, country="US", region=region)
    return received_on + timedelta(days=VALIDATION_PERIOD_DAYS)
