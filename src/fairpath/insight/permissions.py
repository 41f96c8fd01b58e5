"""Default permissions the MI domain gives each standard role (added to roles at migrate)."""

DEFAULT_PERMISSIONS: dict[str, list[str]] = {}
