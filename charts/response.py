"""Change from baseline and IMMPACT-style responder labels (pure, no plotly)."""

from __future__ import annotations

import math
from collections.abc import Iterable

MINIMAL_PERCENT = 10.0
MODERATE_PERCENT = 30.0
SUBSTANTIAL_PERCENT = 50.0

RESPONDER_LABELS = ("substantial", "moderate", "minimal", "none", "worse")


def change_from_baseline(
    baseline: float, value: float, direction: str = "higher_worse"
) -> tuple[float, float | None]:
    """Return the signed change in points and in percent of baseline (None if baseline is 0).

    The sign is the raw difference (value - baseline); `direction` only matters to the
    caller's reading of it and is accepted for symmetry with `responder_label`.
    """
    _check_direction(direction)
    points = value - baseline
    percent = None if baseline == 0 else points / abs(baseline) * 100.0
    return points, percent


def improvement(baseline: float, value: float, direction: str) -> tuple[float, float | None]:
    """Return the improvement in points and percent (positive = better) for this direction."""
    points, percent = change_from_baseline(baseline, value, direction)
    if direction == "higher_worse":
        return -points, None if percent is None else -percent
    return points, percent


def responder_label(
    baseline: float, value: float, direction: str = "higher_worse", mcid: float | None = None
) -> str:
    """Classify a change as substantial, moderate, minimal, none or worse (IMMPACT thresholds).

    Moderate needs >= 30% and, when `mcid` is given, >= mcid points; substantial needs >= 50%
    and the same mcid floor, so NRS 2 -> 1 stays minimal. An improvement under 10% is none
    (IMMPACT calls 10-20% minimal), e.g. a PSFS mean of 6 -> 6.33.
    This is the one copy of the rule: the dashboards, the cohort view and the patient list
    all call it.
    """
    points, percent = improvement(baseline, value, direction)
    if points < 0:
        return "worse"
    if points == 0:
        return "none"
    enough_points = mcid is None or points >= mcid
    if percent is None:  # baseline 0 on a higher-better scale: judge by points alone
        return "moderate" if mcid is not None and enough_points else "minimal"
    if enough_points and percent >= SUBSTANTIAL_PERCENT:
        return "substantial"
    if enough_points and percent >= MODERATE_PERCENT:
        return "moderate"
    return "minimal" if percent >= MINIMAL_PERCENT else "none"


def find_baseline(points: Iterable[tuple[float, float | None]]) -> float | None:
    """Return the first non-missing value at or before day 0, else the first non-missing one."""
    present = sorted((day, value) for day, value in points if value is not None)
    if not present:
        return None
    before = [value for day, value in present if day <= 0]
    return before[0] if before else present[0][1]


def format_change(points: float, percent: float | None) -> str:
    """Format a change as '−5 (−63%)' with a true minus sign."""
    text = _signed(points)
    return text if percent is None else f"{text} ({_signed(_round_half_away(percent))}%)"


def _round_half_away(number: float) -> int:
    # round() is banker's rounding: 62.5 would print as 62, clinicians expect 63.
    magnitude = math.floor(abs(number) + 0.5)
    return int(-magnitude if number < 0 else magnitude)


def _signed(number: float) -> str:
    rounded = round(number, 1)
    body = f"{abs(rounded):g}"
    if rounded > 0:
        return f"+{body}"
    return f"\u2212{body}" if rounded < 0 else "0"


def _check_direction(direction: str) -> None:
    if direction not in ("higher_worse", "higher_better"):
        raise ValueError(f"unknown direction {direction!r}")
