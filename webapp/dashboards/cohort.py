"""Set-based queries over many patients: cohort rows and the responder status of the list.

A handful of queries load plain columns for every patient at once and the rest is done in
Python, so the cost grows with the rows read, never with one round trip per patient.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlmodel import Session, select

from charts.cohort import CohortRow
from charts.response import find_baseline, responder_label
from surveys.catalogue import get_region, nerves
from webapp.care.trajectory import library_outcomes
from webapp.models import (
    CourseRegion,
    Patient,
    ProtocolVersion,
    SafetyFlag,
    SurveyAssignment,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
    UTCDateTime,
)
from webapp.survey.instruments import library_for_default

COHORT_OUTCOMES = {"pain": "higher_worse", "paresthesia": "higher_worse",
                   "function": "higher_better"}
LIVE = ("pending", "open", "in_progress")
SEVERAL = ("several", "Several nerves")
REPEATED_NAMES = {"pre-session": "Before session {n}", "after-session": "After session {n}",
                  "weekly": "Weekly check {n}"}


@dataclass(frozen=True)
class CourseInfo:
    """What set-based code needs about one course: owner, zone, anchors, nerves, sessions."""

    patient_id: int
    tz: ZoneInfo
    first: date | None
    last: date | None
    nerves: tuple[str, ...]
    session_numbers: dict[int, int] = field(default_factory=dict)
    per_session_keys: frozenset[str] = frozenset()

    def timepoint_name(self, slot: str, label: str) -> str:
        """Return 'Before session 3' for a per-session slot, 'Weekly check 2' for a repeat."""
        key, _, suffix = slot.partition(":")
        if not suffix.isdigit():
            return label
        number = int(suffix)
        if key in self.per_session_keys:  # the planner names these slots by session id
            number = self.session_numbers.get(number, number)
        return REPEATED_NAMES.get(key, label + " ({n})").format(n=number)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _per_session_keys(db: Session) -> dict[int, frozenset[str]]:
    """Return {protocol version id: keys of its timepoints anchored on every session}."""
    return {vid: frozenset(tp.get("key") for tp in definition.get("timepoints", [])
                           if tp.get("anchor") == "every_session")
            for vid, definition in db.exec(select(ProtocolVersion.id,
                                                  ProtocolVersion.definition)).all()}


def course_infos(db: Session, patient_ids: Iterable[int] | None = None) -> dict[int, CourseInfo]:
    """Return {course id: CourseInfo} for live patients (all of them when ids is None)."""
    query = (sa.select(TreatmentCourse.id, Patient.id, Patient.timezone,
                    TreatmentCourse.protocol_version_id)
             .join(Patient, Patient.id == TreatmentCourse.patient_id)
             .where(Patient.erased_at.is_(None)))
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    owners = {cid: (pid, _zone(tz), vid) for cid, pid, tz, vid in plain_rows(db, query)}
    timelines = _timelines(db, owners)
    keys = _per_session_keys(db)
    regions: dict[int, list[str]] = {}
    for cid, nerve in plain_rows(db, sa.select(CourseRegion.course_id, CourseRegion.nerve)
                                 .order_by(CourseRegion.id)):
        if cid in owners:
            regions.setdefault(cid, []).append(nerve)
    infos = {}
    for cid, (pid, tz, vid) in owners.items():
        first, last, numbers = timelines.get(cid, (None, None, {}))
        infos[cid] = CourseInfo(pid, tz, first and first.astimezone(tz).date(),
                                last and last.astimezone(tz).date(),
                                tuple(dict.fromkeys(regions.get(cid, []))), numbers,
                                keys.get(vid, frozenset()))
    return infos


def _timelines(db, owners) -> dict[int, tuple[datetime, datetime, dict[int, int]]]:
    """Return {course: (first performed else first scheduled, last session, {id: number})}."""
    live: dict[int, list[tuple[datetime, int, str]]] = {}
    # One timestamp per session (performed, else scheduled): on SQLite each one is parsed from
    # text, and 5,000 patients have 15,000 sessions.
    when = sa.type_coerce(sa.func.coalesce(TreatmentSession.performed_at,
                                           TreatmentSession.scheduled_at), UTCDateTime())
    rows = plain_rows(db, sa.select(TreatmentSession.course_id, TreatmentSession.id,
                                    TreatmentSession.status, when)
                      .where(TreatmentSession.status != "cancelled"))
    for cid, sid, status, at in rows:
        if cid in owners:
            live.setdefault(cid, []).append((at, sid, status))
    out = {}
    for cid, sessions in live.items():
        sessions.sort()
        performed = [at for at, _, status in sessions if status == "performed"]
        first = performed[0] if performed else sessions[0][0]
        out[cid] = (first, sessions[-1][0],
                    {sid: number for number, (_, sid, _) in enumerate(sessions, start=1)})
    return out


def plain_rows(db: Session, query) -> list:
    """Run a column query on the session's connection: plain tuples, no ORM row processing."""
    return db.connection().execute(query).all()


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
