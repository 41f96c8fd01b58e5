"""Default permissions the work domain gives each standard role (added to roles at migrate)."""

_WORKER = ["work.view_workitem", "work.change_workitem"]
_LEADER = [
    *_WORKER,
    "work.view_team_console",
    "work.reassign_workitem",
    "work.manage_portfolio",
    "work.view_queue",
    "work.add_queue",
    "work.change_queue",
]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": _WORKER,
    "back_office_executive": _WORKER,
    "team_leader": _LEADER,
    "operations_manager": _LEADER,
    "head_of_operations": _LEADER,
    "compliance_officer": ["work.view_workitem", "work.view_team_console", "work.view_queue"],
    "administrator": ["work.view_workitem", "work.view_queue", "work.add_queue", "work.change_queue"],
}
