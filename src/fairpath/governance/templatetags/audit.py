"""Show an audit event's before/after as field-by-field changes a person can read."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def changes(event: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the event mentions; non-dict values under the field "value"."""
    before, after = event.before, event.after
    if not isinstance(before, dict) and not isinstance(after, dict):
        return [] if before is None and after is None else [("value", before, after)]
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    return [(field, before.get(field), after.get(field)) for field in sorted(set(before) | set(after))]
