"""Read queries for the coordinator's patient pages: the list, a patient's reminders and contacts.

A patient's schedule grid is in ``webapp.patients.schedule``.

Functions take `session` (and `now`) and return plain values; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES as LIVE
from webapp.models import (
    ContactLog,
    Patient,
    Protocol,
    ProtocolVersion,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
)


@dataclass(frozen=True)
class PatientSummary:
    patient: Patient
    protocol_name: str | None
    protocol_version: int | None
    next_due: SurveyAssignment | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def patient_summaries(session: Session, now: datetime, search: str | None = None,
                      limit: int = 200) -> list[PatientSummary]:
    """Patients (optionally matching a study code or first name) with protocol and next due."""
    query = select(Patient).where(Patient.erased_at.is_(None)).order_by(Patient.study_code)
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(or_(Patient.study_code.ilike(pattern, escape="\\"),
                                Patient.first_name.ilike(pattern, escape="\\")))
    patients = session.exec(query.limit(limit)).all()
    ids = [p.id for p in patients]
    protocols = _protocols_by_patient(session, ids)
    upcoming = _next_due_by_patient(session, ids, now)
    return [PatientSummary(p, *protocols.get(p.id, (None, None)), upcoming.get(p.id))
            for p in patients]


def _protocols_by_patient(session: Session, ids: list[int]) -> dict[int, tuple[str, int]]:
    if not ids:
        return {}
    rows = session.exec(
        select(TreatmentCourse.patient_id, Protocol.name, ProtocolVersion.version)
        .join(ProtocolVersion, ProtocolVersion.id == TreatmentCourse.protocol_version_id)
        .join(Protocol, Protocol.id == ProtocolVersion.protocol_id)
        .where(TreatmentCourse.patient_id.in_(ids)).order_by(TreatmentCourse.id)).all()
    return {pid: (name, version) for pid, name, version in rows}  # newest course wins


def _next_due_by_patient(session: Session, ids: list[int], now: datetime) -> dict:
    if not ids:
        return {}
    rows = session.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id.in_(ids), SurveyAssignment.status.in_(LIVE),
        SurveyAssignment.closes_at > now).order_by(SurveyAssignment.opens_at.desc())).all()
    return {row.patient_id: row for row in rows}  # earliest wins: it is written last


def reminder_history(session: Session, patient_id: int) -> list[Reminder]:
    """Every reminder of a patient, newest first."""
    return session.exec(select(Reminder).where(Reminder.patient_id == patient_id)
                        .order_by(Reminder.send_at.desc(), Reminder.id.desc())).all()


def contact_history(session: Session, patient_id: int) -> list[ContactLog]:
    """A patient's contact log, newest first."""
    return session.exec(select(ContactLog).where(ContactLog.patient_id == patient_id)
                        .order_by(ContactLog.at.desc(), ContactLog.id.desc())).all()
