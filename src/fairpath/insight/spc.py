"""Statistical process control for MI trends: XmR (individuals) and p-charts with the standard signals.

A manager should act on a real shift, not on noise. The limits follow the usual constants: for an
individuals chart sigma is estimated as the mean moving range / d2 (1.128), so the natural process limits
are mean ± 2.66 × MR-bar and the moving-range chart's upper limit is 3.267 × MR-bar. A p-chart has
per-point limits p̄ ± 3 √(p̄(1 − p̄)/nᵢ), clipped to [0, 1].

Signals (Western Electric rules, with Nelson's trend rule):
  1. one point beyond 3 sigma;
  2. two of three successive points beyond 2 sigma on the same side;
  3. four of five successive points beyond 1 sigma on the same side;
  4. eight successive points on the same side of the centre line;
  5. six successive points steadily increasing or decreasing (trend).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

D2 = 1.128  # bias constant for moving ranges of two
XMR_LIMIT = 3 / D2  # 2.66
MR_UPPER = 3.267  # D4 for n = 2

SIGNAL_NAMES = {
    1: "beyond 3 sigma",
    2: "2 of 3 beyond 2 sigma",
    3: "4 of 5 beyond 1 sigma",
    4: "8 on one side of the centre",
    5: "6 in a row trending",
}


@dataclass(frozen=True)
class Signal:
    """An out-of-control signal: which rule fired, at which point (0-based), in words."""

    rule: int
    index: int

    @property
    def description(self) -> str:
        return SIGNAL_NAMES[self.rule]


@dataclass(frozen=True)
class ControlChart:
    """A chart ready to draw: the values, the centre line, per-point limits and the signals found."""

    kind: str
    values: list[float]
    centre: float
    upper: list[float]
    lower: list[float]
    sigma: list[float]
    signals: list[Signal] = field(default_factory=list)
    moving_ranges: list[float | None] = field(default_factory=list)
    moving_range_upper: float | None = None

    def signalled_points(self) -> set[int]:
        return {signal.index for signal in self.signals}


class NotEnoughData(ValueError):
    """Too few points to estimate control limits (an empty chart is never shown as zero)."""


def xmr_chart(values: Sequence[float]) -> ControlChart:
    """Individuals and moving-range chart; needs at least two points."""
    points = [float(value) for value in values]
    if len(points) < 2:
        raise NotEnoughData(f"an XmR chart needs at least 2 points, got {len(points)}")
    centre = math.fsum(points) / len(points)
    ranges = [abs(b - a) for a, b in zip(points, points[1:], strict=False)]
    mr_bar = math.fsum(ranges) / len(ranges)
    sigma = mr_bar / D2
    return ControlChart(
        kind="xmr",
        values=points,
        centre=centre,
        upper=[centre + 3 * sigma] * len(points),
        lower=[centre - 3 * sigma] * len(points),
        sigma=[sigma] * len(points),
        signals=find_signals(points, centre, [sigma] * len(points)),
        moving_ranges=[None, *ranges],
        moving_range_upper=MR_UPPER * mr_bar,
    )


def p_chart(events: Sequence[int], totals: Sequence[int]) -> ControlChart:
    """Proportion chart (e.g. promises kept of promises due) with per-point limits for varying sample sizes."""
    if len(events) != len(totals):
        raise ValueError("events and totals must have the same length")
    if any(total < 0 or event < 0 or event > total for event, total in zip(events, totals, strict=True)):
        raise ValueError("each point needs 0 ≤ events ≤ total")
    usable = [(event, total) for event, total in zip(events, totals, strict=True)]
    if len(usable) < 2 or sum(total for _, total in usable) == 0:
        raise NotEnoughData("a p-chart needs at least 2 points with a population")
    p_bar = sum(event for event, _ in usable) / sum(total for _, total in usable)
    values, sigmas = [], []
    for event, total in usable:
        values.append(event / total if total else p_bar)
        sigmas.append(math.sqrt(p_bar * (1 - p_bar) / total) if total else 0.0)
    return ControlChart(
        kind="p",
        values=values,
        centre=p_bar,
        upper=[min(1.0, p_bar + 3 * sigma) for sigma in sigmas],
        lower=[max(0.0, p_bar - 3 * sigma) for sigma in sigmas],
        sigma=sigmas,
        signals=find_signals(values, p_bar, sigmas),
    )


def _zone(value: float, centre: float, sigma: float) -> float:
    """Distance from the centre in sigmas (0 when there is no spread, so flat series never signal)."""
    return 0.0 if sigma <= 0 else (value - centre) / sigma


def find_signals(values: Sequence[float], centre: float, sigmas: Sequence[float]) -> list[Signal]:
    """Every point at which one of the five rules fires (a point may fire several rules)."""
    zones = [_zone(value, centre, sigma) for value, sigma in zip(values, sigmas, strict=True)]
    found: list[Signal] = []
    for index, z in enumerate(zones):
        if abs(z) > 3:
            found.append(Signal(1, index))
        if _k_of_last(zones, index, 3, 2, 2):
            found.append(Signal(2, index))
        if _k_of_last(zones, index, 5, 4, 1):
            found.append(Signal(3, index))
        if index >= 7 and sigmas[index] > 0 and _same_side(values, centre, index, 8):
            found.append(Signal(4, index))
        if index >= 5 and _trending(values, index, 6):
            found.append(Signal(5, index))
    return found


def _k_of_last(zones: Sequence[float], index: int, window: int, needed: int, beyond: float) -> bool:
    if index < window - 1 or abs(zones[index]) <= beyond:
        return False
    side = 1 if zones[index] > 0 else -1
    recent = zones[index - window + 1 : index + 1]
    return sum(1 for z in recent if z * side > beyond) >= needed


def _same_side(values: Sequence[float], centre: float, index: int, run: int) -> bool:
    recent = values[index - run + 1 : index + 1]
    return all(value > centre for value in recent) or all(value < centre for value in recent)


def _trending(values: Sequence[float], index: int, run: int) -> bool:
    recent = values[index - run + 1 : index + 1]
    steps = [b - a for a, b in zip(recent, recent[1:], strict=False)]
    return all(step > 0 for step in steps) or all(step < 0 for step in steps)
