"""Template helpers for amounts held in minor units."""

from __future__ import annotations

from django import template

from fairpath.core.money import format_money

register = template.Library()


@register.simple_tag
def money(minor: int | None, currency: str) -> str:
    """``{% money agreement.balance_minor agreement.currency %}`` → "£1,234.56"."""
    return "—" if minor is None else format_money(int(minor), currency)
