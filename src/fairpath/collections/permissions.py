"""Default permissions the collections domain gives each standard role (added to roles at migrate)."""

DEFAULT_PERMISSIONS: dict[str, list[str]] = {}
