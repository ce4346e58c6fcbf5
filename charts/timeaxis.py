"""A shared time axis that gives the treatment phase at least half the width (pure, no clock).

Days count from the first performed session (day 0). The treatment phase runs from the
earliest day shown to one week after the last session and is linear on [0, share]; the
follow-up is log-compressed on [share, 1], so a year or two of follow-up cannot squeeze
seven weekly sessions into a sliver at the left edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

WEEK = 7.0
# Ticks only: the axis has days, not dates. Named timepoints carry their exact calendar days.
MONTH = 365.25 / 12
TREATMENT_SHARE = 0.55
# Days at which the follow-up compression bends: the first follow-up month keeps about a
# fifth of the follow-up width even when the follow-up runs to two years.
FOLLOW_UP_KNEE = 30.0
MIN_GAP = 0.07  # of the axis width: room for a "W12" or "M18" label at a 400-unit viewBox
WEEK_STEPS = (1, 2, 4, 8, 13, 26)
MONTH_STEPS = (1, 2, 3, 6, 9, 12, 18, 24, 30, 36, 48, 60)


@dataclass(frozen=True)
class Tick:
    """One labelled point of the axis: unit is 'week', 'month' or 'named'."""

    day: float
    x: float
    label: str
    unit: str
    value: float


@dataclass(frozen=True)
class TimeAxis:
    """Day -> x fraction mapping, with its week/month ticks and named timepoints."""

    start: float
    treatment_end: float
    end: float
    share: float = TREATMENT_SHARE
    ticks: tuple[Tick, ...] = ()
    named: tuple[Tick, ...] = ()
    # Day -> x, filled as days are asked: a 2-year weekly page maps thousands of points onto
    # a few hundred distinct days, and the log of the follow-up is most of the panels' time.
    _memo: dict[float, float] = field(default_factory=dict, init=False, repr=False,
                                      compare=False)

    def x(self, day: float) -> float:
        """Return the x fraction in [0, 1] of a day (days off the axis are clamped)."""
        found = self._memo.get(day)
        if found is None:
            found = self._memo[day] = self._fraction(day)
        return found

    def _fraction(self, day: float) -> float:
        treatment = _clamp((day - self.start) / (self.treatment_end - self.start))
        if not self.has_follow_up:
            return treatment
        if day <= self.treatment_end:
            return treatment * self.share
        offset = min(day, self.end) - self.treatment_end
        span = self.end - self.treatment_end
        return self.share + (1 - self.share) * _compress(offset) / _compress(span)

    @property
    def has_follow_up(self) -> bool:
        """Return True when the axis runs past the treatment phase."""
        return self.end > self.treatment_end

    @property
    def treatment_share(self) -> float:
        """Return the share of the width given to the treatment phase."""
        return self.x(self.treatment_end) - self.x(self.start)


def build_time_axis(
    session_days: Iterable[float], last_day: float, *, first_day: float = 0.0,
    timepoints: Sequence[tuple[str, float]] = (), share: float = TREATMENT_SHARE,
    min_gap: float = MIN_GAP,
) -> TimeAxis:
    """Return the axis from the sessions (day 0 = first session) to the last observation."""
    if not 0.5 <= share < 1:
        raise ValueError(f"the treatment phase needs at least half the width, not {share}")
    days = sorted(session_days) or [0.0]
    start = min(first_day, days[0], 0.0)
    treatment_end = days[-1] + WEEK
    axis = TimeAxis(start, treatment_end, max(last_day, treatment_end), share)
    ticks = week_ticks(axis, min_gap)
    ticks += month_ticks(axis, min_gap, ticks)
    named = tuple(Tick(day, axis.x(day), name, "named", day)
                  for name, day in sorted(timepoints, key=lambda item: item[1])
                  if axis.start <= day <= axis.end)
    return replace(axis, ticks=tuple(ticks), named=named)


def week_ticks(axis: TimeAxis, min_gap: float = MIN_GAP) -> list[Tick]:
    """Return ticks every 1, 2, 4... weeks over the treatment phase, as dense as fits."""
    step_x = axis.x(axis.start + WEEK) - axis.x(axis.start)
    step = next((s for s in WEEK_STEPS if s * step_x >= min_gap), WEEK_STEPS[-1])
    first = math.ceil(axis.start / WEEK / step) * step
    last = math.floor(axis.treatment_end / WEEK)
    return [Tick(week * WEEK, axis.x(week * WEEK), f"W{week}", "week", week)
            for week in range(first, last + 1, step)]


def month_ticks(axis: TimeAxis, min_gap: float = MIN_GAP,
                taken: Sequence[Tick] = ()) -> list[Tick]:
    """Return month ticks over the follow-up; years first, then halves, quarters, the rest."""
    candidates = [m for m in _nice_months(axis.end) if axis.treatment_end < m * MONTH]
    # Round months win the room: with a compressed far end, M12 must not lose to M9.
    candidates.sort(key=lambda m: (_roundness(m), m))
    kept: list[Tick] = []
    occupied = [tick.x for tick in taken]
    for month in candidates:
        x = axis.x(month * MONTH)
        if all(abs(x - other) >= min_gap for other in occupied):
            kept.append(Tick(month * MONTH, x, f"M{month}", "month", month))
            occupied.append(x)
    return sorted(kept, key=lambda tick: tick.day)


def _nice_months(end: float) -> list[int]:
    months = [m for m in MONTH_STEPS if m * MONTH <= end]
    extra = range(MONTH_STEPS[-1] + 12, int(end // MONTH) + 1, 12)
    return months + list(extra)


def _roundness(month: int) -> int:
    return next(rank for rank, every in enumerate((12, 6, 3, 1)) if month % every == 0)


def _compress(offset: float) -> float:
    return math.log1p(max(offset, 0.0) / FOLLOW_UP_KNEE)


def _clamp(fraction: float) -> float:
    return min(max(fraction, 0.0), 1.0)
