"""Named refusals. Every refusal says what refused it: a rule id from domain/RULES.md or a platform rule."""

from __future__ import annotations


class Refusal(Exception):
    """An action was refused; nothing was changed. ``rule`` names the rule, ``field`` the input at fault."""

    code = "refused"
    status = 409

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]" if self.rule else self.message


class NotPermitted(Refusal):
    """The actor lacks the permission or the client scope for this action."""

    code = "forbidden"
    status = 403


class InvalidInput(Refusal):
    """The input is malformed or out of range."""

    code = "invalid"
    status = 422
