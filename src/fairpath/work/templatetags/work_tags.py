"""Template helpers for the work pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def selecting(options: SafeString, owner_id: int | None) -> SafeString:
    """The owner menu's options, rendered once per page (``views.owner_options``), with ``owner_id`` selected.

    The console has a menu on each of its rows; rendering every person's option on every row was most of the
    page's rendering time once a team has a few dozen people.
    """
    if owner_id is None:
        return options
    option = f'<option value="{int(owner_id)}">'
    return mark_safe(options.replace(option, f'<option value="{int(owner_id)}" selected>', 1))  # noqa: S308 - adds a fixed attribute to escaped HTML
