"""Set-based queries over many patients: cohort rows and the responder status of the list.

A handful of queries load plain columns for every patient at once and the rest is done in
Python, so the cost grows with the rows read, never with one round trip per patient.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlmodel import Session, select

from charts.cohort import CohortRow
from scheduler.states import LIVE_ASSIGNMENT_STATUSES as LIVE
from surveys.catalogue import get_region, nerves
from webapp.care.timelines import CourseInfo, course_infos, plain_rows
from webapp.care.trajectory import library_outcomes
from webapp.models import (
    Patient,
    SurveyAssignment,
    SurveyScore,
)
from webapp.survey.instruments import library_for_default

COHORT_OUTCOMES = {"pain": "higher_worse", "paresthesia": "higher_worse",
                   "function": "higher_better"}
SEVERAL = ("several", "Several nerves")


@lru_cache(maxsize=4096)
def _json_list(text: str) -> tuple:
    # Instrument and region lists repeat across thousands of assignments: parse each once.
    return tuple(json.loads(text))


def _due_assignments(db: Session, now: datetime):
    """Return the assignments that are due: answered, missed, or past their window."""
    rows = plain_rows(db, sa.select(SurveyAssignment.id, SurveyAssignment.course_id,
                                    SurveyAssignment.slot, SurveyAssignment.label,
                                    SurveyAssignment.due_on,
                                    sa.cast(SurveyAssignment.instruments, sa.Text),
                                    sa.cast(SurveyAssignment.regions, sa.Text))
                      .where(or_(SurveyAssignment.status.in_(("completed", "missed")),
                              and_(SurveyAssignment.status.in_(LIVE),
                                   SurveyAssignment.closes_at <= now)))
                      .order_by(SurveyAssignment.due_on, SurveyAssignment.id))
    return [(*row[:5], _json_list(row[5]), _json_list(row[6])) for row in rows]


def _scores(db: Session, outcome: str) -> dict[tuple[int, str], float]:
    rows = plain_rows(db, sa.select(SurveyScore.assignment_id, SurveyScore.region_code,
                                    SurveyScore.value)
                      .where(SurveyScore.outcome == outcome, SurveyScore.value.is_not(None))
                      .order_by(SurveyScore.id))
    values: dict[tuple[int, str], float] = {}
    for aid, code, value in rows:
        values.setdefault((aid, code), value)
    return values


def _nerve_of(code: str, info: CourseInfo, names: dict[str, str]) -> tuple[str, str]:
    if code:
        nerve = get_region(code).nerve
        return nerve, names.get(nerve, nerve)
    if len(info.nerves) == 1:
        return info.nerves[0], names.get(info.nerves[0], info.nerves[0])
    return SEVERAL


def cohort_rows(db: Session, outcome: str, *, now: datetime, library=None) -> list[CohortRow]:
    """Return one CohortRow per due timepoint, patient, region (or nerve) for one outcome."""
    infos = course_infos(db)
    values = _scores(db, outcome)
    asked = {iid: per_region for iid, (per_region, scored) in
             library_outcomes(library or library_for_default()).items() if outcome in scored}
    names = dict(nerves())
    series: dict[tuple[int, str], list[tuple]] = {}
    timepoints: dict[tuple, str] = {}
    for aid, cid, slot, label, due_on, instruments, regions in _due_assignments(db, now):
        info = infos.get(cid)
        if info is None or info.first is None:
            continue
        # Only per-session slots ("pre-session:<session id>") depend on the course.
        key = (cid, slot, label) if ":" in slot else (slot, label)
        name = timepoints.get(key)
        if name is None:
            name = timepoints[key] = info.timepoint_name(slot, label)
        point = ((due_on - info.first).days, name)
        for per_region in {asked[i] for i in instruments if i in asked}:
            for code in (regions if per_region else ("",)):
                series.setdefault((cid, code), []).append((*point, values.get((aid, code))))
    return _rows_from_series(series, infos, outcome, names)


def _baseline(points) -> float | None:
    """charts.response.find_baseline for points already in day order: the first answered one."""
    return next((value for _, _, value in points if value is not None), None)


def _rows_from_series(series, infos, outcome, names) -> list[CohortRow]:
    rows = []
    for (cid, code), points in series.items():
        info = infos[cid]
        baseline = _baseline(points)
        nerve, nerve_label = _nerve_of(code, info, names)
        for day, name, value in points:
            rows.append(CohortRow(str(info.patient_id), nerve, nerve_label, outcome, day / 7,
                                  name, baseline, value, value is not None))
    return rows


def cohort_counts(db: Session) -> tuple[int, int]:
    """Return (patients, synthetic patients) among the live patients."""
    rows = db.exec(select(Patient.synthetic).where(Patient.erased_at.is_(None))).all()
    return len(rows), sum(1 for synthetic in rows if synthetic)

