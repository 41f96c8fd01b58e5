"""Cases: enquiries, complaints, disputes, subject access requests and the rest, with their deadlines,
escalations, notes, letters, complaint outcomes and Ombudsman referrals.

Status moves only through ``rules.STATUS_TRANSITIONS`` (actions.change_status) and every move writes a
``CaseStatusChange`` row. Deadlines are rows computed in bulk by ``sla.py`` when a case is registered.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from fairpath.cases import rules
from fairpath.clients.models import ClientOwned


def _choices(enum: Any, labels: dict | None = None) -> list[tuple[str, str]]:
    return [
        (member.value, (labels or {}).get(member, member.value.replace("_", " ").capitalize()))
        for member in enum
    ]


CASE_TYPE_CHOICES = _choices(rules.CaseType, rules.CASE_TYPE_LABELS)
CHANNEL_CHOICES = _choices(rules.Channel)
STATUS_CHOICES = _choices(rules.Status, rules.STATUS_LABELS)
CATEGORY_CHOICES = [(code, label) for code, (label, _, _) in rules.CATEGORIES.items()]
OUTCOME_CHOICES = _choices(rules.Outcome, rules.OUTCOME_LABELS)
ROOT_CAUSE_CHOICES = list(rules.ROOT_CAUSES.items())
FOS_OUTCOME_CHOICES = _choices(rules.FosOutcome, rules.FOS_OUTCOME_LABELS)
ESCALATION_CHOICES = [(int(level), label) for level, label in rules.ESCALATION_LABELS.items()]


class Case(ClientOwned):
    """One piece of customer business to resolve: an enquiry, a complaint, a SAR, a dispute …

    ``received_at`` is when the customer first expressed it (D-DEFINE), not when it was keyed in; the
    deadlines are counted from it in the calendar ``region`` and ``time_zone`` of the customer's address.
    """

    reference = models.CharField(max_length=20, blank=True, db_index=True)
    case_type = models.CharField(max_length=30, choices=CASE_TYPE_CHOICES)
    category = models.CharField(max_length=40, choices=CATEGORY_CHOICES)
    channel = models.CharField(max_length=20, choices=CHANNEL_CHOICES)
    received_at = models.DateTimeField(help_text="When the customer first expressed it")
    registered_at = models.DateTimeField()
    customer = models.ForeignKey(
        "accounts.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    agreement = models.ForeignKey(
        "accounts.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    summary = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=30, choices=STATUS_CHOICES, default=rules.Status.NEW.value)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_level = models.PositiveSmallIntegerField(choices=ESCALATION_CHOICES, default=0)
    region = models.CharField(max_length=3, default="EAW", help_text="Bank-holiday calendar (core.calendars)")
    time_zone = models.CharField(max_length=40, default="Europe/London")
    converted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="converted_to",
        help_text="The case this complaint was raised from",
    )  # fmt: skip
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_cases"
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    pending_approval = models.ForeignKey(
        "governance.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="A closure with redress over the closer's authority, awaiting approval",
    )  # fmt: skip

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [
            ("close_complaint", "Close complaints with outcome, root cause and redress"),
            ("escalate_case", "Escalate cases"),
            ("view_complaints_mi", "See complaints MI and export the complaints return"),
            ("manage_ombudsman", "Record Ombudsman referrals and outcomes"),
        ]
        indexes = [
            models.Index(fields=["client", "status", "case_type"], name="case_client_status_type"),
            models.Index(fields=["client", "received_at"], name="case_client_received"),
        ]

    def __str__(self) -> str:
        return self.reference or f"case {self.pk}"

    @property
    def is_complaint(self) -> bool:
        return self.case_type == rules.CaseType.COMPLAINT

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    @property
    def is_payment_services(self) -> bool:
        return self.category in rules.PAYMENT_SERVICES_CATEGORIES


class CaseStatusChange(ClientOwned):
    """One status move of a case (CASE-TRANSITION), kept for the timeline and clock-stop accounting."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=30, choices=STATUS_CHOICES, blank=True)
    to_status = models.CharField(max_length=30, choices=STATUS_CHOICES)
    changed_at = models.DateTimeField()
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class CaseNote(ClientOwned):
    """A note on a case. P-PAN: card numbers are masked before it is saved; security codes never stored."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField()
    is_customer_contact = models.BooleanField(default=False, help_text="A reply to or from the customer")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class CaseAttachment(ClientOwned):
    """A stored file on a case (the customer's letter, evidence, a signed form)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField()
    uploaded_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(ClientOwned):
    """A reply text agents start from; ``{customer_name}``, ``{case_reference}`` are filled in."""

    name = models.CharField(max_length=100)
    case_type = models.CharField(max_length=30, choices=CASE_TYPE_CHOICES, blank=True)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CaseLink(ClientOwned):
    """Two related cases (``related``) or a case merged into another (``merged``)."""

    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        MERGED = "merged", "Merged into"
        CONVERTED = "converted", "Raised as a complaint"

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case", "kind"], name="one_link_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"


class SlaPolicy(ClientOwned):
    """An internal service level for a case type (and optionally a category), editable by an administrator.

    Targets are counted in business days or hours (the region's calendar and the team's working hours) or
    in calendar time. A policy may stop its clock in awaiting statuses — never for complaints, whose
    regulatory deadlines do not pause.
    """

    class Unit(models.TextChoices):
        BUSINESS_DAYS = "business_days", "Business days"
        BUSINESS_HOURS = "business_hours", "Business hours"
        CALENDAR_DAYS = "calendar_days", "Calendar days"
        CALENDAR_HOURS = "calendar_hours", "Calendar hours"

    name = models.CharField(max_length=60)
    case_type = models.CharField(max_length=30, choices=CASE_TYPE_CHOICES)
    category = models.CharField(
        max_length=40, choices=CATEGORY_CHOICES, blank=True, help_text="Blank: every category"
    )
    first_response_target = models.PositiveIntegerField(null=True, blank=True)
    first_response_unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.BUSINESS_HOURS)
    resolution_target = models.PositiveIntegerField(null=True, blank=True)
    resolution_unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.BUSINESS_DAYS)
    clock_stop_statuses = models.JSONField(
        default=list, blank=True, help_text="Statuses that pause this clock"
    )
    warning_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn when this share of the time is used"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        ordering = ["case_type", "category", "name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="sla_policy_name_per_client")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = set(self.clock_stop_statuses) - {status.value for status in rules.CLOCK_STOP_STATUSES}
        if unknown:
            raise ValidationError(
                {"clock_stop_statuses": f"Not a clock-stop status: {', '.join(sorted(unknown))}"}
            )
        if self.clock_stop_statuses and self.case_type == rules.CaseType.COMPLAINT:
            raise ValidationError({"clock_stop_statuses": "Complaint clocks never stop (D-8WEEKS)"})
        if not 1 <= self.warning_percent <= 100:
            raise ValidationError({"warning_percent": "Between 1 and 100"})


class CaseDeadline(ClientOwned):
    """One deadline of a case: a rule id (D-SRC, D-8WEEKS, D-PSD, G-SAR) or an SLA policy target.

    ``due_at`` is the UTC instant; ``due_date`` the local date it falls on. ``met_at`` is set when the
    response it asks for was given; a deadline still unmet after ``due_at`` is breached.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.CharField(max_length=100, help_text="Rule id or 'policy name/target'")
    label = models.CharField(max_length=200)
    is_regulatory = models.BooleanField(default=False)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField()
    due_date = models.DateField()
    warn_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(
        null=True, blank=True, help_text="Clock stopped since (SLA policies only)"
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "rule"], name="one_deadline_per_rule")]
        indexes = [models.Index(fields=["client", "met_at", "warn_at"], name="deadline_open_warn")]

    def __str__(self) -> str:
        return f"{self.rule} {self.due_at:%Y-%m-%d %H:%M}"


class Escalation(ClientOwned):
    """One step up the escalation chain, by a person or by the at-risk job, with its reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    from_level = models.PositiveSmallIntegerField(choices=ESCALATION_CHOICES)
    to_level = models.PositiveSmallIntegerField(choices=ESCALATION_CHOICES)
    reason = models.CharField(max_length=500)
    is_automatic = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_label = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["client", "at"], name="escalation_client_at")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_level} → {self.to_level}"


class ComplaintOutcome(ClientOwned):
    """How a complaint was closed: outcome, root cause (D-ROOT), redress paid as a ledger entry."""

    class Redress(models.TextChoices):
        NONE = "none", "None"
        PAID = "paid", "Paid"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="outcome")
    outcome = models.CharField(max_length=20, choices=OUTCOME_CHOICES)
    root_cause = models.CharField(max_length=40, choices=ROOT_CAUSE_CHOICES)
    summary = models.TextField(blank=True)
    redress_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="GBP")
    redress_status = models.CharField(max_length=10, choices=Redress.choices, default=Redress.NONE)
    ledger_entry = models.ForeignKey(
        "accounts.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approval = models.ForeignKey(
        "governance.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final_response_on = models.DateField()
    closed_at = models.DateTimeField()
    closed_by_label = models.CharField(max_length=150)
    business_days_to_close = models.PositiveIntegerField(help_text="Business days after the day of receipt")

    class Meta:
        indexes = [models.Index(fields=["client", "closed_at"], name="outcome_client_closed")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"


class OmbudsmanReferral(ClientOwned):
    """D-FOS: a complaint referred to the Financial Ombudsman Service, and what it decided."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ombudsman_referrals")
    referred_on = models.DateField()
    fos_reference = models.CharField(max_length=40, blank=True)
    is_within_time = models.BooleanField(help_text="Referred within 6 months of the final response")
    outcome = models.CharField(
        max_length=30, choices=FOS_OUTCOME_CHOICES, default=rules.FosOutcome.PENDING.value
    )
    outcome_on = models.DateField(null=True, blank=True)
    award_minor = models.BigIntegerField(default=0)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-referred_on", "id"]

    def __str__(self) -> str:
        return f"FOS {self.fos_reference or self.pk}"


class CaseLetter(ClientOwned):
    """A letter as sent: D-ACK acknowledgement, summary resolution (D-SRC), final response, delay letter."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        SUMMARY_RESOLUTION = "summary_resolution", "Summary resolution communication"
        FINAL_RESPONSE = "final_response", "Final response"
        DELAY = "delay", "Delay letter (8 weeks)"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    html = models.TextField()
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"
