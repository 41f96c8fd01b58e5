"""KPI targets are edited by an administrator here; every change is audited. Snapshots are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction

from fairpath.governance.audit import record_event
from fairpath.insight.catalogue import KPIS
from fairpath.insight.models import KpiTarget


class KpiTargetForm(forms.ModelForm):
    kpi = forms.ChoiceField(choices=[(kpi.code, f"{kpi.code}: {kpi.name}") for kpi in KPIS])

    class Meta:
        model = KpiTarget
        fields = ["kpi", "client", "value", "note"]


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    form = KpiTargetForm
    list_display = ["kpi", "client", "value", "note"]
    list_filter = ["kpi"]

    def save_model(self, request: Any, obj: KpiTarget, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk:
            previous = KpiTarget.objects.get(pk=obj.pk)
            before = {"value": previous.value, "note": previous.note}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_event(
                actor=request.user,
                action="insight.target_set",
                obj=obj,
                before=before,
                after={"kpi": obj.kpi, "client_id": obj.client_id, "value": obj.value, "note": obj.note},
            )
