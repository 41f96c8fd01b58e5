"""Default permissions the cases domain gives each standard role (added to roles at migrate)."""

_READ = ["cases.view_case"]
_FRONT_LINE = [*_READ, "cases.add_case", "cases.change_case", "cases.escalate_case"]
_BACK_OFFICE = [*_FRONT_LINE, "cases.close_complaint"]
_SUPERVISOR = [*_BACK_OFFICE, "cases.view_complaints_mi", "cases.manage_ombudsman"]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": _FRONT_LINE,
    "back_office_executive": _BACK_OFFICE,
    "team_leader": _SUPERVISOR,
    "operations_manager": _SUPERVISOR,
    "head_of_operations": _SUPERVISOR,
    "compliance_officer": [*_READ, "cases.view_complaints_mi"],
    "administrator": [
        *_READ,
        "cases.view_slapolicy",
        "cases.add_slapolicy",
        "cases.change_slapolicy",
        "cases.view_replytemplate",
        "cases.add_replytemplate",
        "cases.change_replytemplate",
    ],
}
