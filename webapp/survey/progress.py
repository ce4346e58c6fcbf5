"""A patient's own progress, read for their "My progress" page: every query is theirs only.

Pain and tingling per region with their treatments marked, as chart data, and the check-ins
ahead. The clinician's trajectory (webapp/care/trajectory.py) reads far more; this reads only
what a patient's page shows: region codes, treatment numbers and dates, never an injectate, a
dose, a note or a nerve name, so none can reach the page. Days count from day 0 as the
clinician's chart does (the first performed session, else the first scheduled one).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from charts.data import Observation, SessionMarker, TrajectoryData, TreatedRegion
from scheduler.states import LIVE_ASSIGNMENT_STATUSES
from webapp.models import (
    CourseRegion,
    Patient,
    ProcedureRecord,
    SurveyAssignment,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
)

OUTCOMES = ("pain", "paresthesia")


def _sessions(db: Session, patient_id: int) -> list[tuple[TreatmentSession, list[str]]]:
    """Return the patient's sessions (not cancelled, oldest first), each with its regions."""
    rows = db.exec(select(TreatmentSession).join(
        TreatmentCourse, TreatmentCourse.id == TreatmentSession.course_id)
        .where(TreatmentCourse.patient_id == patient_id, TreatmentSession.status != "cancelled")
        .order_by(TreatmentSession.scheduled_at, TreatmentSession.id)).all()
    treated: dict[int, list[str]] = {row.id: [] for row in rows}
    if treated:
        for sid, code in db.exec(select(ProcedureRecord.session_id, ProcedureRecord.region_code)
                                 .where(ProcedureRecord.session_id.in_(list(treated)))).all():
            treated[sid].append(code)
    planned = course_regions(db, patient_id)
    # A session with nothing recorded yet (a planned one) treats its course's regions.
    return [(row, treated[row.id] or planned.get(row.course_id, [])) for row in rows]


def course_regions(db: Session, patient_id: int) -> dict[int, list[str]]:
    """Return {course id: its region codes in the order they were added} for the patient."""
    rows = db.exec(select(CourseRegion.course_id, CourseRegion.region_code)
                   .join(TreatmentCourse, TreatmentCourse.id == CourseRegion.course_id)
                   .where(TreatmentCourse.patient_id == patient_id)
                   .order_by(CourseRegion.id)).all()
    regions: dict[int, list[str]] = {}
    for course_id, code in rows:
        regions.setdefault(course_id, []).append(code)
    return regions


def _day_zero(sessions: list[TreatmentSession]) -> datetime | None:
    performed = [s.performed_at or s.scheduled_at for s in sessions if s.status == "performed"]
    return min(performed) if performed else min((s.scheduled_at for s in sessions), default=None)


def _answered(db: Session, patient_id: int, day) -> list[Observation]:
    rows = db.exec(select(SurveyScore.region_code, SurveyScore.outcome, SurveyScore.value,
                          SurveyScore.scored_at, SurveyAssignment.completed_at)
                   .join(SurveyAssignment, SurveyAssignment.id == SurveyScore.assignment_id)
                   .where(SurveyScore.patient_id == patient_id,
                          SurveyScore.outcome.in_(OUTCOMES), SurveyScore.value.is_not(None),
                          SurveyScore.region_code != "")).all()
    return [Observation(code, code, outcome, *day(completed_at or scored_at), value, "")
            for code, outcome, value, scored_at, completed_at in rows]


def _instrument(library, instrument_id: str):
    try:
        return library.get(instrument_id)
    except KeyError:  # a clinic's definition file since removed: nothing to draw for it
        return None


def _missed(db: Session, patient_id: int, day, library) -> list[Observation]:
    rows = db.exec(select(SurveyAssignment).where(SurveyAssignment.patient_id == patient_id,
                                                  SurveyAssignment.status == "missed")).all()
    out = []
    for row in rows:
        scored = {rule.outcome for instrument_id in row.instruments
                  if (inst := _instrument(library, instrument_id)) is not None
                  and inst.per_region for rule in inst.scores}
        days, when = day(row.closes_at)
        out.extend(Observation(code, code, outcome, days, when, None, "", missed=True)
                   for outcome in OUTCOMES if outcome in scored for code in row.regions)
    return out


def progress_data(db: Session, patient: Patient, library) -> TrajectoryData:
    """Return the patient's pain and tingling per region, and their treatments, as chart data.

    Region codes stand where the clinician's chart has labels: the page passes each chart the
    patient's own words for the region.
    """
    tz = ZoneInfo(patient.timezone)
    sessions = _sessions(db, patient.id)
    anchor = _day_zero([s for s, _ in sessions])
    first: date | None = anchor.astimezone(tz).date() if anchor else None

    def day(instant: datetime) -> tuple[int, datetime]:
        local = instant.astimezone(tz)
        return ((local.date() - first).days if first else 0), local

    observations = _answered(db, patient.id, day) + _missed(db, patient.id, day, library)
    observations.sort(key=lambda o: (o.outcome, o.region_code, o.day, o.when))
    markers = [SessionMarker(*day(row.performed_at or row.scheduled_at), number,
                             [TreatedRegion(code, "", None, None) for code in codes],
                             status="performed" if row.status == "performed" else "scheduled")
               for number, (row, codes) in enumerate(sessions, start=1)]
    return TrajectoryData("", observations, markers, synthetic=patient.synthetic)


def progress_region_codes(db: Session, patient_id: int, data: TrajectoryData) -> list[str]:
    """Return the regions to show: the ones the patient came for, the courses' other regions
    in order, then any other answered."""
    codes = list(db.exec(select(TreatmentCourse.index_region_code).where(
        TreatmentCourse.patient_id == patient_id, TreatmentCourse.index_region_code.is_not(None))
        .order_by(TreatmentCourse.id)).all())
    codes += [code for regions in course_regions(db, patient_id).values() for code in regions]
    codes += [o.region_code for o in data.observations]
    return list(dict.fromkeys(codes))


def upcoming_checkins(db: Session, patient_id: int, now: datetime) -> list[SurveyAssignment]:
    """Return the patient's follow-ups whose window opens after `now`, soonest first."""
    return list(db.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient_id,
        SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES),
        SurveyAssignment.opens_at > now)
        .order_by(SurveyAssignment.opens_at, SurveyAssignment.id)).all())
