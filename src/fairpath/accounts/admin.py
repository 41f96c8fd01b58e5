"""Read-only admin screens: accounts change only through actions, never by editing rows."""

from __future__ import annotations

from django.contrib import admin

from fairpath.accounts import models
from fairpath.core.admin import ReadOnlyAdmin


@admin.register(models.Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("reference", "first_name", "last_name", "client")
    search_fields = ("reference", "last_name_key")
    list_filter = ("client",)


@admin.register(models.Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("reference", "product", "status", "balance_minor", "currency", "client")
    search_fields = ("reference",)
    list_filter = ("client", "product", "status")


@admin.register(models.WaterfallSetting)
class WaterfallSettingAdmin(admin.ModelAdmin):
    list_display = ("client", "product", "components", "due_order")
