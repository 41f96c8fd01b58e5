"""My work, the team leader console and queue configuration. Views read through selectors and change through actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from fairpath.core.errors import Refusal
from fairpath.governance.access import acting_user, client_ids_for
from fairpath.governance.models import User
from fairpath.web.permissions import requires
from fairpath.work import actions, rules, selectors
from fairpath.work.models import Queue, Skill, Team

SNOOZE_CHOICES = [(1, "1 hour"), (4, "4 hours"), (24, "Tomorrow"), (72, "3 days")]


def _item_or_404(request: HttpRequest, item_id: int):  # noqa: ANN202 - a WorkItem
    item = selectors.item_for(request.user, item_id)
    if item is None:
        raise Http404("No such work item among your clients'")
    return item


def _refused(request: HttpRequest, error: Refusal, fallback: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return HttpResponse(
            f'<span class="badge bad" role="alert">{error.message}</span>', status=error.status
        )
    messages.error(request, str(error))
    return redirect(fallback)


# ----------------------------------------------------------------------------------------------------
# My work


@requires("work.view_workitem")
def my_work(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    current_id = request.GET.get("item", "")
    context = {
        "items": selectors.my_items(user),
        "snoozed": selectors.my_snoozed(user),
        "queues": selectors.queues_for(user),
        "current_id": int(current_id) if current_id.isdigit() else None,
        "snooze_choices": SNOOZE_CHOICES,
        "now": timezone.now(),
        "can_work": user.has_perm("work.change_workitem"),
        # Row links built from one reverse each, not three per row (up to LIST_LIMIT rows): see work/urls.py.
        "item_base": reverse("work:start_item", args=[0]).removesuffix("0/start/"),
        "agreement_base": reverse("accounts:agreement_detail", args=[0]).removesuffix("0/"),
    }
    return render(request, "work/my_work.html", context)


@require_POST
@requires("work.change_workitem")
def get_next(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    queue = None
    queue_id = request.POST.get("queue", "")
    if queue_id.isdigit():
        queue = selectors.queue_for(user, int(queue_id))
        if queue is None:
            raise Http404("No such queue")
    try:
        item = actions.get_next(agent=user, queue=queue)
    except Refusal as error:
        return _refused(request, error, reverse("work:my_work"))
    if item is None:
        messages.info(request, "Nothing is waiting for you right now.")
        return redirect("work:my_work")
    if item.agreement_id is not None and user.has_perm("collections.view_hold"):
        return redirect("collections:workspace", agreement_id=item.agreement_id)
    return redirect(f"{reverse('work:my_work')}?item={item.pk}")


@require_POST
@requires("work.change_workitem")
def start_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    try:
        actions.start_item(item=item, actor=acting_user(request))
    except Refusal as error:
        return _refused(request, error, reverse("work:my_work"))
    return redirect(f"{reverse('work:my_work')}?item={item.pk}")


@require_POST
@requires("work.change_workitem")
def complete_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    try:
        actions.complete_item(item=item, actor=acting_user(request), outcome=request.POST.get("outcome", ""))
    except Refusal as error:
        return _refused(request, error, reverse("work:my_work"))
    messages.success(request, f"Done: {item.title}")
    return redirect("work:my_work")


@require_POST
@requires("work.change_workitem")
def snooze_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    hours = request.POST.get("hours", "")
    if not hours.isdigit() or int(hours) not in dict(SNOOZE_CHOICES):
        messages.error(request, "Choose how long to snooze for.")
        return redirect("work:my_work")
    try:
        actions.snooze_item(
            item=item,
            actor=acting_user(request),
            until=timezone.now() + timedelta(hours=int(hours)),
            reason=request.POST.get("reason", ""),
        )
    except Refusal as error:
        return _refused(request, error, reverse("work:my_work"))
    messages.success(request, f"Snoozed: {item.title}")
    return redirect("work:my_work")


# ----------------------------------------------------------------------------------------------------
# Team leader console


def owner_options(people: list[User]) -> SafeString:
    """The options of the reassign menus, rendered once per page and reused on every row (escaped here)."""
    return format_html_join(
        "", '<option value="{}">{}</option>', ((person.pk, person.display_name) for person in people)
    )


def _row_context(people: list[User]) -> dict[str, Any]:
    """What each reassignable row needs: the owner menu and the base of its links (one reverse, not two a row)."""
    return {
        "owner_options": owner_options(people),
        "item_base": reverse("work:reassign_item", args=[0]).removesuffix("0/reassign/"),
    }


@requires("work.view_team_console")
def team_console(request: HttpRequest) -> HttpResponse:
    offset = request.GET.get("risk", "")
    board = selectors.console(request.user, at_risk_offset=int(offset) if offset.isdigit() else 0)
    return render(
        request,
        "work/team_console.html",
        {
            "board": board,
            "can_reassign": request.user.has_perm("work.reassign_workitem"),
            **_row_context(board.people),
        },
    )


def _person(request: HttpRequest, raw: str) -> User | None:
    """The chosen new owner; blank means back to the pool. Only people sharing the leader's clients are offered."""
    if not raw:
        return None
    if not raw.isdigit():
        raise Refusal("Choose a person from the list", field="owner")
    person = User.objects.filter(pk=int(raw), is_active=True).first()
    if person is None:
        raise Refusal("Choose a person from the list", field="owner")
    return person


@require_POST
@requires("work.reassign_workitem")
def reassign_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    try:
        owner = _person(request, request.POST.get("owner", ""))
        item = actions.reassign_item(item=item, owner=owner, actor=acting_user(request), reason="console")
    except Refusal as error:
        return _refused(request, error, reverse("work:team_console"))
    if request.headers.get("HX-Request"):
        return render(
            request,
            "work/_reassigned.html",
            {"item": item, "can_reassign": True, **_row_context(selectors.assignable_people(request.user))},
        )
    messages.success(request, f"Reassigned: {item.title}")
    return redirect("work:team_console")


@require_POST
@requires("work.reassign_workitem")
def bulk_reassign(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("items") if value.isdigit()]
    try:
        owner = _person(request, request.POST.get("owner", ""))
        moved = actions.reassign_items(
            item_ids=ids, owner=owner, actor=acting_user(request), reason="console bulk"
        )
    except Refusal as error:
        return _refused(request, error, reverse("work:team_console"))
    messages.success(
        request,
        f"{moved.count} item(s) reassigned" + (f", {len(moved.skipped)} skipped" if moved.skipped else ""),
    )
    return redirect("work:team_console")


# ----------------------------------------------------------------------------------------------------
# Queue configuration


def _queue_form_context(
    request: HttpRequest, queue: Queue | None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    client_ids = client_ids_for(request.user)
    from fairpath.clients.models import Client

    return {
        "queue": queue,
        "kinds": [(kind.value, rules.KIND_LABELS[kind]) for kind in rules.Kind],
        "clients": Client.objects.filter(id__in=client_ids).order_by("name"),
        "bands": [band.value for band in rules.BAND_ORDER if band != rules.Band.LATER],
        "skills": Skill.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "orderings": Queue.Ordering.choices,
        "errors": errors or {},
        "can_change": request.user.has_perm("work.change_queue"),
        "can_add": request.user.has_perm("work.add_queue"),
    }


def _save_queue(request: HttpRequest, queue: Queue | None) -> HttpResponse:
    data = request.POST
    skill = Skill.objects.filter(pk=data.get("required_skill") or 0).first()
    team = Team.objects.filter(pk=data.get("team") or 0).first()
    try:
        saved = actions.configure_queue(
            actor=acting_user(request),
            queue=queue,
            name=data.get("name", ""),
            filters={
                "kinds": data.getlist("kinds"),
                "client_ids": data.getlist("client_ids"),
                "min_band": data.get("min_band", ""),
            },
            ordering=data.get("ordering", Queue.Ordering.PRIORITY),
            required_skill=skill,
            team=team,
            is_active=data.get("is_active", "") == "on" or queue is None,
        )
    except Refusal as error:
        context = _queue_form_context(request, queue, {error.field or "form": error.message})
        context["queues"] = selectors.queues_for(request.user)
        template = "work/queue_list.html" if queue is None else "work/queue_edit.html"
        return render(request, template, context, status=422 if error.status == 422 else error.status)
    messages.success(request, f"Queue saved: {saved.name}")
    return redirect("work:queue_list")


@requires("work.view_queue")
def queue_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("work.add_queue"):
            return render(
                request, "web/error.html", {"title": "Not allowed", "message": "work.add_queue"}, status=403
            )
        return _save_queue(request, None)
    context = _queue_form_context(request, None)
    context["queues"] = selectors.queues_for(request.user)
    return render(request, "work/queue_list.html", context)


@requires("work.view_queue")
def queue_edit(request: HttpRequest, queue_id: int) -> HttpResponse:
    queue = selectors.queue_for(request.user, queue_id)
    if queue is None:
        raise Http404("No such queue")
    if request.method == "POST":
        if not request.user.has_perm("work.change_queue"):
            return render(
                request,
                "web/error.html",
                {"title": "Not allowed", "message": "work.change_queue"},
                status=403,
            )
        return _save_queue(request, queue)
    return render(request, "work/queue_edit.html", _queue_form_context(request, queue))


# ----------------------------------------------------------------------------------------------------
# Portfolios


@requires("work.manage_portfolio")
def portfolios(request: HttpRequest) -> HttpResponse:
    """Each agent's portfolio per client, and balancing a client's accounts over the agents chosen."""
    from fairpath.governance.access import visible_clients

    if request.method == "POST":
        client = visible_clients(request.user).filter(pk=request.POST.get("client") or 0).first()
        if client is None:
            messages.error(request, "Choose one of your clients.")
            return redirect("work:portfolios")
        ids = [int(value) for value in request.POST.getlist("agents") if value.isdigit()]
        people = [person for person in selectors.assignable_people(request.user) if person.pk in ids]
        if not people:
            messages.error(request, "Choose at least one agent.")
            return redirect("work:portfolios")
        try:
            report = actions.balance_portfolios(client=client, agents=people, actor=acting_user(request))
        except Refusal as error:
            return _refused(request, error, reverse("work:portfolios"))
        messages.success(
            request,
            f"{client.name}: {report.kept} kept, {report.moved} moved, {report.added} newly assigned, "
            f"{report.released} released, {report.unassigned} without room; {report.items_moved} open items followed.",
        )
        return redirect("work:portfolios")
    context = {
        "loads": selectors.portfolio_loads(request.user),
        "clients": visible_clients(request.user).order_by("name"),
        "people": selectors.assignable_people(request.user),
    }
    return render(request, "work/portfolios.html", context)
