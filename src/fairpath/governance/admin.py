"""Configuration screens: roles with their permissions and authority limits, users, tokens (read-only audit)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from fairpath.governance.models import ApiToken, ApprovalRequest, AuditEvent, AuthorityLimit, Role, User


class AuthorityLimitInline(admin.TabularInline):
    model = AuthorityLimit
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "rank", "escalates_to")
    filter_horizontal = ("permissions",)
    inlines = [AuthorityLimitInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "all_clients", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Fairpath", {"fields": ("role", "clients", "all_clients")}),
    )  # type: ignore[operator]
    filter_horizontal = ("clients", "groups", "user_permissions")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "summary", "client", "status", "requested_by", "required_role", "requested_at")
    list_filter = ("status", "kind")
    readonly_fields = [field.name for field in ApprovalRequest._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at", "created_by")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False  # tokens are issued by `fairpath createuser --token` or the Users page, which show them once


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor_label", "client", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
