"""Default permissions the payments domain gives each standard role (added to roles at migrate)."""

_VIEW = ["payments.view_reconciliation", "payments.view_paymentfile", "payments.view_statementline"]
_WORK = [*_VIEW, "payments.import_payments", "payments.match_payments"]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "back_office_executive": _WORK,
    "team_leader": _WORK,
    "operations_manager": _WORK,
    "head_of_operations": _WORK,
    "compliance_officer": _VIEW,
    "administrator": _VIEW,
}
