"""Templates (list, detail with the publish check, edit, publish) and the outbox (sent and suppressed messages)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fairpath.clients.models import Client
from fairpath.communications import actions, channels, rules, selectors
from fairpath.communications.models import (
    CHANNEL_CHOICES,
    JURISDICTION_CHOICES,
    NOTICE_TYPE_CHOICES,
    OutboundMessage,
)
from fairpath.core.errors import Refusal
from fairpath.governance.access import acting_user, visible_clients
from fairpath.web.permissions import requires


class WordingForm(forms.Form):
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "cols": 90}))


class TemplateForm(WordingForm):
    client: forms.ModelChoiceField = forms.ModelChoiceField(queryset=Client.objects.none())
    code = forms.SlugField(max_length=60)
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=CHANNEL_CHOICES)
    jurisdiction = forms.ChoiceField(choices=JURISDICTION_CHOICES)
    notice_type = forms.ChoiceField(choices=NOTICE_TYPE_CHOICES)
    is_initial_communication = forms.BooleanField(required=False)
    field_order = [
        "client",
        "code",
        "name",
        "channel",
        "jurisdiction",
        "notice_type",
        "is_initial_communication",
    ]

    def __init__(self, *args, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible_clients(user)  # type: ignore[attr-defined]


@requires("communications.view_template")
def template_list(request: HttpRequest) -> HttpResponse:
    templates = selectors.templates_for(request.user)
    channel = request.GET.get("channel", "")
    jurisdiction = request.GET.get("jurisdiction", "")
    if channel:
        templates = templates.filter(channel=channel)
    if jurisdiction:
        templates = templates.filter(jurisdiction=jurisdiction)
    page = Paginator(templates, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    published = selectors.published_numbers([template.pk for template in page])
    for template in page:
        template.published_number = published.get(template.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "communications/template_list.html",
        {"page": page, "channel": channel, "jurisdiction": jurisdiction},
    )


@requires("communications.change_template")
def template_create(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = actions.create_template(
                client=data["client"],
                code=data["code"],
                name=data["name"],
                channel=data["channel"],
                jurisdiction=data["jurisdiction"],
                notice_type=data["notice_type"],
                is_initial_communication=data["is_initial_communication"],
                subject=data["subject"],
                body=data["body"],
                actor=acting_user(request),
            )
        except Refusal as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"Template {template.code} created as a draft.")
            return redirect("communications:template_detail", template_id=template.pk)
    return render(
        request,
        "communications/template_form.html",
        {"form": form, "variables": rules.ALLOWED_VARIABLES, "template": None},
    )


@requires("communications.view_template")
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_page(request.user, template_id)
    if template is None:
        raise Http404
    versions = list(template.versions.all())
    return render(
        request,
        "communications/template_detail.html",
        {"template": template, "versions": versions, "variables": rules.ALLOWED_VARIABLES},
    )


@requires("communications.change_template")
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = selectors.template_page(request.user, template_id)
    if template is None:
        raise Http404
    latest = template.versions.order_by("-number").first()
    initial = {"subject": latest.subject, "body": latest.body} if latest else {}
    form = WordingForm(request.POST or None, initial=initial)
    findings: list[rules.Finding] = []
    if request.method == "POST" and form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        if "check" in request.POST:
            findings, _ = actions.check_version(template=template, subject=subject, body=body)
            if not findings:
                messages.success(request, "The wording passes the publish check.")
        else:
            try:
                version = actions.save_draft(
                    template=template, subject=subject, body=body, actor=acting_user(request)
                )
            except Refusal as refusal:
                form.add_error("body", refusal.message)
            else:
                messages.success(request, f"Saved as draft version {version.number}.")
                return redirect("communications:template_detail", template_id=template.pk)
    return render(
        request,
        "communications/template_form.html",
        {"form": form, "template": template, "findings": findings, "variables": rules.ALLOWED_VARIABLES},
    )


@require_POST
@requires("communications.publish_template")
def version_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_page(request.user, version_id)
    if version is None:
        raise Http404
    try:
        actions.publish_version(version=version, actor=acting_user(request))
    except Refusal as refusal:
        messages.error(request, f"Not published — {refusal}")
    else:
        messages.success(request, f"Version {version.number} published.")
    return redirect("communications:template_detail", template_id=version.template_id)


OUTBOX_TABS = [
    ("", "All"),
    ("sent", "Sent"),
    ("queued", "Queued"),
    ("failed", "Failed"),
    ("suppressed", "Suppressed by rule"),
]


@requires("communications.view_outbound")
def outbox(request: HttpRequest) -> HttpResponse:
    found = selectors.messages_for(request.user)
    status = request.GET.get("status", "")
    rule = request.GET.get("rule", "").strip()[:40]
    channel = request.GET.get("channel", "")
    if status in OutboundMessage.Status.values:
        found = found.filter(status=status)
    if rule:
        found = found.filter(decision_rule=rule)
    if channel:
        found = found.filter(channel=channel)
    page = Paginator(found, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "communications/outbox.html",
        {
            "page": page,
            "status": status,
            "rule": rule,
            "channel": channel,
            "tabs": OUTBOX_TABS,
            "suppressed": selectors.suppressed_by_rule(request.user),
        },
    )


@requires("communications.view_outbound")
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_page(request.user, message_id)
    if message is None:
        raise Http404
    notice = getattr(message, "notice", None)  # RelatedObjectDoesNotExist is an AttributeError
    return render(request, "communications/message_detail.html", {"message": message, "notice": notice})


@requires("communications.view_outbound")
def message_document(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_page(request.user, message_id)
    if message is None or not (message.document or message.channel == "letter"):
        raise Http404
    if not message.document:
        if message.status != "sent":
            raise Http404
        message.document.name = channels.store_letter_document(message)
    try:
        handle = message.document.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf", filename=f"letter-{message.pk}.pdf")
    return response  # type: ignore[return-value]  # a streaming response, served as any other
