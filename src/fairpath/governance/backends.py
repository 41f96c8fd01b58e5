"""Permissions come from the user's role (editable by an administrator), not from per-user grants."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet


class RolePermissionBackend(ModelBackend):
    def _get_group_permissions(self, user_obj) -> QuerySet[Permission]:  # noqa: ANN001
        return Permission.objects.filter(roles__users=user_obj)
