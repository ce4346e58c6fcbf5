"""What the FHIR export reads about patients, a batch of patients at a time.

Five queries per batch (patients, submitted answers, scores, performed procedures, adverse-event
flags), so exporting the cohort costs rows read, not one round trip per patient, and holds one
batch in memory at a time. Erased patients are never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from webapp.models import (
    Patient,
    ProcedureRecord,
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
)

BATCH_SIZE = 200


@dataclass(frozen=True)
class Answered:
    """One submitted survey page with the timepoint it belongs to."""

    response: SurveyResponse
    assignment_status: str
    timepoint_key: str
    timepoint_label: str


@dataclass(frozen=True)
class Performed:
    """One procedure record of a performed session."""

    record: ProcedureRecord
    performed_at: datetime


@dataclass
class PatientRecords:
    """Everything exported about one patient."""

    patient: Patient
    answered: list[Answered] = field(default_factory=list)
    scores: list[SurveyScore] = field(default_factory=list)
    performed: list[Performed] = field(default_factory=list)
    adverse_events: list[SafetyFlag] = field(default_factory=list)


def live_patient_ids(db: Session) -> list[int]:
    """Return the ids of every patient not erased, in id order."""
    return list(db.exec(select(Patient.id).where(Patient.erased_at.is_(None))
                        .order_by(Patient.id)).all())


def iter_patient_records(db: Session, patient_ids: list[int],
                         batch_size: int = BATCH_SIZE) -> Iterator[PatientRecords]:
    """Yield the records of each live patient in patient_ids, loading one batch at a time."""
    for start in range(0, len(patient_ids), batch_size):
        # The session's identity map holds rows weakly, so a finished batch is let go.
        yield from load_batch(db, patient_ids[start:start + batch_size])


def load_batch(db: Session, ids: list[int]) -> list[PatientRecords]:
    """Return the records of the live patients among ids, in id order."""
    patients = db.exec(select(Patient).where(Patient.id.in_(ids), Patient.erased_at.is_(None))
                       .order_by(Patient.id)).all()
    out = {p.id: PatientRecords(p) for p in patients}
    for row in _answered(db, list(out)):
        out[row.response.patient_id].answered.append(row)
    for score in db.exec(select(SurveyScore).where(SurveyScore.patient_id.in_(list(out)))
                         .order_by(SurveyScore.response_id, SurveyScore.id)).all():
        out[score.patient_id].scores.append(score)
    for patient_id, row in _performed(db, list(out)):
        out[patient_id].performed.append(row)
    for flag in db.exec(select(SafetyFlag).where(SafetyFlag.patient_id.in_(list(out)),
                                                 SafetyFlag.kind == "adverse_event")
                        .order_by(SafetyFlag.raised_at, SafetyFlag.id)).all():
        out[flag.patient_id].adverse_events.append(flag)
    return list(out.values())


def _answered(db: Session, ids: list[int]) -> list[Answered]:
    rows = db.exec(select(SurveyResponse, SurveyAssignment.status, SurveyAssignment.timepoint_key,
                          SurveyAssignment.label)
                   .join(SurveyAssignment, SurveyAssignment.id == SurveyResponse.assignment_id)
                   .where(SurveyResponse.patient_id.in_(ids), SurveyResponse.is_complete)
                   .order_by(SurveyResponse.submitted_at, SurveyResponse.id)).all()
    return [Answered(*row) for row in rows]


def _performed(db: Session, ids: list[int]) -> list[tuple[int, Performed]]:
    rows = db.exec(select(TreatmentCourse.patient_id, ProcedureRecord,
                          TreatmentSession.performed_at)
                   .join(TreatmentSession, TreatmentSession.id == ProcedureRecord.session_id)
                   .join(TreatmentCourse, TreatmentCourse.id == TreatmentSession.course_id)
                   .where(TreatmentCourse.patient_id.in_(ids),
                          TreatmentSession.status == "performed",
                          TreatmentSession.performed_at.is_not(None))
                   .order_by(TreatmentSession.performed_at, ProcedureRecord.id)).all()
    return [(patient_id, Performed(record, at)) for patient_id, record, at in rows]
