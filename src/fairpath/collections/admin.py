"""Admin screens: the recoveries checklist is configured here per client; settlements and end-of-contract
charges are read-only (they change only through actions, with audit)."""

from __future__ import annotations

from django.contrib import admin

from fairpath.collections import models
from fairpath.core.admin import ReadOnlyAdmin


@admin.register(models.RecoveriesChecklist)
class RecoveriesChecklistAdmin(admin.ModelAdmin):
    list_display = (
        "client",
        "minimum_contact_attempts",
        "require_arrangement_offered",
        "require_income_expenditure_offered",
        "require_notices_sent",
        "require_default_notice_expired",
    )


@admin.register(models.SettlementOffer)
class SettlementOfferAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "kind", "status", "amount_minor", "discount_bp", "offered_on", "client")
    list_filter = ("client", "kind", "status")


@admin.register(models.EndOfContractCharge)
class EndOfContractChargeAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "kind", "amount_minor", "charged_on", "client")
    list_filter = ("client", "kind")
