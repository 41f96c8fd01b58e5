"""Who may do what, for which clients, up to which limits — and the tamper-evident record of what they did."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models

from fairpath.clients.models import Client


class Role(models.Model):
    """A job role with its permission set, editable by an administrator. ``rank`` orders the escalation chain."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(
        help_text="Higher ranks approve what lower ranks may not do alone"
    )
    escalates_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    permissions = models.ManyToManyField(Permission, blank=True, related_name="roles")
    description = models.TextField(blank=True)
    seeded_permissions = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Defaults already applied once; an administrator's removals stay removed",
    )

    class Meta:
        ordering = ["rank", "name"]
        permissions = [
            ("view_audit", "See the audit trail and object histories"),
            ("verify_audit", "Verify the audit chain"),
            ("view_approvals", "See approval requests"),
            ("decide_approval", "Approve or reject requests over a colleague's authority"),
            ("manage_users", "Create users and grant roles and clients"),
            ("manage_tokens", "Create and revoke API tokens"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Sees only the clients granted here (or every client with ``all_clients``)."""

    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    clients = models.ManyToManyField(Client, blank=True, related_name="users")
    all_clients = models.BooleanField(
        default=False,
        help_text="Sees every client, present and future (BPO-wide management and administration)",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AuthorityLimit(models.Model):
    """The largest value a role may grant alone for one kind of decision; above it an approval is needed."""

    class Kind(models.TextChoices):
        SETTLEMENT_DISCOUNT = "settlement_discount_bp", "Settlement discount (basis points of balance)"
        ARRANGEMENT_TERM = "arrangement_term_months", "Arrangement term (months)"
        FEE_WAIVER = "fee_waiver", "Fee waiver (minor units)"
        COMPENSATION = "compensation", "Compensation payment (minor units)"
        WRITE_OFF = "write_off", "Write-off (minor units)"

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="authority_limits")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    currency = models.CharField(
        max_length=3, blank=True, help_text="Set for money limits; blank for % and terms"
    )
    maximum = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "kind", "currency"], name="one_limit_per_role_kind")
        ]
        ordering = ["role__rank", "kind"]

    def __str__(self) -> str:
        return f"{self.role}: {self.get_kind_display()} ≤ {self.maximum}{' ' + self.currency if self.currency else ''}"


class ApprovalRequest(models.Model):
    """A decision held back because it was over the requester's authority, waiting for a higher role."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=80, help_text="The registered action carried out when approved")
    kind = models.CharField(max_length=40, choices=AuthorityLimit.Kind.choices)
    value = models.BigIntegerField()
    currency = models.CharField(max_length=3, blank=True)
    payload = models.JSONField(default=dict, help_text="The action's arguments, as requested")
    summary = models.CharField(max_length=300)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="approval_requests")
    requested_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    required_role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary} ({self.get_status_display()})"


class ApiToken(models.Model):
    """A bearer token for an integration: only its hash is kept; scoped to some of its user's clients."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=12, help_text="First characters, to recognise a token without revealing it"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    clients = models.ManyToManyField(Client, blank=True, related_name="+")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditChainHead(models.Model):
    """The newest link of one audit chain (one chain per client, plus one for events with no client)."""

    chain_key = models.CharField(max_length=40, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain_key} @ {self.last_seq}"


class AuditEvent(models.Model):
    """One thing that happened, append-only: each event's hash covers its content and the previous event's hash."""

    chain_key = models.CharField(max_length=40)
    chain_seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, help_text="Username, or system:<process> for batch work")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=80)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "chain_seq"], name="one_event_per_chain_link")
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["client", "occurred_at"]),
        ]
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PermissionError("audit events are append-only")
