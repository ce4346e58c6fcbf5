"""Outcome helpers: change from baseline, responder class and worsening (pure).

Thresholds follow IMMPACT as summarised in CLINICAL.md: >= 50% improvement is substantial,
>= 30% is moderate, 10-20% is minimal; a clinically meaningful change also needs the
instrument's MCID in points when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBSTANTIAL_PERCENT = 50.0
MODERATE_PERCENT = 30.0
MINIMAL_PERCENT = 10.0
WORSENING_POINTS = 2.0
WORSENING_PERCENT = 30.0


@dataclass(frozen=True)
class Change:
    """Improvement from baseline: points and percent are positive when the patient is better."""

    points: float
    percent: float | None
    improved: bool


def _sign(direction: str) -> int:
    if direction not in ("higher_better", "higher_worse"):
        raise ValueError(f"unknown direction {direction!r}")
    return 1 if direction == "higher_better" else -1


def change_from_baseline(baseline: float, value: float, direction: str) -> Change:
    """Return the sign-aware improvement from baseline (percent is None when baseline is 0)."""
    points = (value - baseline) * _sign(direction)
    percent = None if baseline == 0 else points / abs(baseline) * 100
    return Change(points=points, percent=percent, improved=points > 0)


def classify_response(
    baseline: float, value: float, direction: str, mcid: float | None = None
) -> str:
    """Return 'substantial', 'moderate', 'minimal', 'none' or 'worse'."""
    change = change_from_baseline(baseline, value, direction)
    if change.points < 0:
        return "worse"
    if change.points == 0:
        return "none"
    # A big percent of a tiny baseline (2 -> 1) is not meaningful below the MCID.
    meaningful = mcid is None or change.points >= mcid
    if change.percent is None:
        # Baseline 0 on a higher-better scale: only points can be judged.
        return "moderate" if mcid is not None and meaningful else "minimal"
    if meaningful and change.percent >= SUBSTANTIAL_PERCENT:
        return "substantial"
    if meaningful and change.percent >= MODERATE_PERCENT:
        return "moderate"
    return "minimal" if change.percent >= MINIMAL_PERCENT else "none"


def _worse_than(reference: float | None, value: float) -> bool:
    if reference is None:
        return False
    rise = value - reference
    if rise < WORSENING_POINTS:
        return False
    # From 0 any rise of 2 points is an unbounded relative rise.
    return reference == 0 or rise / reference * 100 >= WORSENING_PERCENT


def is_worsening(baseline: float | None, previous: float | None, value: float | None) -> bool:
    """Return True if an NRS rose >= 2 points and >= 30% against baseline or the previous answer."""
    if value is None:
        return False
    return _worse_than(baseline, value) or _worse_than(previous, value)


def pgic_worsening(value: int | None, scale_version: str = "1-best") -> bool:
    """Return True for PGIC 'much worse' or 'very much worse' (6-7 on the 1-best scale)."""
    if value is None:
        return False
    return value >= 6 if scale_version == "1-best" else value <= 2


def pgic_responder(value: int | None, scale_version: str = "1-best") -> bool:
    """Return True for PGIC 'much' or 'very much improved' (1-2 on the 1-best scale)."""
    if value is None:
        return False
    return value <= 2 if scale_version == "1-best" else value >= 6
