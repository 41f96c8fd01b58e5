"""Collections records: holds, the contact log, promises and arrangements, strategies and the daily cycle.

Instants are stored in UTC; hold periods are local calendar dates of the customer, inclusive at both ends.
"""

from __future__ import annotations

from django.db import models

from fairpath.clients.models import ClientOwned
from fairpath.collections import rules

HOLD_KIND_CHOICES = [
    (rules.HoldKind.BREATHING_SPACE.value, "Breathing space (standard)"),
    (rules.HoldKind.MENTAL_HEALTH_BREATHING_SPACE.value, "Breathing space (mental-health crisis)"),
    (rules.HoldKind.DEBT_ADVICE.value, "Debt-advice hold"),
    (rules.HoldKind.CAPACITY.value, "Mental capacity"),
    (rules.HoldKind.DISPUTE.value, "Dispute in the validation period"),
]
CHANNEL_CHOICES = [(channel.value, channel.value.capitalize()) for channel in rules.Channel]
PARTY_CHOICES = [(party.value, party.value.replace("_", " ").capitalize()) for party in rules.Party]
PURPOSE_CHOICES = [(purpose.value, purpose.value.capitalize()) for purpose in rules.Purpose]


class Hold(ClientOwned):
    """A period in which collection is suspended (BS-EFFECT, UK-ADVICE-HOLD, UK-CAPACITY, US-VALIDATION).

    Holds stack: several can be in force at once and contact is allowed only when none forbids it.
    ``ends_on`` is the last day of the hold (inclusive); blank means until someone ends it.
    """

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(max_length=32, choices=HOLD_KIND_CHOICES)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    ended_early_on = models.DateField(null=True, blank=True, help_text="Set when ended before its end date")
    extensions = models.PositiveSmallIntegerField(default=0)
    reference = models.CharField(max_length=60, blank=True, help_text="Register or case reference")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-starts_on", "id"]
        permissions = [
            ("view_suppressions", "See holds and suppressed contacts"),
            ("manage_hold", "Start, extend and end holds"),
        ]
        indexes = [models.Index(fields=["agreement", "starts_on"], name="hold_agreement_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_on}"

    @property
    def last_day(self):  # noqa: ANN201 - date | None
        return self.ended_early_on or self.ends_on

    def period(self) -> rules.HoldPeriod:
        return rules.HoldPeriod(rules.HoldKind(self.kind), self.starts_on, self.last_day)


class ContactAttempt(ClientOwned):
    """One proposed contact and the guard's answer. Allowed outbound calls count toward US-7IN7.

    Refusals are kept too (``is_allowed`` false, with the rule), so every suppression is counted and visible.
    """

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="contact_attempts"
    )
    channel = models.CharField(max_length=10, choices=CHANNEL_CHOICES)
    party = models.CharField(max_length=20, choices=PARTY_CHOICES, default=rules.Party.CUSTOMER.value)
    purpose = models.CharField(
        max_length=20, choices=PURPOSE_CHOICES, default=rules.Purpose.COLLECTIONS.value
    )
    at = models.DateTimeField()
    is_allowed = models.BooleanField()
    is_conversation = models.BooleanField(
        default=False, help_text="A telephone conversation about the debt took place (US-7IN7)"
    )
    rule = models.CharField(max_length=30, blank=True)
    message = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=30, default="agent", help_text="agent, cycle, communications, api")
    actor_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "id"]
        indexes = [
            models.Index(fields=["agreement", "channel", "at"], name="attempt_agreement_channel_at"),
            models.Index(fields=["client", "is_allowed", "rule"], name="attempt_client_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.at:%Y-%m-%d %H:%M} {'allowed' if self.is_allowed else self.rule}"


NOTICE_RULE_CHOICES = [
    ("UK-NOSIA-FS", "Notice of sums in arrears (fixed-sum)"),
    ("UK-NOSIA-RA", "Notice of sums in arrears (running account)"),
    ("UK-DEFAULT", "Default notice"),
    ("US-VALIDATION", "Validation notice"),
]


class NoticeDue(ClientOwned):
    """A statutory notice the cycle found due (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT, US-VALIDATION).

    The communications domain renders and sends the document and sets ``sent_on``; until then the notice
    is pending. ``send_by`` is the last day it may go (UK-NOSIA-FS: within 14 days beginning with the
    trigger day); a pending notice past ``send_by`` is late (UK-NOSIA-LATE). One row per agreement, rule
    and trigger day, so re-running the cycle never raises a notice twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="notices_due")
    rule = models.CharField(max_length=20, choices=NOTICE_RULE_CHOICES)
    trigger_on = models.DateField(help_text="The day the duty arose")
    send_by = models.DateField(help_text="The last day the notice may be sent")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_on = models.DateField(null=True, blank=True)
    remedy_on = models.DateField(null=True, blank=True, help_text="UK-DEFAULT: last day to remedy")
    validation_ends_on = models.DateField(null=True, blank=True, help_text="US-VALIDATION: period end")
    arrears_minor = models.BigIntegerField(default=0)
    run_date = models.DateField(help_text="The cycle date that raised it")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trigger_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "rule", "trigger_on"], name="one_notice_per_trigger")
        ]
        indexes = [models.Index(fields=["status", "send_by"], name="notice_status_send_by")]

    def __str__(self) -> str:
        return f"{self.rule} for {self.agreement_id} due by {self.send_by}"


class Promise(ClientOwned):
    """A promise to pay: one or several dated amounts. Kept or broken is decided by the cycle after grace."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"
        CANCELLED = "cancelled", "Cancelled"

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="promises")
    made_on = models.DateField()
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    grace_days = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_on", "id"]
        indexes = [models.Index(fields=["client", "status"], name="promise_client_status")]

    def __str__(self) -> str:
        return f"Promise of {self.total_minor} on {self.made_on}"


class PromiseInstalment(ClientOwned):
    """One dated amount of a promise."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["due_on", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["promise", "sequence"], name="one_promise_instalment_per_sequence"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="promise_instalment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} due {self.due_on}"


class IncomeExpenditure(ClientOwned):
    """UK-PROPOSAL: an income & expenditure assessment (monthly amounts) that affordability is judged by."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="ie_assessments")
    assessed_on = models.DateField()
    currency = models.CharField(max_length=3)
    income_minor = models.BigIntegerField(help_text="Monthly net income")
    essential_spend_minor = models.BigIntegerField(
        help_text="Monthly essential spending (housing, bills, food)"
    )
    other_debts_minor = models.BigIntegerField(default=0, help_text="Monthly payments to other creditors")
    categories = models.JSONField(
        default=dict, blank=True, help_text="Standard Financial Statement lines {category: monthly minor}"
    )
    flags = models.JSONField(default=list, blank=True, help_text="Implausible-expenditure flags")
    notes = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-assessed_on", "id"]
        verbose_name = "income and expenditure assessment"

    def __str__(self) -> str:
        return f"I&E of {self.assessed_on}"

    @property
    def disposable_minor(self) -> int:
        return self.income_minor - self.essential_spend_minor - self.other_debts_minor


class Arrangement(ClientOwned):
    """A repayment arrangement: regular amounts agreed on an I&E, watched for kept and broken payments.

    UK-PROPOSAL: a proposal is never rejected automatically; each decision is recorded with a reason.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        BROKEN = "broken", "Broken"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="arrangements")
    assessment = models.ForeignKey(IncomeExpenditure, null=True, blank=True, on_delete=models.PROTECT)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    frequency = models.CharField(max_length=10, default="monthly")
    first_due_on = models.DateField()
    instalment_count = models.PositiveSmallIntegerField()
    grace_days = models.PositiveSmallIntegerField(default=5)
    is_affordable = models.BooleanField(help_text="Within the disposable income of the I&E")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.CharField(max_length=150)
    proposed_on = models.DateField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_on", "id"]
        indexes = [models.Index(fields=["client", "status"], name="arrangement_client_status")]

    def __str__(self) -> str:
        return f"{self.instalment_count} x {self.amount_minor} from {self.first_due_on}"


class ArrangementInstalment(ClientOwned):
    """One payment due under an arrangement."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["due_on", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "sequence"], name="one_arrangement_instalment_per_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} due {self.due_on}"


class Strategy(models.Model):
    """A named collections strategy. Its rules live in versions; the newest version is the one in force.

    ``client`` blank: a shared strategy, used for every client without one of its own.
    """

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        permissions = [("run_cycle", "Run the daily collections cycle")]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> StrategyVersion | None:
        return self.versions.order_by("-number").first()


class StrategyVersion(models.Model):
    """One immutable version of a strategy: the validated document (segments, paths, steps) and its source."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField(help_text="The validated strategy (see docs/collections.md)")
    source = models.TextField(help_text="The YAML or JSON it was imported from")
    source_format = models.CharField(max_length=4, default="yaml")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["strategy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="one_strategy_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.strategy.code} v{self.number}"


class CycleRun(models.Model):
    """One run of the daily cycle for a date (all clients, or one). Shards record their own completion."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    run_date = models.DateField()
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    is_rerun = models.BooleanField(default=False)
    shard_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-run_date", "-id"]
        indexes = [models.Index(fields=["status", "run_date"], name="cycle_run_status_date")]

    def __str__(self) -> str:
        return f"Cycle {self.run_date} ({self.status})"


class ShardRun(models.Model):
    """A shard of a cycle run, written in the same transaction as the shard's changes (crash-safe resume)."""

    cycle_run = models.ForeignKey(CycleRun, on_delete=models.CASCADE, related_name="shards")
    number = models.PositiveIntegerField()
    first_agreement_id = models.BigIntegerField()
    last_agreement_id = models.BigIntegerField()
    summary = models.JSONField(default=dict)
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["cycle_run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle_run", "number"], name="one_shard_run_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_run_id} shard {self.number}"


class TreatmentState(ClientOwned):
    """Where an agreement stands in its strategy: segment, path, the day it entered, the next step."""

    agreement = models.OneToOneField("accounts.Agreement", on_delete=models.CASCADE, related_name="treatment")
    strategy_version = models.ForeignKey(StrategyVersion, null=True, blank=True, on_delete=models.PROTECT)
    segment = models.CharField(max_length=60, blank=True)
    path = models.CharField(max_length=60, blank=True)
    entered_on = models.DateField()
    next_step = models.PositiveSmallIntegerField(default=0)
    last_contact_on = models.DateField(null=True, blank=True)
    updated_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["client", "segment", "path"], name="treatment_segment_path")]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.segment}/{self.path}"


class ScheduledAction(ClientOwned):
    """A treatment step the cycle scheduled, or suppressed naming the rule (counted on the suppressions page).

    ``key`` makes a step happen once per entry into a path, so re-running a day adds nothing.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SUPPRESSED = "suppressed", "Suppressed"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="scheduled_actions"
    )
    key = models.CharField(max_length=200, unique=True)
    run_date = models.DateField()
    action = models.CharField(max_length=30)
    channel = models.CharField(max_length=10, blank=True)
    template = models.CharField(max_length=100, blank=True)
    segment = models.CharField(max_length=60)
    path = models.CharField(max_length=60)
    step_index = models.PositiveSmallIntegerField()
    strategy_version = models.ForeignKey(StrategyVersion, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    rule = models.CharField(max_length=30, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-run_date", "id"]
        indexes = [
            models.Index(fields=["client", "status", "rule"], name="scheduled_client_status_rule"),
            models.Index(fields=["run_date", "status"], name="scheduled_run_date_status"),
            models.Index(fields=["agreement", "run_date"], name="scheduled_agreement_date"),
        ]

    def __str__(self) -> str:
        return f"{self.action} for {self.agreement_id} on {self.run_date} ({self.status})"


class ContactRecord(ClientOwned):
    """What an agent logged about a contact (workspace): who, how, identity, right party, outcome, note.

    An outbound call is logged only after the guard allowed it (``attempt`` is the guard's answer, kept
    either way); inbound contacts are the customer's own and are logged as they happened (UK-CONTACT).
    """

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="contact_records"
    )
    attempt = models.OneToOneField(
        ContactAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="record"
    )
    channel = models.CharField(max_length=10, choices=CHANNEL_CHOICES)
    direction = models.CharField(max_length=8, choices=[("outbound", "Outbound"), ("inbound", "Inbound")])
    party = models.CharField(max_length=20, choices=PARTY_CHOICES, default=rules.Party.CUSTOMER.value)
    third_party_name = models.CharField(max_length=200, blank=True)
    identity_verified = models.BooleanField(default=False, help_text="UK-CONTACT: identity confirmed first")
    right_party = models.BooleanField(default=False)
    outcome = models.CharField(max_length=30)
    note = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [("manage_third_party", "Add and end third parties (advisers, attorneys, guarantors)")]
        indexes = [models.Index(fields=["agreement", "at"], name="contact_record_agreement_at")]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} {self.outcome}"


class Note(ClientOwned):
    """A free-text note on an agreement. P-PAN: card numbers are masked or refused before saving."""

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    cards_masked = models.PositiveSmallIntegerField(default=0)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agreement", "created_at"], name="note_agreement_created")]

    def __str__(self) -> str:
        return self.text[:40]


class ForbearanceRecord(ClientOwned):
    """UK-FORB: the options considered for an account in arrears, the one chosen and those refused, with reasons."""

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.CASCADE, related_name="forbearance")
    considered = models.JSONField(default=list)
    chosen = models.CharField(max_length=40, blank=True)
    chosen_reason = models.CharField(max_length=500, blank=True)
    refused = models.JSONField(default=dict, help_text="{option: reason}")
    recorded_on = models.DateField()
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-recorded_on", "-id"]

    def __str__(self) -> str:
        return f"Forbearance {self.chosen or 'none'} on {self.recorded_on}"


class SettlementOffer(ClientOwned):
    """An offer to settle an agreement for less than its balance: full and final, or partial.

    Full and final: once ``amount_minor`` is paid the lender accepts it in full satisfaction and the rest
    (``discount_minor``) is posted as a settlement discount. Partial: once paid, collection stops but the
    remainder still exists and is still owed (UK-SETTLE-PARTIAL: the record and the letter say so).
    The discount is checked against the offering person's ``settlement_discount_bp`` authority
    (AUTHORITY-LIMIT); over it the offer waits for the next role up.
    """

    class Kind(models.TextChoices):
        FULL_AND_FINAL = "full_and_final", "Full and final"
        PARTIAL = "partial", "Partial (the remainder still exists)"

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted, awaiting payment"
        SETTLED = "settled", "Settled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="settlement_offers"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_APPROVAL)
    currency = models.CharField(max_length=3)
    balance_minor = models.BigIntegerField(help_text="The balance when the offer was made")
    amount_minor = models.BigIntegerField(help_text="What the customer pays")
    discount_minor = models.BigIntegerField(help_text="Balance less amount: what the lender gives up")
    discount_bp = models.PositiveIntegerField(help_text="The discount in basis points of the balance")
    offered_on = models.DateField()
    pay_by = models.DateField()
    statement = models.TextField(help_text="The terms as the letter and the record state them")
    reason = models.CharField(max_length=500)
    approval = models.ForeignKey(
        "governance.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_on = models.DateField(null=True, blank=True)
    settled_on = models.DateField(null=True, blank=True)
    remainder_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Partial: what is still owed once settled"
    )
    discount_entry = models.ForeignKey(
        "accounts.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-offered_on", "-id"]
        permissions = [("offer_settlement", "Make, accept and settle settlement offers")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0) & models.Q(discount_minor__gte=0),
                name="settlement_amounts_sane",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} settlement of {self.amount_minor} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.AWAITING_APPROVAL, self.Status.OFFERED, self.Status.ACCEPTED)


class RecoveriesChecklist(ClientOwned):
    """What "fully worked" means for a client before an account may go to recoveries (editable in admin).

    Without a row the defaults below apply. Holds in force and the status table (STATUS-TRANSITION) are
    always checked: they are law and platform rules, not a client's choice.
    """

    minimum_contact_attempts = models.PositiveSmallIntegerField(
        default=3, help_text="Contact attempts the guard allowed (0: not required)"
    )
    require_arrangement_offered = models.BooleanField(default=True)
    require_income_expenditure_offered = models.BooleanField(default=True)
    require_notices_sent = models.BooleanField(
        default=True, help_text="No statutory notice still pending (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT)"
    )
    require_default_notice_expired = models.BooleanField(
        default=True,
        help_text="A default notice was served and its remedy date has passed. Always required for UK customers "
        "(UK-DEFAULT); this switch decides it for other jurisdictions",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("transfer_to_recoveries", "Transfer accounts to recoveries")]
        constraints = [models.UniqueConstraint(fields=["client"], name="one_recoveries_checklist_per_client")]

    def __str__(self) -> str:
        return f"Recoveries checklist of client {self.client_id}"


class EndOfContractCharge(ClientOwned):
    """A charge at the end of a PCP, HP or lease: return charge, excess mileage or damage (UK-CHARGES).

    Posted to the ledger only when the agreement's fee terms allow it; excess mileage is the contractual
    rate per mile (the fee term's amount) times the miles over the allowance.
    """

    class Kind(models.TextChoices):
        RETURN_CHARGE = "return_charge", "Return charge"
        EXCESS_MILEAGE = "excess_mileage", "Excess mileage"
        DAMAGE = "damage", "Damage beyond fair wear and tear"

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="end_of_contract_charges"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    allowed_miles = models.PositiveIntegerField(null=True, blank=True)
    recorded_miles = models.PositiveIntegerField(null=True, blank=True)
    rate_per_mile_minor = models.PositiveIntegerField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    evidence_reference = models.CharField(max_length=100, blank=True, help_text="Inspection report, photos")
    charged_on = models.DateField()
    entry = models.ForeignKey("accounts.LedgerEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-charged_on", "-id"]
        permissions = [("charge_end_of_contract", "Record end-of-contract charges")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="end_of_contract_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor}"
