"""Reads for the reconciliation page and the API, already narrowed to the user's clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from fairpath.accounts.models import Agreement
from fairpath.payments.models import Match, PaymentFile, StatementLine

EXCEPTION_STATUSES = (StatementLine.Status.SUGGESTED, StatementLine.Status.SUSPENSE)
AGE_BANDS = (
    (0, 1, "Today"),
    (1, 3, "1-2 days"),
    (3, 8, "3-7 days"),
    (8, 31, "8-30 days"),
    (31, None, "Over 30 days"),
)


def files_for(user: Any) -> QuerySet[PaymentFile]:
    return PaymentFile.objects.for_user(user).select_related("client").order_by("-imported_at")


def file_for(user: Any, file_id: int) -> PaymentFile | None:
    return files_for(user).filter(pk=file_id).first()


def exceptions_for(user: Any, status: str | None = None) -> QuerySet[StatementLine]:
    statuses = (status,) if status in EXCEPTION_STATUSES else EXCEPTION_STATUSES
    return (
        StatementLine.objects.for_user(user)
        .filter(status__in=statuses)
        .select_related("client", "file")
        .order_by("booked_on", "id")
    )


def line_for(user: Any, line_id: int) -> StatementLine | None:
    return StatementLine.objects.for_user(user).select_related("client", "file").filter(pk=line_id).first()


def matches_of(line: StatementLine) -> list[Match]:
    return list(
        Match.objects.filter(line=line).select_related("agreement", "agreement__customer").order_by("id")
    )


def agreements_matching(line: StatementLine, query: str, limit: int = 20) -> list[Agreement]:
    """Agreements of the line's client by agreement reference, customer reference or surname."""
    text = query.strip()
    if not text:
        return []
    return list(
        Agreement.objects.filter(client_id=line.client_id)
        .filter(
            Q(reference__istartswith=text)
            | Q(customer__reference__istartswith=text)
            | Q(customer__last_name__istartswith=text)
        )
        .select_related("customer")
        .order_by("reference")[:limit]
    )


@dataclass(frozen=True)
class Board:
    today: date
    files: list[PaymentFile]
    posted: int
    suggested: int
    suspense: int
    auto_match_rate: float | None
    ageing: list[tuple[str, int, int]]  # (band, suggestions, suspense)


def board_for(user: Any, today: date | None = None) -> Board:
    """Today's files with their tie-back, today's auto-match rate, and the exceptions by age."""
    today = today or timezone.localdate()
    files = list(files_for(user).filter(imported_at__date=today)[:50])
    totals = (
        files_for(user)
        .filter(imported_at__date=today)
        .aggregate(posted=Sum("posted"), suggested=Sum("suggested"), suspense=Sum("suspense"))
    )
    posted, suggested, suspense = (totals[name] or 0 for name in ("posted", "suggested", "suspense"))
    receipts = posted + suggested + suspense
    ageing = []
    for low, high, label in AGE_BANDS:
        window = Q(booked_on__lte=today - timedelta(days=low))
        if high is not None:
            window &= Q(booked_on__gt=today - timedelta(days=high))
        counts = (
            exceptions_for(user)
            .filter(window)
            .aggregate(
                suggested=Count("id", filter=Q(status="suggested")),
                suspense=Count("id", filter=Q(status="suspense")),
            )
        )
        ageing.append((label, counts["suggested"], counts["suspense"]))
    return Board(
        today, files, posted, suggested, suspense, round(posted / receipts, 4) if receipts else None, ageing
    )
