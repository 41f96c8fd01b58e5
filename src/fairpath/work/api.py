"""Work items over the API so a dialer or another front end can drive allocation. Foreign items are not found."""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import Field

from fairpath.api.permissions import operation
from fairpath.core.errors import InvalidInput
from fairpath.governance.access import acting_user
from fairpath.governance.models import User
from fairpath.work import actions, selectors
from fairpath.work.models import WorkItem

router = Router()


class ItemOut(Schema):
    id: int
    client: str
    kind: str
    title: str
    status: str
    band: str
    due_at: datetime
    effective_due_at: datetime
    value_minor: int
    owner: str | None
    snoozed_until: datetime | None
    object_type: str
    object_id: str
    agreement_id: int | None
    customer_id: int | None
    skill: str | None


class ItemPage(Schema):
    items: list[ItemOut]
    page: int
    has_next: bool


class NextIn(Schema):
    queue_id: int | None = None


class NextOut(Schema):
    item: ItemOut | None


class CompleteIn(Schema):
    outcome: str = Field("", max_length=300)


class SnoozeIn(Schema):
    until: datetime
    reason: str = Field("", max_length=500)


class ReassignIn(Schema):
    owner_id: int | None = Field(None, description="The new owner; null returns the item to the pool")
    reason: str = Field("", max_length=500)


def _out(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "client": item.client.code,
        "kind": item.kind,
        "title": item.title,
        "status": item.status,
        "band": item.band,
        "due_at": item.due_at,
        "effective_due_at": item.effective_due_at,
        "value_minor": item.value_minor,
        "owner": item.owner.username if item.owner_id and item.owner else None,
        "snoozed_until": item.snoozed_until,
        "object_type": item.object_type,
        "object_id": item.object_id,
        "agreement_id": item.agreement_id,
        "customer_id": item.customer_id,
        "skill": item.skill.code if item.skill_id and item.skill else None,
    }


def _visible(request: HttpRequest, item_id: int) -> WorkItem:
    item = selectors.item_for(request.user, item_id)
    if item is None:
        raise Http404("No such work item among your clients'")
    return item


def _fresh(request: HttpRequest, item_id: int) -> dict[str, Any]:
    return _out(_visible(request, item_id))


PAGE_SIZE = 50


@operation(router.get, "/items", permission="work.view_workitem", response=ItemPage)
def list_items(request: HttpRequest, status: str = "", mine: bool = False, page: int = 1) -> dict[str, Any]:
    page = max(page, 1)
    rows = selectors.items_page(
        request.user, status=status, mine=mine, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    return {
        "items": [_out(item) for item in rows[:PAGE_SIZE]],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
    }


@operation(router.post, "/next", permission="work.change_workitem", response=NextOut)
def get_next(request: HttpRequest, payload: NextIn | None = None) -> dict[str, Any]:
    user = acting_user(request)
    queue = None
    if payload is not None and payload.queue_id is not None:
        queue = selectors.queue_for(user, payload.queue_id)
        if queue is None:
            raise Http404("No such queue")
    item = actions.get_next(agent=user, queue=queue)
    return {"item": _out(item) if item is not None else None}


@operation(router.post, "/items/{item_id}/complete", permission="work.change_workitem", response=ItemOut)
def complete_item(request: HttpRequest, item_id: int, payload: CompleteIn) -> dict[str, Any]:
    actions.complete_item(
        item=_visible(request, item_id), actor=acting_user(request), outcome=payload.outcome
    )
    return _fresh(request, item_id)


@operation(router.post, "/items/{item_id}/snooze", permission="work.change_workitem", response=ItemOut)
def snooze_item(request: HttpRequest, item_id: int, payload: SnoozeIn) -> dict[str, Any]:
    actions.snooze_item(
        item=_visible(request, item_id),
        actor=acting_user(request),
        until=payload.until,
        reason=payload.reason,
    )
    return _fresh(request, item_id)


@operation(router.post, "/items/{item_id}/reassign", permission="work.reassign_workitem", response=ItemOut)
def reassign_item(request: HttpRequest, item_id: int, payload: ReassignIn) -> dict[str, Any]:
    item = _visible(request, item_id)
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
        if owner is None:
            raise InvalidInput("No such person", field="owner_id")
    actions.reassign_item(item=item, owner=owner, actor=acting_user(request), reason=payload.reason)
    return _fresh(request, item_id)
