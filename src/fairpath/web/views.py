"""The shell: the home page each role lands on, password change and the error pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from fairpath.governance import actions as governance_actions
from fairpath.governance import selectors as governance_selectors
from fairpath.governance.access import visible_clients
from fairpath.web.home import home_panels
from fairpath.web.permissions import SIGNED_IN, requires


@requires(SIGNED_IN)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "clients": visible_clients(user),
        "panels": home_panels(user),
        "awaiting": governance_selectors.approvals_awaiting(user)[:5]
        if user.has_perm("governance.decide_approval")
        else [],
    }
    return render(request, "web/home.html", context)


class PasswordChange(LoginRequiredMixin, auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        governance_actions.record_password_change(user=self.request.user)  # type: ignore[arg-type]
        messages.success(self.request, "Your password was changed.")
        return response


PasswordChange.required_permission = SIGNED_IN  # type: ignore[attr-defined]


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "web/error.html", {"title": "Not allowed", "message": str(exception or "")}, status=403
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"title": "Not found", "message": "There is nothing here you may see."},
        status=404,
    )
