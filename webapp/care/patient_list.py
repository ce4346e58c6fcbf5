"""The clinician's patient list: search, filters, and a page's nerves, flags and responders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, select

from charts.response import find_baseline, responder_label
from scheduler.states import LIVE_ASSIGNMENT_STATUSES as LIVE
from surveys.catalogue import nerves
from webapp.care.timelines import course_infos
from webapp.models import (
    CourseRegion,
    Patient,
    SafetyFlag,
    SurveyAssignment,
    SurveyScore,
    TreatmentCourse,
)


@dataclass(frozen=True)
class PatientFilters:
    """The patient list's search and filters, already checked against their allow-lists."""

    q: str = ""
    nerve: str = ""
    status: str = ""
    responder: str = ""
    flags: bool = False
    overdue: bool = False


def find_patients(db: Session, filters: PatientFilters, *, today: date) -> list[Patient]:
    """Return live patients matching the search and the database-side filters."""
    query = select(Patient).where(Patient.erased_at.is_(None))
    if filters.q:
        # Escape LIKE wildcards so "%" or "_" typed in the box match themselves.
        text = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        query = query.where(or_(Patient.study_code.ilike(like, escape="\\"),
                                Patient.first_name.ilike(like, escape="\\")))
    if filters.status:
        query = query.where(Patient.status == filters.status)
    if filters.nerve:
        query = query.where(Patient.id.in_(
            select(TreatmentCourse.patient_id).join(
                CourseRegion, CourseRegion.course_id == TreatmentCourse.id)
            .where(CourseRegion.nerve == filters.nerve)))
    if filters.flags:
        query = query.where(Patient.id.in_(open_flag_query()))
    if filters.overdue:
        query = query.where(Patient.id.in_(overdue_query(today)))
    return list(db.exec(query.order_by(Patient.study_code)).all())


def open_flag_query():
    """Return a select of patient ids with an unacknowledged safety flag."""
    return select(SafetyFlag.patient_id).where(SafetyFlag.acknowledged_at.is_(None))


def overdue_query(today: date):
    """Return a select of patient ids with a follow-up past its due date and not answered."""
    return select(SurveyAssignment.patient_id).where(SurveyAssignment.status.in_(LIVE),
                                                     SurveyAssignment.due_on < today)


def patient_annotations(db: Session, patient_ids: list[int], *, today: date) -> dict[int, dict]:
    """Return {patient id: nerves, open flag and overdue counts} for a page of the list."""
    notes = {pid: {"nerves": [], "flags": 0, "overdue": 0} for pid in patient_ids}
    if not patient_ids:
        return notes
    names = dict(nerves())
    for pid, nerve in db.exec(
            select(TreatmentCourse.patient_id, CourseRegion.nerve).distinct()
            .join(CourseRegion, CourseRegion.course_id == TreatmentCourse.id)
            .where(TreatmentCourse.patient_id.in_(patient_ids))).all():
        notes[pid]["nerves"].append(names.get(nerve, nerve))
    for pid in db.exec(open_flag_query().where(SafetyFlag.patient_id.in_(patient_ids))).all():
        notes[pid]["flags"] += 1
    for pid in db.exec(overdue_query(today).where(
            SurveyAssignment.patient_id.in_(patient_ids))).all():
        notes[pid]["overdue"] += 1
    for note in notes.values():
        note["nerves"].sort()
    return notes


def pain_responders(db: Session, patient_ids: list[int] | None = None) -> dict[int, str]:
    """Return {patient id: responder label} of mean latest pain against mean baseline pain."""
    infos = course_infos(db, patient_ids)
    query = (select(SurveyAssignment.course_id, SurveyScore.region_code, SurveyAssignment.due_on,
                    SurveyScore.value)
             .join(SurveyAssignment, SurveyAssignment.id == SurveyScore.assignment_id)
             .where(SurveyScore.outcome == "pain", SurveyScore.value.is_not(None)))
    if patient_ids is not None:
        query = query.where(SurveyScore.patient_id.in_(patient_ids))
    series: dict[tuple[int, int, str], list[tuple[int, float]]] = {}
    for cid, code, due_on, value in db.exec(query).all():
        info = infos.get(cid)
        if info is not None and info.first is not None:
            key = (info.patient_id, cid, code)
            series.setdefault(key, []).append(((due_on - info.first).days, value))
    pairs: dict[int, list[tuple[float, float]]] = {}
    for (pid, _, _), points in series.items():
        if len(points) > 1:
            points.sort()
            pairs.setdefault(pid, []).append((find_baseline(points), points[-1][1]))
    return {pid: responder_label(sum(b for b, _ in p) / len(p), sum(v for _, v in p) / len(p),
                                 "higher_worse", 2.0)
            for pid, p in pairs.items()}
