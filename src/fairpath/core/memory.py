"""Pausing Python's cycle collector around batch steps that make millions of short-lived objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Batch steps (a 100k-line payment import, a cycle shard of 20,000 accounts) make millions of short-lived
    objects that reference counting frees, and each full pass of the cycle collector over them costs a
    second or more: a fifth of an import's time, a tenth of a shard's. It is paused for the step and
    restored afterwards (whatever it was); nothing in these steps makes cycles that need it, and whatever
    garbage with cycles a step leaves is collected at the next pass after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
