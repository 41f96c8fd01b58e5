"""The contact policy guard: one place decides whether a proposed contact is allowed, and which rule forbids it.

``check_contact`` answers for one agreement (the agent workspace, the communications outbox, the API);
``check_contacts_bulk`` answers for many at once with a fixed number of queries (the daily cycle). Both
gather the same facts and call the same pure ``rules.decide``, so they cannot disagree.

Rules: BS-EFFECT, UK-ADVICE-HOLD, UK-CAPACITY, US-VALIDATION (dispute), US-7IN7, US-HOURS and the
customer's own times (UK-CONTACT), US-OPTOUT, US-REVOKE, UK-STATBAR, US-TIMEBAR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.db.models import Max, Q

from fairpath.accounts import rules as account_rules
from fairpath.accounts.models import (
    Address,
    Agreement,
    ArrearsState,
    ContactPoint,
    ContactPreference,
    LedgerEntry,
)
from fairpath.collections import rules
from fairpath.collections.models import ContactAttempt, Hold, NoticeDue
from fairpath.collections.rules import ContactDecision
from fairpath.core.errors import InvalidInput

__all__ = [
    "ContactDecision",
    "FactsOnDemand",
    "PlannedContact",
    "check_contact",
    "check_contacts_bulk",
    "gather_facts",
    "plan_contacts_bulk",
    "planning_horizon",
]

CHUNK = 900  # stays under SQLite's bound-parameter limit
_LOOKBACK_DAYS = rules.CALL_WINDOW_DAYS + 1


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _check_vocabulary(channel: str, party: str, purpose: str, at: datetime) -> None:
    if channel not in {item.value for item in rules.Channel}:
        raise InvalidInput(f"Unknown channel {channel!r}: call, sms, email or letter", field="channel")
    if party not in {item.value for item in rules.Party}:
        raise InvalidInput(f"Unknown party {party!r}: customer or third_party", field="party")
    if purpose not in {item.value for item in rules.Purpose}:
        raise InvalidInput(
            f"Unknown purpose {purpose!r}: collections, statutory, service or legal", field="purpose"
        )
    if at.tzinfo is None:
        raise InvalidInput("The time must carry a time zone (UTC instants)", field="at")


def gather_facts(
    agreement_ids: Sequence[int] | None = None,
    *,
    at: datetime,
    party: str = rules.Party.CUSTOMER.value,
    id_range: tuple[int, int] | None = None,
    client_ids: Sequence[int] | None = None,
) -> dict[int, rules.ContactFacts]:
    """Everything the guard needs about these agreements, in a fixed number of queries.

    Either ``agreement_ids`` (in chunks of 900) or an inclusive ``id_range`` of agreements of ``client_ids``
    (one pass, as the daily cycle's shards use).
    """
    facts: dict[int, rules.ContactFacts] = {}
    if id_range is not None:
        scope = Q(id__range=id_range)
        if client_ids is not None:
            scope &= Q(client_id__in=list(client_ids))
        _gather(scope, at, party, facts)
        return facts
    ids = sorted(set(agreement_ids or ()))
    for chunk in _chunks(ids):
        _gather(Q(id__any_of=chunk), at, party, facts)
    return facts


class FactsOnDemand:
    """The guard's facts for a batch's agreements, gathered in bulk for those actually asked about.

    On most nights only a few thousand of a million accounts have a contact to decide; gathering facts for
    every account of a shard was a third of the cycle's CPU. Callers say which agreements they are about to
    ask about (``need``, one set-based ``gather_facts`` for the missing ones); ``get`` of one not yet
    gathered gathers it alone, so a forgotten ``need`` costs queries, never a wrong answer. Holds the batch
    starts before the facts are read (``add_hold``) are added to whatever is gathered later.
    """

    def __init__(self, *, at: datetime, party: str = rules.Party.CUSTOMER.value) -> None:
        self.at = at
        self.party = party
        self._facts: dict[int, rules.ContactFacts] = {}
        self._asked: set[int] = set()
        self._new_holds: dict[int, list[rules.HoldPeriod]] = {}

    def need(self, agreement_ids: Iterable[int]) -> None:
        missing = sorted(set(agreement_ids) - self._asked)
        if not missing:
            return
        self._asked.update(missing)
        gathered = gather_facts(missing, at=self.at, party=self.party)
        for agreement_id, facts in gathered.items():  # a hold already stored is read back: not twice
            facts.holds.extend(h for h in self._new_holds.get(agreement_id, []) if h not in facts.holds)
        self._facts.update(gathered)

    def get(self, agreement_id: int) -> rules.ContactFacts | None:
        self.need([agreement_id])
        return self._facts.get(agreement_id)

    def __getitem__(self, agreement_id: int) -> rules.ContactFacts:
        found = self.get(agreement_id)
        if found is None:
            raise KeyError(agreement_id)
        return found

    def add_hold(self, agreement_id: int, hold: rules.HoldPeriod) -> None:
        """A hold started by this batch: part of the facts whether they were gathered already or not."""
        if agreement_id in self._facts:
            self._facts[agreement_id].holds.append(hold)
        elif agreement_id not in self._asked:
            self._new_holds.setdefault(agreement_id, []).append(hold)


def _gather(scope: Q, at: datetime, party: str, facts: dict[int, rules.ContactFacts]) -> None:
    agreements = Agreement.objects.filter(scope).order_by()
    customers = dict(agreements.values_list("id", "customer_id"))
    if not customers:
        return
    customer_scope = agreements.values("customer_id")
    in_scope = agreements.values("id")
    addresses: dict[int, tuple[str, str]] = {}
    for customer_id, country, region in (
        Address.objects.filter(customer_id__any_of=customer_scope, is_current=True)
        .order_by("customer_id", "-kind", "id")  # "home" sorts after "correspondence": home wins below
        .values_list("customer_id", "country", "region")
    ):
        addresses[customer_id] = (country, region)
    points: dict[int, list[rules.ContactPointFacts]] = {}
    for row in ContactPoint.objects.filter(customer_id__any_of=customer_scope).values_list(
        "customer_id",
        "channel",
        "has_call_consent",
        "has_text_consent",
        "has_email_consent",
        "is_opted_out",
        "kind",
    ):
        points.setdefault(row[0], []).append(
            rules.ContactPointFacts(row[1], row[2], row[3], row[4], row[5], row[6] == "mobile")
        )
    preferences: dict[int, list[rules.PreferenceFacts]] = {}
    for row in ContactPreference.objects.filter(customer_id__any_of=customer_scope).values_list(
        "customer_id", "channel", "is_refused", "earliest_time", "latest_time", "weekdays"
    ):
        preferences.setdefault(row[0], []).append(
            rules.PreferenceFacts(row[1], row[2], row[3], row[4], tuple(row[5] or ()))
        )
    holds: dict[int, list[rules.HoldPeriod]] = {}
    for agreement_id, kind, starts_on, ends_on, ended_early_on in Hold.objects.filter(
        agreement_id__any_of=in_scope
    ).values_list("agreement_id", "kind", "starts_on", "ends_on", "ended_early_on"):
        holds.setdefault(agreement_id, []).append(
            rules.HoldPeriod(rules.HoldKind(kind), starts_on, ended_early_on or ends_on)
        )
    calls: dict[int, list[datetime]] = {}
    conversations: dict[int, list[datetime]] = {}
    for agreement_id, called_at, is_conversation in ContactAttempt.objects.filter(
        agreement_id__any_of=in_scope,
        channel=rules.Channel.CALL,
        party=party,
        is_allowed=True,
        at__gt=at - timedelta(days=_LOOKBACK_DAYS),
        at__lte=at,
    ).values_list("agreement_id", "at", "is_conversation"):
        calls.setdefault(agreement_id, []).append(called_at)
        if is_conversation:
            conversations.setdefault(agreement_id, []).append(called_at)
    oldest_unpaid = dict(
        ArrearsState.objects.filter(agreement_id__any_of=in_scope).values_list(
            "agreement_id", "oldest_unpaid_due_on"
        )
    )
    remedies = dict(
        NoticeDue.objects.filter(agreement_id__any_of=in_scope, rule="UK-DEFAULT", remedy_on__isnull=False)
        .values("agreement_id")
        .annotate(last=Max("remedy_on"))
        .values_list("agreement_id", "last")
        .order_by()
    )
    # Only a debt whose clock started more than the shortest limitation period ago can be statute-barred:
    # read last payments for those alone (usually very few).
    horizon = at.date() - relativedelta(years=rules.SHORTEST_LIMITATION_YEARS)
    candidates = sorted(
        agreement_id
        for agreement_id in customers
        if (start := remedies.get(agreement_id) or oldest_unpaid.get(agreement_id)) is not None
        and start <= horizon
    )
    last_payments: dict[int, Any] = {}
    for chunk in _chunks(candidates):
        last_payments.update(
            LedgerEntry.objects.filter(agreement_id__in=chunk, kind=account_rules.EntryKind.PAYMENT)
            .values("agreement_id")
            .annotate(last=Max("posted_on"))
            .values_list("agreement_id", "last")
            .order_by()
        )
    for agreement_id, customer_id in customers.items():
        country, region = addresses.get(customer_id, ("GB", "ENG"))
        facts[agreement_id] = rules.ContactFacts(
            agreement_id=agreement_id,
            country=country,
            region=region,
            time_zone=account_rules.time_zone_for(country, region),
            holds=holds.get(agreement_id, []),
            contact_points=points.get(customer_id, []),
            preferences=preferences.get(customer_id, []),
            call_attempts=calls.get(agreement_id, []),
            conversations=conversations.get(agreement_id, []),
            # UK-STATBAR: limitation of a regulated UK agreement runs from the expiry of its default notice.
            statute_barred_on=rules.statute_barred_on(
                country=country,
                region=region,
                cause_of_action_on=oldest_unpaid.get(agreement_id),
                last_payment_on=last_payments.get(agreement_id),
                default_remedy_on=remedies.get(agreement_id),
            ),
        )


def check_contacts_bulk(
    *,
    agreement_ids: Sequence[int],
    channel: str,
    at: datetime,
    party: str = "customer",
    purpose: str = "collections",
    facts: dict[int, rules.ContactFacts] | None = None,
) -> dict[int, ContactDecision]:
    """The guard for many agreements at once (set-based: a fixed number of queries per 900 agreements)."""
    _check_vocabulary(channel, party, purpose, at)
    known = facts if facts is not None else gather_facts(agreement_ids, at=at, party=party)
    return {
        agreement_id: rules.decide(known[agreement_id], channel=channel, at=at, party=party, purpose=purpose)
        for agreement_id in agreement_ids
        if agreement_id in known
    }


@dataclass(frozen=True)
class PlannedContact:
    """When a contact will go (UTC), the guard's decision for that moment, and the customer's time zone."""

    at: datetime
    decision: ContactDecision
    time_zone: str


def planning_horizon(*, on: date, at: datetime | None = None, not_before: datetime | None = None) -> datetime:
    """The moment ``plan_contacts_bulk`` gathers its facts for (``gather_facts(at=...)``): the call cap's
    window ends at the latest moment planned, the end of day ``on`` in the westernmost zone. A caller that
    plans several channels for the same agreements gathers once for this moment and passes ``facts``."""
    probe = at or not_before or datetime.combine(on, time(12), tzinfo=UTC)
    return max(probe, datetime.combine(on + timedelta(days=1), time(12), tzinfo=UTC))


def plan_contacts_bulk(
    *,
    agreement_ids: Sequence[int],
    channel: str,
    on: date,
    at: datetime | None = None,
    not_before: datetime | None = None,
    local_time: time = rules.SEND_LOCAL_TIME,
    party: str = "customer",
    purpose: str = "collections",
    facts: dict[int, rules.ContactFacts] | None = None,
) -> dict[int, PlannedContact]:
    """The guard for contacts that go later on day ``on``, many at once (US-HOURS, UK-CONTACT): each is
    planned for ``local_time`` on ``on`` in the customer's own time zone (or from ``at`` when given, the
    same instant for all), not before ``not_before``, moved to the next moment the quiet hours and the
    customer's own times allow (``rules.next_permitted_moment``); the guard decides for that moment, the
    moment the contact will actually go. A contact with no permitted moment is decided at its earliest."""
    probe = at or not_before or datetime.combine(on, time(12), tzinfo=UTC)
    _check_vocabulary(channel, party, purpose, probe)
    if facts is None:
        facts = gather_facts(
            agreement_ids, at=planning_horizon(on=on, at=at, not_before=not_before), party=party
        )
    planned: dict[int, PlannedContact] = {}
    for agreement_id in agreement_ids:
        known = facts.get(agreement_id)
        if known is None:
            continue
        earliest = at or rules.local_moment(on, local_time, known.time_zone)
        if not_before is not None and not_before > earliest:
            earliest = not_before
        moment = rules.next_permitted_moment(known, channel, earliest, party=party) or earliest
        planned[agreement_id] = PlannedContact(
            moment,
            rules.decide(known, channel=channel, at=moment, party=party, purpose=purpose),
            known.time_zone,
        )
    return planned


def check_contact(
    *, agreement: Any, channel: str, at: datetime, party: str = "customer", purpose: str = "collections"
) -> ContactDecision:
    """Is this contact allowed now? If not, ``rule`` names the rule that forbids it (see module docstring)."""
    agreement_id = agreement if isinstance(agreement, int) else agreement.pk
    decisions = check_contacts_bulk(
        agreement_ids=[agreement_id], channel=channel, at=at, party=party, purpose=purpose
    )
    if agreement_id not in decisions:
        raise InvalidInput("No such agreement", field="agreement")
    return decisions[agreement_id]
