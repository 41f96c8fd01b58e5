"""Admin pieces shared by every domain."""

from __future__ import annotations

from typing import Any

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only domain actions may write (ledger, work items, offers): admin shows, never edits.

    Editing them here would skip the action's checks and its audit row.
    """

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
