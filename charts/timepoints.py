"""Assign dated answers to named protocol timepoints by their answer windows (pure, dates in).

The rule (CLINICAL.md, "Analysis"): an answer counts for the timepoint whose window it was
answered in, first and last day included; of two answers in one window the one nearest the
due date counts (tie: the earlier); a timepoint nobody answered is absent, never zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple


@dataclass(frozen=True)
class TimepointWindow:
    """One named timepoint of a patient's protocol with its due date and answer window."""

    name: str
    label: str
    due: date
    opens: date
    closes: date
    order: int


class DatedAnswer(NamedTuple):
    """One answered value of a region and outcome; `when` is the patient's local date (or
    local datetime, which only sharpens the tie between two answers on one day)."""

    region: str
    outcome: str
    when: date
    value: float | None


class AssignedAnswer(NamedTuple):
    """The answer that counts for one region, outcome and timepoint."""

    region: str
    outcome: str
    timepoint: str
    label: str
    order: int
    due: date
    when: date
    value: float


def assign_timepoints(
    windows: Sequence[TimepointWindow], answers: Iterable[DatedAnswer]
) -> list[AssignedAnswer]:
    """Return the answer counting for each (region, outcome, timepoint), ordered by timepoint.

    Answers without a value or outside every window count for nothing. Where windows overlap,
    an answer belongs to the one whose due date is nearest (tie: the earlier timepoint), so no
    answer counts twice.
    """
    best: dict[tuple[str, str, str], tuple[tuple, DatedAnswer, TimepointWindow]] = {}
    for index, answer in enumerate(answers):
        if answer.value is None:
            continue
        window = window_of(windows, answer.when)
        if window is None:
            continue
        key = (answer.region, answer.outcome, window.name)
        rank = (_distance(window, answer.when), _instant(answer.when), index)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, answer, window)
    assigned = [_assigned(answer, window) for _, answer, window in best.values()]
    return sorted(assigned, key=lambda a: (a.order, a.region, a.outcome))


def window_of(windows: Sequence[TimepointWindow], when: date) -> TimepointWindow | None:
    """Return the window holding this date (nearest due date, then lowest order), or None."""
    day = _day(when)
    holding = [w for w in windows if w.opens <= day <= w.closes]
    if not holding:
        return None
    return min(holding, key=lambda w: (_distance(w, when), w.order))


def by_timepoint(assigned: Iterable[AssignedAnswer]) -> dict[str, dict[tuple[str, str], float]]:
    """Return {timepoint: {(region, outcome): value}} for looking up a region's answers."""
    table: dict[str, dict[tuple[str, str], float]] = {}
    for answer in assigned:
        table.setdefault(answer.timepoint, {})[(answer.region, answer.outcome)] = answer.value
    return table


def _assigned(answer: DatedAnswer, window: TimepointWindow) -> AssignedAnswer:
    return AssignedAnswer(answer.region, answer.outcome, window.name, window.label,
                          window.order, window.due, answer.when, float(answer.value))


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def _distance(window: TimepointWindow, when: date) -> int:
    return abs((_day(when) - window.due).days)


def _instant(when: date) -> datetime:
    # Plain dates sort as midnight, and any zone is dropped (the value is already local), so
    # dates, naive and aware datetimes can be ranked together.
    if isinstance(when, datetime):
        return when.replace(tzinfo=None)
    return datetime.combine(when, time.min)
