"""Transfer to recoveries: only an account that was fully worked (a per-client checklist) may go.

``recoveries_checklist(agreement_ids, as_of)`` answers set-based for many agreements at once (a few queries
per 900 ids, never one per account) so the daily cycle can call it too; ``transfer_to_recoveries`` asks it
for one agreement and refuses with every missing item listed.

Items (the client's ``RecoveriesChecklist`` row switches the configurable ones; defaults without a row):
- contact attempts: at least N attempts the contact policy guard allowed;
- arrangement offered: an arrangement proposed, an arrangement considered under UK-FORB, or a contact
  logged with the outcome "arrangement discussed";
- I&E offered: an income and expenditure assessment on file, or a contact logged "I&E offered, declined";
- required notices sent: no statutory notice still pending (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT);
- default notice expired (UK-DEFAULT): a default notice was served and the day to remedy has passed.
Always: no hold in force (BS-EFFECT, UK-ADVICE-HOLD, UK-CAPACITY, US-VALIDATION), and the status table
allows the move (STATUS-TRANSITION: from default or written off).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from fairpath.accounts import rules as account_rules
from fairpath.accounts.models import Address, Agreement
from fairpath.collections import rules
from fairpath.collections.models import (
    Arrangement,
    ContactAttempt,
    ContactRecord,
    ForbearanceRecord,
    Hold,
    IncomeExpenditure,
    NoticeDue,
    RecoveriesChecklist,
)
from fairpath.core.errors import Refusal
from fairpath.governance.access import require_client, require_permission
from fairpath.governance.models import User

PERMISSION = "collections.transfer_to_recoveries"
RULE = "RECOVERIES-CHECKLIST"


@dataclass(frozen=True)
class ChecklistConfig:
    minimum_contact_attempts: int = 3
    require_arrangement_offered: bool = True
    require_income_expenditure_offered: bool = True
    require_notices_sent: bool = True
    require_default_notice_expired: bool = True


DEFAULT_CONFIG = ChecklistConfig()


@dataclass(frozen=True)
class MissingItem:
    """One thing not done: ``code`` for machines, ``label`` for people, ``rule`` that asks for it."""

    code: str
    label: str
    rule: str

    def __str__(self) -> str:
        return f"{self.label} ({self.rule})"


class ChecklistIncomplete(Refusal):
    """RECOVERIES-CHECKLIST: the account was not fully worked; ``missing`` lists every item."""

    def __init__(self, missing: Sequence[MissingItem]) -> None:
        super().__init__(
            "Not fully worked, so not transferred to recoveries. Missing: "
            + "; ".join(str(item) for item in missing),
            rule=RULE,
        )
        self.missing = list(missing)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    size = 900 if connection.vendor == "sqlite" else 20_000
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def config_for(client_ids: Iterable[int]) -> dict[int, ChecklistConfig]:
    """Each client's checklist (the defaults where a client has none)."""
    found = {
        row.client_id: ChecklistConfig(
            row.minimum_contact_attempts,
            row.require_arrangement_offered,
            row.require_income_expenditure_offered,
            row.require_notices_sent,
            row.require_default_notice_expired,
        )
        for row in RecoveriesChecklist.objects.filter(client_id__in=list(set(client_ids)))
    }
    return defaultdict(lambda: DEFAULT_CONFIG, found)


def recoveries_checklist(agreement_ids: Sequence[int], as_of: date) -> dict[int, list[MissingItem]]:
    """For each agreement, what is missing before it may go to recoveries on ``as_of`` (empty: it may go).

    Reads only (no writes, no audit); 9 queries per chunk of ids whatever the chunk's size. Unknown ids
    are left out of the answer.
    """
    answer: dict[int, list[MissingItem]] = {}
    end_of_day = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    for chunk in _chunks(sorted(set(agreement_ids))):
        # UK-DEFAULT is the law for customers in the UK, not a client's choice: the client's switch only
        # adds the same check for other jurisdictions.
        in_uk = Exists(
            Address.objects.filter(customer_id=OuterRef("customer_id"), is_current=True, country="GB")
        )
        agreements = list(
            Agreement.objects.filter(id__in=chunk)
            .annotate(in_uk=in_uk)
            .values_list("id", "client_id", "customer_id", "status", "in_uk")
        )
        ids = [row[0] for row in agreements]
        customer_ids = {row[2] for row in agreements}
        configs = config_for(row[1] for row in agreements)
        attempts = dict(
            ContactAttempt.objects.filter(agreement_id__in=ids, is_allowed=True, at__lt=end_of_day)
            .values("agreement_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("agreement_id", "n")
        )
        arrangement_offered = set(
            Arrangement.objects.filter(agreement_id__in=ids, proposed_on__lte=as_of).values_list(
                "agreement_id", flat=True
            )
        )
        for agreement_id, considered in ForbearanceRecord.objects.filter(
            agreement_id__in=ids, recorded_on__lte=as_of
        ).values_list("agreement_id", "considered"):
            if "arrangement" in (considered or []):
                arrangement_offered.add(agreement_id)
        ie_declined: set[int] = set()
        for agreement_id, outcome in (
            ContactRecord.objects.filter(
                agreement_id__in=ids, outcome__in=("arrangement", "ie_declined"), at__lt=end_of_day
            )
            .values_list("agreement_id", "outcome")
            .distinct()
        ):
            (arrangement_offered if outcome == "arrangement" else ie_declined).add(agreement_id)
        customers_with_ie = set(
            IncomeExpenditure.objects.filter(
                customer_id__in=customer_ids, assessed_on__lte=as_of
            ).values_list("customer_id", flat=True)
        )
        pending: dict[int, list[str]] = defaultdict(list)
        default_remedy: dict[int, list[date | None]] = defaultdict(list)
        for agreement_id, rule, status, remedy_on in NoticeDue.objects.filter(
            agreement_id__in=ids, trigger_on__lte=as_of
        ).values_list("agreement_id", "rule", "status", "remedy_on"):
            if status == NoticeDue.Status.PENDING:
                pending[agreement_id].append(rule)
            elif status == NoticeDue.Status.SENT and rule == "UK-DEFAULT":
                default_remedy[agreement_id].append(remedy_on)
        holds: dict[int, list[str]] = defaultdict(list)
        for agreement_id, kind in (
            Hold.objects.filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=as_of), agreement_id__in=ids, starts_on__lte=as_of
            )
            .filter(Q(ended_early_on__isnull=True) | Q(ended_early_on__gte=as_of))
            .values_list("agreement_id", "kind")
        ):
            holds[agreement_id].append(kind)

        for agreement_id, client_id, customer_id, status, in_uk_customer in agreements:
            config = configs[client_id]
            missing: list[MissingItem] = []
            if (
                account_rules.AgreementStatus.RECOVERIES
                not in account_rules.STATUS_TRANSITIONS[account_rules.AgreementStatus(status)]
            ):
                missing.append(
                    MissingItem(
                        "status",
                        f"The agreement is {status.replace('_', ' ')}: only a defaulted account goes to recoveries",
                        "STATUS-TRANSITION",
                    )
                )
            for kind in sorted(set(holds.get(agreement_id, []))):
                hold_kind = rules.HoldKind(kind)
                missing.append(
                    MissingItem(f"hold_{kind}", rules.HOLD_MESSAGES[hold_kind], rules.HOLD_RULES[hold_kind])
                )
            made = attempts.get(agreement_id, 0)
            if made < config.minimum_contact_attempts:
                missing.append(
                    MissingItem(
                        "contact_attempts",
                        f"Contact attempts: {made} of the {config.minimum_contact_attempts} required",
                        RULE,
                    )
                )
            if config.require_arrangement_offered and agreement_id not in arrangement_offered:
                missing.append(MissingItem("arrangement_offered", "No arrangement offered", "UK-FORB"))
            if (
                config.require_income_expenditure_offered
                and customer_id not in customers_with_ie
                and agreement_id not in ie_declined
            ):
                missing.append(
                    MissingItem(
                        "income_expenditure_offered", "No income and expenditure offered", "UK-PROPOSAL"
                    )
                )
            if config.require_notices_sent:
                for rule in sorted(set(pending.get(agreement_id, []))):
                    missing.append(MissingItem("notice_pending", f"Notice still to send: {rule}", rule))
            if config.require_default_notice_expired or in_uk_customer:
                remedies = [day for day in default_remedy.get(agreement_id, []) if day is not None]
                if not remedies:
                    missing.append(MissingItem("default_notice", "No default notice served", "UK-DEFAULT"))
                elif max(remedies) >= as_of:
                    missing.append(
                        MissingItem(
                            "default_notice",
                            f"The default notice's remedy period runs to {max(remedies):%d %b %Y}",
                            "UK-DEFAULT",
                        )
                    )
            answer[agreement_id] = missing
    return answer


def transfer_to_recoveries(*, agreement: Agreement, actor: User, on: date, reason: str) -> Agreement:
    """Move a fully worked account to recoveries; otherwise refuse listing every missing item (nothing
    changes). The checklist as it stood is kept in the audit row. The transfer itself is the collections
    action the daily cycle's recoveries_transfer step uses too (``transfer_fully_worked_to_recoveries``);
    this adds the agent's permission and client checks."""
    from fairpath.collections.actions import transfer_fully_worked_to_recoveries

    require_permission(actor, PERMISSION)
    require_client(actor, agreement.client_id)
    outcome = transfer_fully_worked_to_recoveries(
        agreement_ids=[agreement.pk], on=on, actor=actor, reason=reason
    )
    if agreement.pk in outcome.refused:
        raise ChecklistIncomplete(outcome.refused[agreement.pk])
    agreement.status = "recoveries"
    return agreement
