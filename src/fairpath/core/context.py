"""The correlation id of the current request, command or task, so audit events of one piece of work link up."""

from __future__ import annotations

import contextvars
import uuid

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("fairpath_correlation_id", default="")


def current_correlation_id() -> str:
    return _correlation_id.get()


def set_correlation_id(value: str | None = None) -> contextvars.Token[str]:
    return _correlation_id.set((value or uuid.uuid4().hex)[:64])


def reset_correlation_id(token: contextvars.Token[str]) -> None:
    _correlation_id.reset(token)
