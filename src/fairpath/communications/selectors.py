"""Reads, already narrowed to the user's clients."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from fairpath.communications.models import MessageTemplate, OutboundMessage, TemplateVersion

PAGE_SIZE = 50


def templates_for(user: Any) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.for_user(user).select_related("client")


def template_page(user: Any, template_id: int) -> MessageTemplate | None:
    return templates_for(user).filter(pk=template_id).first()


def version_page(user: Any, version_id: int) -> TemplateVersion | None:
    return (
        TemplateVersion.objects.for_user(user)
        .select_related("template", "template__client")
        .filter(pk=version_id)
        .first()
    )


def published_numbers(template_ids: list[int]) -> dict[int, int]:
    """The published version number of each template (one query)."""
    return dict(
        TemplateVersion.objects.filter(template_id__in=template_ids, status="published").values_list(
            "template_id", "number"
        )
    )


def messages_for(user: Any) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.for_user(user).select_related(
        "agreement", "template_version", "template_version__template"
    )


def message_page(user: Any, message_id: int) -> OutboundMessage | None:
    return messages_for(user).select_related("client", "customer").filter(pk=message_id).first()


def suppressed_by_rule(user: Any) -> list[dict[str, Any]]:
    """Suppressed messages counted by the rule that suppressed them."""
    return list(
        OutboundMessage.objects.for_user(user)
        .filter(status=OutboundMessage.Status.SUPPRESSED)
        .values("decision_rule")
        .annotate(count=Count("id"))
        .order_by("-count", "decision_rule")
    )
