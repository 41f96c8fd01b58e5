"""Client lender pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fairpath.clients import actions, selectors
from fairpath.clients.models import Client
from fairpath.core.errors import Refusal
from fairpath.governance.access import acting_user
from fairpath.web.permissions import requires


class ClientForm(forms.ModelForm):
    reason = forms.CharField(
        required=False, max_length=500, help_text="Why the change (kept in the audit trail)"
    )

    class Meta:
        model = Client
        fields = list(actions.EDITABLE_FIELDS)


def _client_or_404(request: HttpRequest, code: str) -> Client:
    client = selectors.clients_for(request.user).filter(code=code).first()
    if client is None:
        raise Http404
    return client


@requires("clients.view_client")
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/client_list.html", {"clients": selectors.clients_for(request.user)})


@requires("clients.view_client")
def client_detail(request: HttpRequest, code: str) -> HttpResponse:
    client = _client_or_404(request, code)
    return render(request, "clients/client_detail.html", {"client": client})


@requires("clients.change_client")
def client_edit(request: HttpRequest, code: str) -> HttpResponse:
    client = _client_or_404(request, code)
    form = ClientForm(request.POST or None, instance=Client.objects.get(pk=client.pk))
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field != "reason"}
        try:
            if changes:
                actions.update_client(
                    client=client,
                    changes=changes,
                    actor=acting_user(request),
                    reason=form.cleaned_data["reason"],
                )
        except Refusal as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
        else:
            messages.success(request, "Client details saved." if changes else "Nothing changed.")
            return redirect("clients:client_detail", code=client.code)
    return render(request, "clients/client_edit.html", {"client": client, "form": form})
