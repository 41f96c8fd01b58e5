"""Imported payment files, their statement lines, the matches made for them, and saved CSV column mappings."""

from __future__ import annotations

from django.db import models

from fairpath.clients.models import ClientOwned, client_of_parent

FORMAT_CHOICES = [
    ("camt053", "ISO 20022 camt.053 statement"),
    ("camt054", "ISO 20022 camt.054 notification"),
    ("bai2", "BAI2"),
    ("mt940", "SWIFT MT940"),
    ("csv", "CSV (saved mapping)"),
    ("arudd", "Bacs ARUDD returned direct debits"),
]


class PaymentFile(ClientOwned):
    """One imported file. Its SHA-256 makes a second import of the same bytes a no-op (PAY-IDEMPOTENT)."""

    sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=FORMAT_CHOICES)
    statement_id = models.CharField(max_length=80, blank=True)
    account = models.CharField(max_length=60, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    control_count = models.PositiveIntegerField(null=True, blank=True, help_text="Entries the file states")
    control_total_minor = models.BigIntegerField(null=True, blank=True, help_text="Net total the file states")
    opening_balance_minor = models.BigIntegerField(null=True, blank=True)
    closing_balance_minor = models.BigIntegerField(null=True, blank=True)
    lines_total = models.PositiveIntegerField(default=0)
    lines_net_minor = models.BigIntegerField(default=0, help_text="Net of every line read from the file")
    posted = models.PositiveIntegerField(default=0)
    suggested = models.PositiveIntegerField(default=0)
    suspense = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0, help_text="Money out that is not a customer payment")
    skipped = models.PositiveIntegerField(default=0, help_text="Lines already imported from another file")
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=150)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "sha256"], name="payments_file_once")]
        indexes = [models.Index(fields=["client", "imported_at"])]
        permissions = [
            ("view_reconciliation", "Can see the reconciliation page"),
            ("import_payments", "Can import payment files"),
            ("match_payments", "Can confirm, match, unmatch and move payments"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.format})"

    @property
    def auto_match_rate(self) -> float | None:
        receipts = self.posted + self.suggested + self.suspense
        return round(self.posted / receipts, 4) if receipts else None


class StatementLine(ClientOwned):
    """One money movement from a file. ``natural_key`` is the same for the same movement in overlapping files."""

    class Status(models.TextChoices):
        POSTED = "posted", "Posted"
        SUGGESTED = "suggested", "Suggestion to confirm"
        SUSPENSE = "suspense", "In suspense"
        RETURNED = "returned", "Return applied"
        IGNORED = "ignored", "Not a customer payment"

    # An import writes these by the hundred thousand: no index that another one already leads with.
    client = client_of_parent(db_index=False)
    file = models.ForeignKey(PaymentFile, on_delete=models.PROTECT, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField()
    natural_key = models.CharField(max_length=64)
    booked_on = models.DateField()
    amount_minor = models.BigIntegerField(help_text="Positive for money in")
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=500, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    bank_reference = models.CharField(max_length=120, blank=True)
    is_return = models.BooleanField(default=False)
    return_code = models.CharField(max_length=10, blank=True)
    return_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "line_no"], name="payments_line_once_per_file"),
            models.UniqueConstraint(fields=["client", "natural_key"], name="payments_line_once"),
        ]
        indexes = [models.Index(fields=["client", "status", "booked_on"])]
        ordering = ["file_id", "line_no"]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.line_no}"


class Match(ClientOwned):
    """Money from a line put against one agreement, by a step of the cascade, with its confidence."""

    class Status(models.TextChoices):
        POSTED = "posted", "Posted"
        SUGGESTED = "suggested", "Suggested"
        SUSPENSE = "suspense", "Suspense"
        REJECTED = "rejected", "Rejected or unmatched"

    class Step(models.TextChoices):
        EXACT = "exact", "Exact agreement reference"
        NORMALISED = "normalised", "Normalised reference"
        TRANSPOSED = "transposed", "Reference with transposed digits"
        CUSTOMER = "customer", "Customer reference"
        NAME_AMOUNT = "name_amount", "Payer name and expected amount"
        MULTI = "multi", "One payment for several agreements"
        RETURN = "return", "Returned payment"
        MANUAL = "manual", "Matched by hand"

    # Led by the (client, status) and (agreement, status) indexes: not indexed again on their own.
    client = client_of_parent(db_index=False)
    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="matches")
    agreement = models.ForeignKey(
        "accounts.Agreement", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount_minor = models.BigIntegerField()
    step = models.CharField(max_length=12, choices=Step.choices)
    confidence = models.FloatField()
    status = models.CharField(max_length=10, choices=Status.choices)
    entry = models.ForeignKey(
        "accounts.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal = models.ForeignKey(
        "accounts.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "status"]), models.Index(fields=["agreement", "status"])]

    def __str__(self) -> str:
        return f"{self.line_id} -> {self.agreement_id} ({self.step}, {self.status})"


class SavedMapping(ClientOwned):
    """A named CSV column mapping for one client's bank or processor export."""

    name = models.SlugField(max_length=60)
    columns = models.JSONField(default=dict, help_text='{"date": "Posted", "amount": "Amount", ...}')
    date_format = models.CharField(max_length=20, default="%Y-%m-%d")
    delimiter = models.CharField(max_length=1, default=",")
    currency = models.CharField(max_length=3, default="GBP")
    decimal_comma = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="payments_mapping_name")]

    def __str__(self) -> str:
        return self.name
