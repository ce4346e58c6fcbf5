"""Data access for the care timeline: treatment sessions and their procedure records.

Shared by the coordinator and clinician pages, the demo seeder and the tests. Functions add to
the session and flush; the caller commits (and audits, with the web request's actor).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, or_, select

from webapp.followup.replan import mark_for_replan
from webapp.models import (
    ProcedureRecord,
    TreatmentCourse,
    TreatmentSession,
)

# Two sessions of one patient this close together are most likely one session entered twice.
DUPLICATE_WINDOW = timedelta(hours=12)


class CareError(ValueError):
    """A request about care data that cannot be carried out, with a message for the person."""


def add_treatment_session(session: Session, *, course: TreatmentCourse, scheduled_at: datetime,
                          performed_at: datetime | None = None, status: str = "scheduled",
                          notes: str | None = None) -> TreatmentSession:
    """Add a session to a course and mark the course for re-planning."""
    row = TreatmentSession(course_id=course.id, scheduled_at=scheduled_at,
                           performed_at=performed_at, status=status, notes=notes)
    session.add(row)
    mark_for_replan(session, course)
    session.flush()
    return row


def update_treatment_session(session: Session, *, course: TreatmentCourse,
                             row: TreatmentSession, scheduled_at: datetime,
                             performed_at: datetime | None, status: str, notes: str | None,
                             now: datetime) -> TreatmentSession:
    """Change a session's time, status or notes and mark the course for re-planning."""
    row.scheduled_at, row.performed_at, row.status = scheduled_at, performed_at, status
    row.notes, row.updated_at = notes, now
    session.add(row)
    mark_for_replan(session, course)
    session.flush()
    return row


def save_procedures(session: Session, row: TreatmentSession,
                    entries: dict[str, dict | None]) -> None:
    """Make a session's procedure records match {region: values, or None if not treated}."""
    existing = {r.region_code: r for r in session.exec(
        select(ProcedureRecord).where(ProcedureRecord.session_id == row.id)).all()}
    for code, values in entries.items():
        record = existing.get(code)
        if values is not None and record is None:
            record_procedure(session, treatment_session=row, region_code=code, **values)
        elif values is not None:
            for name, value in values.items():
                setattr(record, name, value)
            session.add(record)
        elif record is not None:
            session.delete(record)
    session.flush()


def record_procedure(session: Session, *, treatment_session: TreatmentSession, region_code: str,
                     injectate: str, **fields) -> ProcedureRecord:
    """Record what was done to one region in a session."""
    row = ProcedureRecord(session_id=treatment_session.id, region_code=region_code,
                          injectate=injectate, **fields)
    session.add(row)
    session.flush()
    return row


def course_of(session: Session, patient_id: int) -> TreatmentCourse | None:
    """Return the patient's newest treatment course."""
    return session.exec(select(TreatmentCourse).where(TreatmentCourse.patient_id == patient_id)
                        .order_by(TreatmentCourse.id.desc())).first()


def sessions_near(session: Session, *, patient_id: int, instant: datetime,
                  window: timedelta = DUPLICATE_WINDOW,
                  exclude_id: int | None = None) -> list[TreatmentSession]:
    """Return the patient's sessions (not cancelled) within `window` of `instant`, nearest first.

    A session counts at its performed time, else its scheduled time.
    """
    low, high = instant - window, instant + window
    query = (select(TreatmentSession)
             .join(TreatmentCourse, TreatmentCourse.id == TreatmentSession.course_id)
             .where(TreatmentCourse.patient_id == patient_id,
                    TreatmentSession.status != "cancelled",
                    or_(TreatmentSession.scheduled_at.between(low, high),
                        TreatmentSession.performed_at.between(low, high))))
    if exclude_id is not None:
        query = query.where(TreatmentSession.id != exclude_id)
    rows = [r for r in session.exec(query).all()
            if abs((r.performed_at or r.scheduled_at) - instant) <= window]
    return sorted(rows, key=lambda r: (abs((r.performed_at or r.scheduled_at) - instant), r.id))
