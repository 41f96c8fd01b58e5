"""Default permissions the accounts domain gives each standard role (added to roles at migrate)."""

_READ = ["accounts.view_customer", "accounts.view_agreement", "accounts.view_ledger"]
_FRONT_LINE = [*_READ, "accounts.post_payment", "accounts.post_adjustment"]
_SUPERVISOR = [*_FRONT_LINE, "accounts.change_status"]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": _FRONT_LINE,
    "back_office_executive": _FRONT_LINE,
    "team_leader": _SUPERVISOR,
    "operations_manager": _SUPERVISOR,
    "head_of_operations": _SUPERVISOR,
    "compliance_officer": _READ,
    "administrator": _READ,
}
