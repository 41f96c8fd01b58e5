"""Default permissions the communications domain gives each standard role (added to roles at migrate)."""

_READ = ["communications.view_template", "communications.view_outbound"]
_SEND = [*_READ, "communications.send_message"]
_EDIT = [*_SEND, "communications.change_template"]
_PUBLISH = [*_EDIT, "communications.publish_template"]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": _SEND,
    "back_office_executive": _SEND,
    "team_leader": _EDIT,
    "operations_manager": _PUBLISH,
    "head_of_operations": _PUBLISH,
    "compliance_officer": [*_READ, "communications.publish_template"],
    "administrator": [*_READ, "communications.change_template"],
}
