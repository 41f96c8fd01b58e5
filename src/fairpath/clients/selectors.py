"""Reads of client lenders, already narrowed to the user's clients."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fairpath.clients.models import Client
from fairpath.governance.access import client_ids_for


def clients_for(user: Any) -> QuerySet[Client]:
    return Client.objects.filter(id__in=client_ids_for(user)).order_by("name")
