"""Administrators edit SLA policies and reply templates here; cases themselves change only through actions."""

from django.contrib import admin

from fairpath.cases.models import ReplyTemplate, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name", "client", "case_type", "category", "first_response_target", "first_response_unit",
        "resolution_target", "resolution_unit", "warning_percent", "is_active",
    )  # fmt: skip
    list_filter = ("client", "case_type", "is_active")


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "case_type", "is_active")
    list_filter = ("client", "case_type")
