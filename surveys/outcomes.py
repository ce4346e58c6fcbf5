"""Worsening and PGIC rules behind the safety flags raised when answers are stored (pure).

The worsening rule mirrors the improvement thresholds (CLINICAL.md; a design choice, not a
validated rule). Responder labels and change from baseline live in charts.response, the one
copy the dashboards, the cohort view and the patient list use.
"""

from __future__ import annotations

import math

WORSENING_POINTS = 2.0
WORSENING_PERCENT = 30.0


def _real(value: object) -> float | None:
    # Scores are finite numbers; anything else (text, True, NaN, a huge int) counts as no value.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


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
    value = _real(value)
    if value is None:
        return False
    return _worse_than(_real(baseline), value) or _worse_than(_real(previous), value)


def pgic_worsening(value: int | None, scale_version: str = "1-best") -> bool:
    """Return True for PGIC 'much worse' or 'very much worse' (6-7 on the 1-best scale)."""
    value = _real(value)
    if value is None:
        return False
    return value >= 6 if scale_version == "1-best" else value <= 2


def pgic_responder(value: int | None, scale_version: str = "1-best") -> bool:
    """Return True for PGIC 'much' or 'very much improved' (1-2 on the 1-best scale)."""
    value = _real(value)
    if value is None:
        return False
    return value <= 2 if scale_version == "1-best" else value >= 6
