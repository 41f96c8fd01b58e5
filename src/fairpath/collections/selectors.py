"""Collections reads, already narrowed to the clients the user may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from fairpath.collections.models import ContactAttempt, Hold, ScheduledAction, Strategy, TreatmentState
from fairpath.governance.access import client_ids_for


def strategies_for(user: Any) -> QuerySet[Strategy]:
    """Shared strategies and those of the user's clients."""
    return Strategy.objects.filter(
        Q(client__isnull=True) | Q(client_id__in=client_ids_for(user))
    ).select_related("client")


def strategy_for(user: Any, strategy_id: int) -> Strategy | None:
    return strategies_for(user).filter(pk=strategy_id).first()


def can_edit_strategy(user: Any, strategy: Strategy) -> bool:
    """A shared strategy is edited only by someone who sees every client."""
    if not user.has_perm("collections.change_strategy"):
        return False
    if strategy.client_id is None:
        return bool(getattr(user, "all_clients", False))
    return strategy.client_id in client_ids_for(user)


def population(user: Any, strategy: Strategy) -> list[dict[str, Any]]:
    """How many of the user's accounts sit on each segment and path of this strategy now."""
    return list(
        TreatmentState.objects.filter(client_id__in=client_ids_for(user), strategy_version__strategy=strategy)
        .values("segment", "path")
        .annotate(accounts=Count("id"))
        .order_by("segment", "path")
    )


def suppressions_by_rule(user: Any, since: date | None = None) -> list[dict[str, Any]]:
    """Refused contacts (guard calls) and suppressed cycle steps, counted by rule id."""
    clients = client_ids_for(user)
    attempts = ContactAttempt.objects.filter(client_id__in=clients, is_allowed=False)
    steps = ScheduledAction.objects.filter(client_id__in=clients, status=ScheduledAction.Status.SUPPRESSED)
    if since is not None:
        attempts = attempts.filter(at__date__gte=since)
        steps = steps.filter(run_date__gte=since)
    counts: dict[str, dict[str, Any]] = {}
    for row in attempts.values("rule").annotate(total=Count("id")).order_by():
        counts.setdefault(row["rule"], {"rule": row["rule"], "contacts": 0, "steps": 0})["contacts"] = row[
            "total"
        ]
    for row in steps.values("rule").annotate(total=Count("id")).order_by():
        counts.setdefault(row["rule"], {"rule": row["rule"], "contacts": 0, "steps": 0})["steps"] = row[
            "total"
        ]
    for row in counts.values():
        row["total"] = row["contacts"] + row["steps"]
    return sorted(counts.values(), key=lambda row: (-row["total"], row["rule"]))


def recent_refusals(user: Any, limit: int = 50) -> QuerySet[ContactAttempt]:
    return (
        ContactAttempt.objects.filter(client_id__in=client_ids_for(user), is_allowed=False)
        .select_related("agreement")
        .order_by("-at", "-id")[:limit]
    )


def active_holds(user: Any, on: date) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(client_id__in=client_ids_for(user), starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(ended_early_on__isnull=True) | Q(ended_early_on__gte=on))
        .select_related("agreement")
        .order_by("starts_on", "id")
    )
