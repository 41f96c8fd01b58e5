"""Work items, the queues that present them, the teams and skills that work them, and agents' portfolios."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from fairpath.clients.models import ClientOwned
from fairpath.work import rules

KIND_CHOICES = [(kind.value, rules.KIND_LABELS[kind]) for kind in rules.Kind]
STATUS_CHOICES = [(status.value, rules.STATUS_LABELS[status]) for status in rules.Status]


class Skill(models.Model):
    """Something an item may need and an agent may have (e.g. ``collections``, ``complaints``, ``welsh``)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    """One skill one agent holds: get-next only hands an agent items needing no skill or a skill they hold."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="one_agent_skill")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill}"


class Team(models.Model):
    """A team of agents under one team leader; its round-robin cursor remembers whose turn is next."""

    name = models.CharField(max_length=100, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="work_teams")
    round_robin_cursor = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """An agent's working settings: how many accounts their portfolio holds (WQ-PORTFOLIO, 200–1000)."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_profile"
    )
    portfolio_capacity = models.PositiveIntegerField(
        default=rules.DEFAULT_CAPACITY,
        validators=[MinValueValidator(rules.MIN_CAPACITY), MaxValueValidator(rules.MAX_CAPACITY)],
    )
    takes_portfolio = models.BooleanField(
        default=True, help_text="Receives accounts when portfolios are balanced (off while on leave)"
    )

    def __str__(self) -> str:
        return f"{self.agent} ({self.portfolio_capacity})"


class Queue(models.Model):
    """A view over work items configured by a team leader: which items (filters), who may work them, in what order.

    ``filters`` is JSON: ``{"kinds": [...], "client_ids": [...], "min_band": "urgent"}``; every key is optional.
    """

    class Ordering(models.TextChoices):
        PRIORITY = "priority", "Priority (deadline and value)"
        DUE = "due", "Deadline"
        OLDEST = "oldest", "Oldest first"

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="queues")
    filters = models.JSONField(default=dict, blank=True)
    required_skill = models.ForeignKey(
        Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ordering = models.CharField(max_length=20, choices=Ordering.choices, default=Ordering.PRIORITY)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WorkItem(ClientOwned):
    """One piece of work (a call due, a promise to check, a case, …) with a deadline, a priority and an owner.

    It points at its subject generically (``object_type`` like ``cases.case`` and ``object_id``) and, when
    there is one, at the agreement and customer concerned. ``effective_due_at`` is the priority sort key
    (WQ-PRIORITY) and is only ever written by the actions, from ``due_at`` and ``value_minor``.
    """

    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    title = models.CharField(max_length=200)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    agreement = models.ForeignKey(
        "accounts.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="work_items"
    )
    customer = models.ForeignKey(
        "accounts.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="work_items"
    )
    due_at = models.DateTimeField()
    value_minor = models.BigIntegerField(default=0, help_text="Value at stake, in minor units")
    effective_due_at = models.DateTimeField(editable=False, help_text="Deadline less the value credit")
    skill = models.ForeignKey(Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=rules.Status.OPEN.value)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="work_items"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["effective_due_at", "id"]
        permissions = [
            ("view_team_console", "See the team leader console"),
            ("reassign_workitem", "Assign and reassign work items to agents"),
            ("manage_portfolio", "Balance and assign account portfolios"),
        ]
        indexes = [
            models.Index(fields=["status", "effective_due_at", "id"], name="workitem_allocatable"),
            models.Index(fields=["owner", "status"], name="workitem_owner_status"),
            models.Index(fields=["client", "status", "created_at"], name="workitem_client_status"),
            models.Index(fields=["completed_at"], name="workitem_completed"),
            # The console's trend counts today's new items; the days before are kept for the day.
            models.Index(fields=["created_at"], name="workitem_created"),
            models.Index(fields=["object_type", "object_id"], name="workitem_subject"),
            # The console's "at risk" list: the active items due soonest, read in due order (top N).
            models.Index(
                fields=["due_at", "id"],
                name="workitem_active_due",
                condition=models.Q(status__in=["open", "in_progress", "snoozed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def band(self) -> str:
        """How close the effective deadline is now: overdue, urgent, soon or later (WQ-PRIORITY)."""
        return rules.priority_band(self.effective_due_at, timezone.now()).value

    @property
    def subject_label(self) -> str:
        return f"{self.object_type}:{self.object_id}" if self.object_type else ""


class WorkItemHistory(models.Model):
    """One move of a work item: status and/or owner before and after, who moved it and why."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "work item history"

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_status or '—'} → {self.to_status}"


class PortfolioAssignment(ClientOwned):
    """Which agent an agreement belongs to: the agent's own portfolio (200–1000 accounts)."""

    agreement = models.OneToOneField(
        "accounts.Agreement", on_delete=models.CASCADE, related_name="portfolio_assignment"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portfolio_assignments"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["agent", "client"], name="portfolio_agent_client")]

    def __str__(self) -> str:
        return f"{self.agreement_id} → {self.agent_id}"
