"""Customers, agreements, the ledger, schedules and the derived arrears state.

Money is integer minor units plus a currency. A balance is never edited: the ledger is append-only, and
``Agreement.balance_minor`` is only moved with ``F()`` in the same transaction that appends the entry.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from fairpath.accounts import rules
from fairpath.clients.models import ClientOwned, client_of_parent


def _choices(enum: Any, labels: dict | None = None) -> list[tuple[str, str]]:
    return [
        (member.value, (labels or {}).get(member, member.value.replace("_", " ").capitalize()))
        for member in enum
    ]


PRODUCT_CHOICES = _choices(rules.Product, rules.PRODUCT_LABELS)
STATUS_CHOICES = _choices(rules.AgreementStatus, rules.STATUS_LABELS)
ENTRY_KIND_CHOICES = _choices(rules.EntryKind)
COMPONENT_CHOICES = _choices(rules.Component)
FREQUENCY_CHOICES = _choices(rules.Frequency)


class Customer(ClientOwned):
    """A person who owes money under one or more agreements with a client lender."""

    reference = models.CharField(max_length=40, help_text="The client's customer number")
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    last_name_key = models.CharField(
        max_length=100, editable=False, help_text="Lower-case last name for search"
    )
    full_name_key = models.CharField(
        max_length=201, editable=False, help_text="Lower-case 'first last' for search"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name_key", "full_name_key", "id"]
        permissions = [("view_ledger", "See ledger entries and payment allocations")]
        constraints = [
            models.UniqueConstraint(fields=["client", "reference"], name="customer_reference_per_client")
        ]
        indexes = [
            models.Index(
                fields=["last_name_key"], name="customer_last_name_key", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["full_name_key"], name="customer_full_name_key", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["reference"], name="customer_reference"),  # search across the user's clients
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.last_name_key = rules.name_key(self.last_name)
        self.full_name_key = rules.name_key(self.first_name, self.last_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "last_name_key", "full_name_key"}
        super().save(*args, **kwargs)


class Address(ClientOwned):
    """A postal address. Country and region decide the bank-holiday calendar and the customer's time zone."""

    class Kind(models.TextChoices):
        HOME = "home", "Home"
        CORRESPONDENCE = "correspondence", "Correspondence"
        PREVIOUS = "previous", "Previous"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HOME)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100)
    postcode = models.CharField(max_length=12, help_text="Postcode or ZIP code")
    postcode_key = models.CharField(max_length=12, editable=False)
    country = models.CharField(max_length=2, choices=[("GB", "United Kingdom"), ("US", "United States")])
    region = models.CharField(max_length=3, help_text="ENG, WLS, SCT, NIR or a US state code")
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_current", "id"]
        indexes = [
            models.Index(
                fields=["postcode_key"], name="address_postcode_key", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line1}, {self.town} {self.postcode}"

    @property
    def time_zone(self) -> str:
        return rules.time_zone_for(self.country, self.region)

    @property
    def holiday_calendar(self) -> tuple[str, str | None]:
        return rules.holiday_calendar_for(self.country, self.region)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.postcode_key = rules.normalise_postcode(self.postcode)
        super().save(*args, **kwargs)


class ContactPoint(ClientOwned):
    """A phone number or e-mail address, with consent and opt-out per channel (US-OPTOUT, US-REVOKE)."""

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"

    class Kind(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        HOME = "home", "Home"
        WORK = "work", "Work"
        PERSONAL = "personal", "Personal"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    value = models.CharField(max_length=254)
    search_key = models.CharField(max_length=254, editable=False, db_index=True)
    is_primary = models.BooleanField(default=False)
    has_call_consent = models.BooleanField(
        default=True, help_text="Consent to calls (autodialled for mobiles)"
    )
    has_text_consent = models.BooleanField(default=False, help_text="Consent to SMS (mobiles only)")
    has_email_consent = models.BooleanField(default=False)
    is_opted_out = models.BooleanField(default=False, help_text="Opted out of this address on every channel")
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "channel", "id"]

    def __str__(self) -> str:
        return self.value

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.channel == self.Channel.PHONE:
            self.search_key = rules.normalise_phone(self.value)
        else:
            self.search_key = self.value.strip().lower()
        super().save(*args, **kwargs)


class ContactPreference(ClientOwned):
    """UK-CONTACT: when and how the customer asked to be contacted (or not)."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_preferences")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    is_preferred = models.BooleanField(default=False, help_text="The customer's preferred channel")
    is_refused = models.BooleanField(
        default=False, help_text="The customer asked not to be contacted this way"
    )
    earliest_time = models.TimeField(null=True, blank=True, help_text="Local time, not before")
    latest_time = models.TimeField(null=True, blank=True, help_text="Local time, not after")
    weekdays = models.JSONField(default=list, blank=True, help_text="Allowed days, 0 = Monday; empty = any")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} preference"


class VulnerabilityCue(ClientOwned):
    """VC-RECORD: a characteristic of vulnerability, shown wherever the customer appears."""

    class Driver(models.TextChoices):
        HEALTH = "health", "Health"
        LIFE_EVENTS = "life_events", "Life events"
        RESILIENCE = "resilience", "Resilience"
        CAPABILITY = "capability", "Capability"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vulnerability_cues")
    driver = models.CharField(max_length=20, choices=Driver.choices)
    description = models.CharField(max_length=300)
    is_temporary = models.BooleanField(default=True)
    review_on = models.DateField(null=True, blank=True)
    lawful_basis = models.CharField(max_length=100, blank=True, help_text="Consent or other lawful basis")
    recorded_on = models.DateField()

    class Meta:
        ordering = ["-recorded_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_driver_display()}: {self.description}"


class ThirdParty(ClientOwned):
    """UK-THIRDPARTY: someone with authority to deal for the customer (adviser, attorney, representative),
    or a guarantor of the agreement (told only what the Consumer Credit Act gives a surety, ss.107-111)."""

    class Kind(models.TextChoices):
        DEBT_ADVISER = "debt_adviser", "Debt adviser"
        POWER_OF_ATTORNEY = "power_of_attorney", "Power of attorney"
        REPRESENTATIVE = "representative", "Authorised representative"
        RELATIVE = "relative", "Relative or carer"
        GUARANTOR = "guarantor", "Guarantor"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="third_parties")
    agreement = models.ForeignKey(
        "Agreement", null=True, blank=True, on_delete=models.CASCADE, related_name="third_parties",
        help_text="Blank: every agreement of the customer",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    authority_from = models.DateField()
    authority_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-authority_from", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Agreement(ClientOwned):
    """A credit agreement and its terms. Its balance moves only with ledger postings (atomic ``F()``)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="agreements")
    reference = models.CharField(max_length=40, help_text="Agreement number")
    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES)
    currency = models.CharField(max_length=3)
    rate_bp = models.PositiveIntegerField(help_text="Annual rate in basis points (1995 = 19.95%)")
    instalment_minor = models.BigIntegerField(help_text="Contractual instalment (minimum payment for cards)")
    frequency = models.CharField(
        max_length=10, choices=FREQUENCY_CHOICES, default=rules.Frequency.MONTHLY.value
    )
    term_instalments = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank for running accounts"
    )
    credit_limit_minor = models.BigIntegerField(null=True, blank=True, help_text="Running accounts only")
    balloon_minor = models.BigIntegerField(null=True, blank=True, help_text="PCP optional final payment")
    opened_on = models.DateField()
    first_due_on = models.DateField()
    end_on = models.DateField(null=True, blank=True, help_text="End of contract (PCP, HP, lease, loan)")
    status = models.CharField(
        max_length=20, choices=STATUS_CHOICES, default=rules.AgreementStatus.UP_TO_DATE.value
    )
    balance_minor = models.BigIntegerField(
        default=0, editable=False, help_text="Sum of the ledger; never edited"
    )
    disputed_since = models.DateField(null=True, blank=True, help_text="Open dispute: collection is held")

    class Meta:
        ordering = ["reference"]
        permissions = [
            ("post_adjustment", "Post manual adjustments and waivers"),
            ("post_payment", "Post and reverse payments"),
            ("change_status", "Move an agreement's status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "reference"], name="agreement_reference_per_client"),
            models.CheckConstraint(
                condition=models.Q(instalment_minor__gte=0), name="agreement_instalment_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["reference"], name="agreement_reference", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["client", "status"], name="agreement_client_status"),
        ]

    def __str__(self) -> str:
        return self.reference


class FeeTerm(ClientOwned):
    """UK-CHARGES: a fee the agreement's terms allow, with its amount and the cost it recovers."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="fee_terms")
    fee_type = models.CharField(max_length=40, help_text="e.g. late_payment, returned_payment, over_limit")
    amount_minor = models.BigIntegerField()
    cost_basis = models.CharField(
        max_length=300, help_text="The reasonable cost this fee recovers (CONC 7.7)"
    )

    class Meta:
        ordering = ["fee_type"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "fee_type"], name="one_fee_term_per_type"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="fee_term_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_type} {self.amount_minor}"


class WaterfallSetting(ClientOwned):
    """A client's own payment waterfall for a product; without one the default applies (LEDGER-WATERFALL)."""

    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES)
    components = models.JSONField(default=list, help_text='Order of "fee", "interest", "principal"')
    due_order = models.CharField(
        max_length=20, choices=_choices(rules.DueOrder), default=rules.DueOrder.OLDEST_FIRST.value
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "product"], name="one_waterfall_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product} waterfall"

    def policy(self) -> rules.WaterfallPolicy:
        return rules.WaterfallPolicy(
            tuple(rules.Component(name) for name in self.components), rules.DueOrder(self.due_order)
        )


class AppendOnly(models.Model):
    """A record that is written once and never changed or deleted (corrections are new rows)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{type(self).__name__} rows are append-only")


class LedgerEntry(AppendOnly, ClientOwned):
    """One posting. Positive amounts add to what the customer owes, negative ones reduce it."""

    client = client_of_parent()

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # led by entry_agreement_posted
    )
    kind = models.CharField(max_length=20, choices=ENTRY_KIND_CHOICES)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    posted_on = models.DateField(help_text="Value date")
    created_at = models.DateTimeField(auto_now_add=True)
    fee_type = models.CharField(max_length=40, blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
        help_text="The payment a reversal undoes, or the fee a waiver waives",
    )  # fmt: skip
    reference = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["posted_on", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["agreement", "posted_on", "id"], name="entry_agreement_posted"),
            models.Index(fields=["client", "posted_on"], name="entry_client_posted"),  # MI: cash by day
            # Posting a payment reads the agreement's fees (what it may pay): not its every entry.
            models.Index(
                fields=["agreement", "posted_on", "id"],
                condition=models.Q(kind="fee"),
                name="entry_fee_agreement_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor}"


class ScheduleInstalment(ClientOwned):
    """What should be paid and when. Paid amounts move only with ``F()`` when a payment is allocated."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="instalments",
        db_index=False,  # led by the unique key
    )
    sequence = models.PositiveIntegerField()
    due_on = models.DateField()
    interest_due_minor = models.BigIntegerField(default=0)
    principal_due_minor = models.BigIntegerField(default=0)
    amount_due_minor = models.BigIntegerField()
    interest_paid_minor = models.BigIntegerField(default=0)
    principal_paid_minor = models.BigIntegerField(default=0)
    amount_paid_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "sequence"], name="one_instalment_per_sequence"),
            models.CheckConstraint(
                condition=models.Q(amount_due_minor__gte=0), name="instalment_due_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["due_on", "agreement"], name="instalment_due_agreement"),
            # An agreement's instalments in due order (posting reads the open ones, the cycle those past due).
            # No index names a paid column, nor is one limited to open instalments: paying an instalment then
            # changes no index entry, so PostgreSQL rewrites the row in place on its page (a HOT update, the
            # table is filled to 90%: migration 0009) instead of adding an entry to every index.
            models.Index(fields=["agreement", "due_on", "sequence"], name="instalment_agreement_due"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.sequence} due {self.due_on}"

    @property
    def unpaid_minor(self) -> int:
        return max(self.amount_due_minor - self.amount_paid_minor, 0)


class PaymentAllocation(AppendOnly, ClientOwned):
    """Where part of a payment went (negative: where a reversal took it back). Sum per payment = payment."""

    client = client_of_parent()

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    component = models.CharField(max_length=20, choices=COMPONENT_CHOICES)
    instalment = models.ForeignKey(
        ScheduleInstalment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # instalments are never deleted and never looked up from here: no index to maintain
    fee_entry = models.ForeignKey(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="fee_allocations"
    )
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.component} {self.amount_minor}"


class ArrearsState(ClientOwned):
    """The derived arrears of one agreement at the last recompute (one row per agreement).

    ``as_of`` is the day these figures were last written: a recompute rewrites only states that changed, so
    an account that stays up to date keeps the day it became so (an account in arrears changes daily, as its
    days past due grow)."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="arrears")
    as_of = models.DateField()
    arrears_minor = models.BigIntegerField(default=0)
    missed_payments = models.PositiveIntegerField(default=0)
    days_past_due = models.PositiveIntegerField(default=0)
    oldest_unpaid_due_on = models.DateField(null=True, blank=True)
    bucket = models.CharField(max_length=20, default="current", db_index=True)

    class Meta:
        verbose_name_plural = "arrears states"

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.bucket}"


class BucketHistory(AppendOnly, ClientOwned):
    """A delinquency bucket change, kept for ever (roll rates are computed from it)."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="bucket_history",
        db_index=False,  # led by its index
    )
    as_of = models.DateField()
    from_bucket = models.CharField(max_length=20, blank=True)
    to_bucket = models.CharField(max_length=20)
    days_past_due = models.PositiveIntegerField()
    arrears_minor = models.BigIntegerField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["as_of", "id"]
        verbose_name_plural = "bucket history"
        indexes = [models.Index(fields=["agreement", "as_of"], name="bucket_history_agreement")]

    def __str__(self) -> str:
        return f"{self.from_bucket or '—'} → {self.to_bucket}"


class StatusHistory(AppendOnly, ClientOwned):
    """One status move of an agreement (STATUS-TRANSITION)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=20, choices=STATUS_CHOICES, blank=True)
    to_status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    changed_on = models.DateField()
    changed_at = models.DateTimeField(auto_now_add=True)
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name_plural = "status history"

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
