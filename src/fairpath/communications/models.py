"""Templates (versioned, checked before publishing), outbound messages and statutory notices."""

from __future__ import annotations

from django.db import models

from fairpath.clients.models import ClientOwned
from fairpath.communications import rules

CHANNEL_CHOICES = [("letter", "Letter"), ("email", "E-mail"), ("sms", "SMS")]
JURISDICTION_CHOICES = [("UK", "United Kingdom"), ("US", "United States")]
NOTICE_TYPE_CHOICES = [
    (rules.NoticeType.COLLECTIONS.value, "Collections message"),
    (rules.NoticeType.NOSIA_FS.value, "Notice of sums in arrears (fixed-sum)"),
    (rules.NoticeType.NOSIA_RA.value, "Notice of sums in arrears (running account)"),
    (rules.NoticeType.DEFAULT.value, "Default notice"),
    (rules.NoticeType.US_VALIDATION.value, "Validation notice (US)"),
]


class MessageTemplate(ClientOwned):
    """A client's template for one channel, jurisdiction and purpose; its wording lives in versions."""

    code = models.SlugField(max_length=60, help_text="Stable name used by strategies, e.g. reminder-1")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, choices=CHANNEL_CHOICES)
    jurisdiction = models.CharField(max_length=2, choices=JURISDICTION_CHOICES)
    notice_type = models.CharField(
        max_length=20, choices=NOTICE_TYPE_CHOICES, default=rules.NoticeType.COLLECTIONS.value
    )
    is_initial_communication = models.BooleanField(
        default=False, help_text="US-MINIMIRANDA: the first communication carries the full statement"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "jurisdiction", "channel", "code"]
        default_permissions = ()
        permissions = [
            ("view_template", "See message templates"),
            ("change_template", "Create and edit message templates"),
            ("publish_template", "Publish template versions"),
            ("send_message", "Send a message to a customer"),
            ("view_outbound", "See sent and suppressed messages"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "code", "channel", "jurisdiction"], name="template_code_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.channel}, {self.jurisdiction})"


class TemplateVersion(ClientOwned):
    """One wording of a template. Drafts are edited by adding versions; one version at a time is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=200, blank=True, help_text="E-mail subject or letter heading")
    body = models.TextField(help_text="Django template syntax with the allowed variables only")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    findings = models.JSONField(
        default=list, blank=True, help_text="The publish check's findings at the last check"
    )
    threatens_legal_action = models.BooleanField(
        default=False, help_text="UK-STATBAR / US-TIMEBAR: never for statute- or time-barred accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="one_version_number_per_template"),
            models.UniqueConstraint(
                fields=["template"],
                condition=models.Q(status="published"),
                name="one_published_version_per_template",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"


class OutboundMessage(ClientOwned):
    """What was sent (or suppressed): the rendered wording, to whom, when, on which channel, from which
    template version, and the contact-policy decision that allowed (or refused) it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed by rule"

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.PROTECT, related_name="outbound_messages"
    )
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=10, choices=CHANNEL_CHOICES)
    notice_type = models.CharField(max_length=20, choices=NOTICE_TYPE_CHOICES)
    party = models.CharField(max_length=30, default="customer")
    purpose = models.CharField(max_length=30, default="collections")
    recipient_name = models.CharField(max_length=250)
    recipient = models.CharField(max_length=500, help_text="Postal address, e-mail address or phone number")
    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField(help_text="Exactly what was rendered and sent")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    decided_at = models.DateTimeField(help_text="The moment the contact policy decided for")
    scheduled_for = models.DateTimeField(
        null=True,
        blank=True,
        help_text="US-HOURS / UK-CONTACT: held back until this moment (the customer's permitted local time)",
    )
    decision_rule = models.CharField(
        max_length=40, blank=True, help_text="The rule under which it was allowed, or which suppressed it"
    )
    decision_message = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    document = models.FileField(upload_to="letters/%Y/%m/", blank=True, help_text="The PDF of a letter")
    provider_reference = models.CharField(max_length=200, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["client", "status", "decided_at"], name="outbound_client_status"),
            models.Index(fields=["agreement", "decided_at"], name="outbound_agreement"),
            models.Index(fields=["status", "scheduled_for"], name="outbound_status_scheduled"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_name} ({self.status})"


class StatutoryNotice(ClientOwned):
    """A notice the law requires (UK-NOSIA-FS, UK-NOSIA-RA, UK-DEFAULT, US-VALIDATION) and its dates."""

    agreement = models.ForeignKey("accounts.Agreement", on_delete=models.PROTECT, related_name="notices")
    notice_type = models.CharField(max_length=20, choices=NOTICE_TYPE_CHOICES)
    trigger_on = models.DateField(null=True, blank=True, help_text="NOSIA: the day the condition was met")
    due_by = models.DateField(null=True, blank=True, help_text="The last day the law allows for sending")
    sent_on = models.DateField(help_text="The send (posting) date")
    service_on = models.DateField(null=True, blank=True, help_text="UK-DEFAULT: the assumed date of service")
    remedy_by = models.DateField(
        null=True, blank=True, help_text="UK-DEFAULT: no termination or enforcement before the day after this"
    )
    remedy_amount_minor = models.BigIntegerField(null=True, blank=True)
    validation_ends_on = models.DateField(null=True, blank=True, help_text="US-VALIDATION: printed end date")
    message = models.OneToOneField(OutboundMessage, on_delete=models.PROTECT, related_name="notice")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "-id"]
        indexes = [models.Index(fields=["agreement", "notice_type", "sent_on"], name="notice_agreement_type")]

    def __str__(self) -> str:
        return f"{self.get_notice_type_display()} sent {self.sent_on}"


class NosiaLatePeriod(ClientOwned):
    """UK-NOSIA-LATE: a period in which a required notice was late; no interest or default fees are
    payable for it and the agreement is unenforceable while it lasts (``ends_on`` empty while late)."""

    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="nosia_late_periods"
    )
    notice_type = models.CharField(max_length=20, choices=NOTICE_TYPE_CHOICES)
    trigger_on = models.DateField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement_id", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "notice_type", "starts_on"], name="one_late_period_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice_type} late from {self.starts_on}"
