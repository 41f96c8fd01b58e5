"""The standard roles, their default permissions and authority limits.

Seeded after every migrate, but only where missing: an administrator's edits to a role's permissions
or limits are never overwritten.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

AGENT = "agent"
BACK_OFFICE_EXECUTIVE = "back_office_executive"
TEAM_LEADER = "team_leader"
OPERATIONS_MANAGER = "operations_manager"
HEAD_OF_OPERATIONS = "head_of_operations"
COMPLIANCE_OFFICER = "compliance_officer"
ADMINISTRATOR = "administrator"

# code, name, rank, escalates to
STANDARD_ROLES: list[tuple[str, str, int, str | None]] = [
    (AGENT, "Collections agent", 10, TEAM_LEADER),
    (BACK_OFFICE_EXECUTIVE, "Back-office executive", 10, TEAM_LEADER),
    (TEAM_LEADER, "Team leader", 20, OPERATIONS_MANAGER),
    (OPERATIONS_MANAGER, "Operations manager", 30, HEAD_OF_OPERATIONS),
    (HEAD_OF_OPERATIONS, "Head of operations", 40, None),
    (COMPLIANCE_OFFICER, "Compliance officer", 25, None),
    (ADMINISTRATOR, "Administrator", 50, None),
]

_FRONT_LINE = ["clients.view_client", "governance.view_approvals"]
_SUPERVISOR = _FRONT_LINE + ["governance.decide_approval", "governance.view_audit"]
DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _FRONT_LINE,
    BACK_OFFICE_EXECUTIVE: _FRONT_LINE,
    TEAM_LEADER: _SUPERVISOR,
    OPERATIONS_MANAGER: _SUPERVISOR,
    HEAD_OF_OPERATIONS: _SUPERVISOR + ["governance.verify_audit"],
    COMPLIANCE_OFFICER: [
        "clients.view_client",
        "governance.view_approvals",
        "governance.view_audit",
        "governance.verify_audit",
    ],
    ADMINISTRATOR: [
        "clients.view_client",
        "clients.change_client",
        "governance.view_audit",
        "governance.verify_audit",
        "governance.manage_users",
        "governance.manage_tokens",
        "governance.view_role",
        "governance.change_role",
        "governance.view_authoritylimit",
        "governance.add_authoritylimit",
        "governance.change_authoritylimit",
        "governance.delete_authoritylimit",
        "clients.add_client",
    ],
}

GBP = "GBP"
# kind, currency, maximum per role. Basis points for discounts (1000 = 10%), months for terms, pence for money.
DEFAULT_LIMITS: dict[str, list[tuple[str, str, int]]] = {
    AGENT: [
        ("settlement_discount_bp", "", 1000),
        ("arrangement_term_months", "", 12),
        ("fee_waiver", GBP, 5_000),
        ("compensation", GBP, 5_000),
        ("write_off", GBP, 0),
    ],
    BACK_OFFICE_EXECUTIVE: [
        ("settlement_discount_bp", "", 1000),
        ("arrangement_term_months", "", 12),
        ("fee_waiver", GBP, 10_000),
        ("compensation", GBP, 10_000),
        ("write_off", GBP, 0),
    ],
    TEAM_LEADER: [
        ("settlement_discount_bp", "", 2500),
        ("arrangement_term_months", "", 36),
        ("fee_waiver", GBP, 50_000),
        ("compensation", GBP, 25_000),
        ("write_off", GBP, 50_000),
    ],
    OPERATIONS_MANAGER: [
        ("settlement_discount_bp", "", 4000),
        ("arrangement_term_months", "", 60),
        ("fee_waiver", GBP, 200_000),
        ("compensation", GBP, 100_000),
        ("write_off", GBP, 500_000),
    ],
    HEAD_OF_OPERATIONS: [
        ("settlement_discount_bp", "", 6000),
        ("arrangement_term_months", "", 120),
        ("fee_waiver", GBP, 1_000_000),
        ("compensation", GBP, 500_000),
        ("write_off", GBP, 5_000_000),
    ],
}


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def extra_default_permissions() -> dict[str, list[str]]:
    """Each domain's defaults (plain data in its permissions.py, imported explicitly), merged per role."""
    from fairpath.accounts.permissions import DEFAULT_PERMISSIONS as ACCOUNTS
    from fairpath.cases.permissions import DEFAULT_PERMISSIONS as CASES
    from fairpath.collections.permissions import DEFAULT_PERMISSIONS as COLLECTIONS
    from fairpath.communications.permissions import DEFAULT_PERMISSIONS as COMMUNICATIONS
    from fairpath.insight.permissions import DEFAULT_PERMISSIONS as INSIGHT
    from fairpath.payments.permissions import DEFAULT_PERMISSIONS as PAYMENTS
    from fairpath.work.permissions import DEFAULT_PERMISSIONS as WORK

    merged: dict[str, list[str]] = {}
    for domain in (ACCOUNTS, COLLECTIONS, COMMUNICATIONS, CASES, PAYMENTS, WORK, INSIGHT):
        for role_code, names in domain.items():
            merged.setdefault(role_code, []).extend(names)
    return merged


def seed_roles() -> None:
    """Create the standard roles with their defaults; add any default permission newly introduced by a domain."""
    from fairpath.governance.models import AuthorityLimit, Role

    roles: dict[str, Role] = {}
    for code, name, rank, _ in STANDARD_ROLES:
        roles[code], _created = Role.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})
    for code, _, _, escalates_to in STANDARD_ROLES:
        role = roles[code]
        if escalates_to and role.escalates_to_id is None:
            role.escalates_to = roles[escalates_to]
            role.save(update_fields=["escalates_to"])
    extras = extra_default_permissions()
    for code, dotted_names in DEFAULT_PERMISSIONS.items():
        role = roles[code]
        new_names = [
            name for name in dotted_names + extras.get(code, []) if name not in role.seeded_permissions
        ]
        found = {name: _permission(name) for name in new_names}
        role.permissions.add(*[permission for permission in found.values() if permission is not None])
        applied = [name for name, permission in found.items() if permission is not None]
        if applied:
            role.seeded_permissions = [*role.seeded_permissions, *applied]
            role.save(update_fields=["seeded_permissions"])
    for code, limits in DEFAULT_LIMITS.items():
        for kind, currency, maximum in limits:
            AuthorityLimit.objects.get_or_create(
                role=roles[code], kind=kind, currency=currency, defaults={"maximum": maximum}
            )


def seed_roles_after_migrate(**kwargs: Any) -> None:
    # Permissions of apps migrated after this one do not exist yet: create them all first.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    seed_roles()
