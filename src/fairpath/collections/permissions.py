"""Default permissions the collections domain gives each standard role (added to roles at migrate)."""

_FRONT_LINE = [
    "collections.add_contactattempt",
    "collections.view_hold",
    "collections.offer_settlement",
    "collections.manage_third_party",
    "collections.transfer_to_recoveries",
    "collections.charge_end_of_contract",
]
_SUPERVISOR = [
    *_FRONT_LINE,
    "collections.view_suppressions",
    "collections.manage_hold",
    "collections.view_strategy",
]
_MANAGER = [*_SUPERVISOR, "collections.change_strategy", "collections.run_cycle"]

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "agent": [*_FRONT_LINE, "collections.manage_hold"],
    "back_office_executive": [*_FRONT_LINE, "collections.manage_hold"],
    "team_leader": _SUPERVISOR,
    "operations_manager": _MANAGER,
    "head_of_operations": _MANAGER,
    "compliance_officer": [
        "collections.view_hold",
        "collections.view_suppressions",
        "collections.view_strategy",
    ],
    "administrator": ["collections.view_strategy", "collections.view_suppressions"],
}
