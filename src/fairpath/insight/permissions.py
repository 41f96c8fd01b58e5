"""Default permissions the MI domain gives each standard role (added to roles at migrate)."""

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": ["insight.view_mi"],
    "back_office_executive": ["insight.view_mi"],
    "team_leader": ["insight.view_mi", "insight.export_mi"],
    "operations_manager": ["insight.view_mi", "insight.export_mi"],
    "head_of_operations": ["insight.view_mi", "insight.export_mi"],
    "compliance_officer": ["insight.view_mi", "insight.export_mi"],
    "administrator": [
        "insight.view_mi",
        "insight.export_mi",
        "insight.change_kpitarget",
        "insight.view_kpitarget",
    ],
}
