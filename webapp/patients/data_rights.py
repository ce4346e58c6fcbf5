"""A patient's data rights: everything held about them, and erasure."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, SQLModel, delete, func, select

from webapp.models import (
    AuditEvent,
    AuthSession,
    ContactLog,
    CourseRegion,
    Patient,
    PatientToken,
    ProcedureRecord,
    Reminder,
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
)

# Answer items that hold the patient's own words; erased even when answers are kept.
FREE_TEXT_PREFIXES = ("activity_", "details", "other_text")


def _plain(row: SQLModel) -> dict:
    out = {}
    for key, value in row.model_dump().items():
        out[key] = value.isoformat() if isinstance(value, (datetime, date)) else value
    return out


def _rows(session: Session, model, column, ids) -> list[dict]:
    if not ids:
        return []
    return [_plain(r) for r in session.exec(select(model).where(column.in_(ids))).all()]


def export_patient(session: Session, patient_id: int) -> dict:
    """Return everything NerveTrack holds about one patient, as plain JSON-ready data."""
    patient = session.get(Patient, patient_id)
    courses = session.exec(select(TreatmentCourse).where(
        TreatmentCourse.patient_id == patient_id)).all()
    course_ids = [c.id for c in courses]
    session_ids = session.exec(select(TreatmentSession.id).where(
        TreatmentSession.course_id.in_(course_ids or [-1]))).all()
    pid = [patient_id]
    reminders = _rows(session, Reminder, Reminder.patient_id, pid)
    return {
        "patient": _plain(patient),
        "courses": [_plain(c) for c in courses],
        "regions": _rows(session, CourseRegion, CourseRegion.course_id, course_ids),
        "sessions": _rows(session, TreatmentSession, TreatmentSession.course_id, course_ids),
        "procedures": _rows(session, ProcedureRecord, ProcedureRecord.session_id, session_ids),
        "assignments": _rows(session, SurveyAssignment, SurveyAssignment.patient_id, pid),
        "responses": _rows(session, SurveyResponse, SurveyResponse.patient_id, pid),
        "scores": _rows(session, SurveyScore, SurveyScore.patient_id, pid),
        "reminders": reminders,
        "safety_flags": _rows(session, SafetyFlag, SafetyFlag.patient_id, pid),
        "contact_log": _rows(session, ContactLog, ContactLog.patient_id, pid),
        "audit_events": _rows(session, AuditEvent, AuditEvent.patient_id, pid),
    }


def _count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def erasure_counts(session: Session, patient_id: int) -> dict[str, int]:
    """What an erasure touches, counted, for the page that asks for confirmation."""
    course_ids = select(TreatmentCourse.id).where(TreatmentCourse.patient_id == patient_id)
    return {
        "reminders": _count(session, Reminder, Reminder.patient_id == patient_id),
        "pending_reminders": _count(session, Reminder, Reminder.patient_id == patient_id,
                                    Reminder.status == "pending"),
        "contacts": _count(session, ContactLog, ContactLog.patient_id == patient_id),
        "links": _count(session, PatientToken, PatientToken.patient_id == patient_id),
        "follow_ups": _count(session, SurveyAssignment,
                             SurveyAssignment.patient_id == patient_id),
        "answers": _count(session, SurveyResponse, SurveyResponse.patient_id == patient_id),
        "scores": _count(session, SurveyScore, SurveyScore.patient_id == patient_id),
        "sessions": _count(session, TreatmentSession,
                           TreatmentSession.course_id.in_(course_ids)),
    }


def erase_patient(session: Session, patient_id: int, *, keep_anonymised: bool,
                  now: datetime) -> str:
    """Erase a patient; keep their scored answers without identity if `keep_anonymised`.

    Returns "anonymised" or "deleted". The audit trail keeps its events (they hold record ids,
    never contact details or answers). The caller commits.
    """
    patient = session.get(Patient, patient_id)
    _delete_contact_traces(session, patient_id)
    if keep_anonymised:
        _anonymise(session, patient, now)
        return "anonymised"
    _delete_clinical(session, patient_id)
    session.delete(patient)
    return "deleted"


def _delete_contact_traces(session: Session, patient_id: int) -> None:
    for model in (PatientToken, AuthSession, Reminder, ContactLog):
        session.exec(delete(model).where(model.patient_id == patient_id))


def _anonymise(session: Session, patient: Patient, now: datetime) -> None:
    patient.first_name = "Erased"
    patient.email = patient.phone = None
    patient.study_code = f"ERASED-{patient.id}"
    patient.consent_date = None
    patient.status = "withdrawn"
    patient.erased_at = patient.updated_at = now
    session.add(patient)
    for response in session.exec(select(SurveyResponse).where(
            SurveyResponse.patient_id == patient.id)).all():
        response.answers = {k: v for k, v in response.answers.items()
                            if not k.startswith(FREE_TEXT_PREFIXES)}
        session.add(response)
    for flag in session.exec(select(SafetyFlag).where(SafetyFlag.patient_id == patient.id)).all():
        flag.ack_note = None
        session.add(flag)
    for course in session.exec(select(TreatmentCourse).where(
            TreatmentCourse.patient_id == patient.id)).all():
        for row in session.exec(select(TreatmentSession).where(
                TreatmentSession.course_id == course.id)).all():
            row.notes = None
            session.add(row)


def _delete_clinical(session: Session, patient_id: int) -> None:
    course_ids = session.exec(select(TreatmentCourse.id).where(
        TreatmentCourse.patient_id == patient_id)).all() or [-1]
    session_ids = session.exec(select(TreatmentSession.id).where(
        TreatmentSession.course_id.in_(course_ids))).all() or [-1]
    session.exec(delete(SafetyFlag).where(SafetyFlag.patient_id == patient_id))
    session.exec(delete(SurveyScore).where(SurveyScore.patient_id == patient_id))
    session.exec(delete(SurveyResponse).where(SurveyResponse.patient_id == patient_id))
    session.exec(delete(SurveyAssignment).where(SurveyAssignment.patient_id == patient_id))
    session.exec(delete(ProcedureRecord).where(ProcedureRecord.session_id.in_(session_ids)))
    session.exec(delete(TreatmentSession).where(TreatmentSession.course_id.in_(course_ids)))
    session.exec(delete(CourseRegion).where(CourseRegion.course_id.in_(course_ids)))
    session.exec(delete(TreatmentCourse).where(TreatmentCourse.patient_id == patient_id))
    session.flush()
