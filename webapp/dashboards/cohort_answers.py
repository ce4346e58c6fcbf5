"""Each unit's answers to one outcome: its timeline (for durability) and the answer that counts
at each named timepoint (for the timepoint table).

The rule (CLINICAL.md, Analysis): an answer counts for the named timepoint whose window it was
answered in; of two answers in one window the one nearest the due date counts; a timepoint not
answered is missing, never zero. Answers are given through their own timepoint's window and an
answered window is never moved, so for almost every course an answer's timepoint is simply its
own assignment's. A course where that is not so (an answer outside its own window, or two
answers for one timepoint) is handed whole to charts.timepoints.assign_timepoints, the pure
rule, with its windows and answers in the patient's local calendar.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from charts.timepoints import DatedAnswer, TimepointWindow, assign_timepoints
from webapp.care.timelines import plain_rows
from webapp.dashboards.cohort_sql import driver_rows, epoch_days, session_numbers_query
from webapp.dashboards.cohort_timepoints import NamedTimepoint, TimepointPlan
from webapp.dashboards.cohort_units import Course, Unit
from webapp.models import SurveyAssignment, SurveyScore

A, S = SurveyAssignment, SurveyScore
_DAY = timedelta(days=1)


def answer_rows(db, outcome: str) -> list[tuple]:
    """Return (course, region, value, score id, assignment id, slot, answered day, in its
    window) for every answered score of the outcome (one query, driver tuples). A slot is
    its timepoint's key, or key:number for repeated ones (scheduler.planner)."""
    inside = sa.and_(A.completed_at >= A.opens_at, A.completed_at < A.closes_at)
    return driver_rows(db, sa.select(A.course_id, S.region_code, S.value, S.id, A.id, A.slot,
                                     epoch_days(A.completed_at), sa.case((inside, 1), else_=0))
                       .join(A, A.id == S.assignment_id)
                       .where(S.outcome == outcome, S.value.is_not(None),
                              A.completed_at.is_not(None)))


def session_numbers(db) -> dict[int, int]:
    """Return {session id: its number in the course}."""
    return dict(driver_rows(db, session_numbers_query()))


def settle(db, rows, units: dict[tuple, Unit], courses: dict[int, Course],
           plan: TimepointPlan, outcome: str) -> set[int]:
    """Fill every unit's timeline and timepoint values from the outcome's answer rows; return
    the courses the pure window rule settled."""
    names = _Names(plan, session_numbers(db) if plan.per_session else {})
    unusual: set[int] = set()
    get, known, firsts = units.get, names.known, {c: v.first_day for c, v in courses.items()}
    first, last_cid = 0.0, None
    for cid, region, value, sid, aid, slot, day, inside in rows:
        unit = get((cid, region))
        if unit is None:
            continue
        if aid in unit.answers:  # two scores of the outcome in one survey: the lowest id counts
            unusual.add(cid)
            unit.answers[aid] = min(unit.answers[aid], (sid, value, day))
            continue
        unit.answers[aid] = (sid, value, day)
        if cid != last_cid:  # rows of one course mostly come together
            first, last_cid = firsts[cid], cid
        unit.series.append((day - first, value))
        named = known[slot] if slot in known else names(slot)
        if not inside or (named is not None and named.name in unit.cells):
            unusual.add(cid)
        elif named is not None:
            unit.cells[named.name] = value
    if unusual:
        _reassign(db, units, courses, names, unusual, outcome)
    return unusual


class _Names:
    """The named timepoint of a slot, remembered: most slots repeat across courses."""

    def __init__(self, plan: TimepointPlan, numbers: dict[int, int]) -> None:
        self.plan, self.numbers, self.per_session = plan, numbers, plan.per_session
        self.known: dict[str, NamedTimepoint | None] = {}

    def __call__(self, slot: str) -> NamedTimepoint | None:
        """Return the named timepoint, or None when the slot's key is not analysed."""
        if slot not in self.known:
            key = slot.partition(":")[0]
            number = _slot_number(slot, self.numbers) if key in self.per_session else 0
            self.known[slot] = self.plan.named(key, number)
        return self.known[slot]


def _slot_number(slot: str, numbers: dict[int, int]) -> int:
    suffix = slot.partition(":")[2]
    return numbers.get(int(suffix), 0) if suffix.isdigit() else 0


def _reassign(db, units, courses, names: _Names, course_ids, outcome) -> None:
    """Settle these courses' timepoints with charts.timepoints (local calendar dates)."""
    windows, answered = _windows_and_instants(db, course_ids, courses, names)
    for unit in units.values():
        if unit.course_id not in course_ids or not unit.answers:
            continue
        course = courses[unit.course_id]
        tz = ZoneInfo(course.timezone)
        ordered = sorted(unit.answers.items())
        unit.series[:] = [(day - course.first_day, value) for _, (_, value, day) in ordered]
        answers = [DatedAnswer(unit.region, outcome,
                               answered[aid].astimezone(tz).replace(tzinfo=None), value)
                   for aid, (_, value, _) in ordered if aid in answered]
        assigned = assign_timepoints(windows.get(unit.course_id, ()), answers)
        unit.cells.clear()
        unit.cells.update((a.timepoint, a.value) for a in assigned)


def _windows_and_instants(db, course_ids, courses, names: _Names):
    rows = plain_rows(db, sa.select(A.id, A.course_id, A.slot, A.due_on, A.opens_at,
                                    A.closes_at, A.completed_at)
                      .where(A.course_id.in_(sorted(course_ids)), A.status != "cancelled"))
    windows: dict[int, list[TimepointWindow]] = {}
    answered = {}
    for aid, cid, slot, due, opens, closes, completed in rows:
        if completed is not None:
            answered[aid] = completed
        named = names(slot)
        if named is not None:
            tz = ZoneInfo(courses[cid].timezone)
            windows.setdefault(cid, []).append(TimepointWindow(
                named.name, named.label, due, opens.astimezone(tz).date(),
                (closes.astimezone(tz) - _DAY).date(), 0))
    ranked = {cid: _ranked(found) for cid, found in windows.items()}
    return ranked, answered


def _ranked(windows: list[TimepointWindow]) -> list[TimepointWindow]:
    # window_of breaks a tie between two windows by their order: the earlier due date first.
    ordered = sorted(windows, key=lambda w: (w.due, w.name))
    return [TimepointWindow(w.name, w.label, w.due, w.opens, w.closes, index)
            for index, w in enumerate(ordered)]
