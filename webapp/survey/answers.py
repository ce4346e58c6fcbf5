"""Storing a patient's answers: responses, long-form scores, safety flags, completion.

Used by the patient pages and by the demo seeder, so both store exactly the same things.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from surveys.outcomes import is_worsening
from surveys.safety import evaluate_flags
from surveys.schema import Instrument
from surveys.scoring import score_answers
from webapp.audit import add_event
from webapp.followup import outbox
from webapp.models import (
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
)

WORSENING_OUTCOMES = ("pain", "paresthesia")


def find_response(session: Session, assignment_id: int, instrument_id: str,
                  region_code: str) -> SurveyResponse | None:
    """Return the stored response for one page of an assignment, if any."""
    return session.exec(select(SurveyResponse).where(
        SurveyResponse.assignment_id == assignment_id,
        SurveyResponse.instrument_id == instrument_id,
        SurveyResponse.region_code == region_code)).first()


def save_answers(session: Session, *, assignment: SurveyAssignment, instrument: Instrument,
                 region_code: str, answers: dict, now: datetime) -> SurveyResponse:
    """Store (or replace) the answers of one page and its scores; the caller commits."""
    response = find_response(session, assignment.id, instrument.id, region_code)
    if response is None:
        response = SurveyResponse(assignment_id=assignment.id, patient_id=assignment.patient_id,
                                  instrument_id=instrument.id,
                                  instrument_version=str(instrument.version),
                                  region_code=region_code, started_at=now)
    response.answers = dict(answers)
    response.is_complete = True
    response.submitted_at = now
    session.add(response)
    session.flush()
    _store_scores(session, response, instrument, now)
    if assignment.status in ("pending", "open"):
        assignment.status, assignment.updated_at = "in_progress", now
        session.add(assignment)
    return response


def _store_scores(session: Session, response: SurveyResponse, instrument: Instrument,
                  now: datetime) -> None:
    old = session.exec(select(SurveyScore).where(SurveyScore.response_id == response.id)).all()
    for row in old:
        session.delete(row)
    session.flush()
    outcomes = {rule.id: rule.outcome for rule in instrument.scores}
    for score_id, result in score_answers(instrument, response.answers).items():
        session.add(SurveyScore(response_id=response.id, assignment_id=response.assignment_id,
                                patient_id=response.patient_id, instrument_id=instrument.id,
                                region_code=response.region_code, score_id=score_id,
                                outcome=outcomes[score_id], value=result.value, scored_at=now))


def complete_assignment(session: Session, *, assignment: SurveyAssignment,
                        library, now: datetime) -> list[SafetyFlag]:
    """Mark an assignment completed, stop its reminders and raise any safety flags."""
    assignment.status, assignment.completed_at, assignment.updated_at = "completed", now, now
    session.add(assignment)
    outbox.cancel_pending(session, assignment.id)
    responses = session.exec(select(SurveyResponse).where(
        SurveyResponse.assignment_id == assignment.id)).all()
    flags = []
    for response in responses:
        instrument = library.get(response.instrument_id, response.instrument_version)
        flags += _adverse_event_flags(session, assignment, response, instrument, now)
    flags += _worsening_flags(session, assignment, now)
    add_event(session, "survey_completed", actor_type="patient", actor_id=assignment.patient_id,
              record_type="survey_assignment", record_id=assignment.id,
              patient_id=assignment.patient_id, detail={"flags": len(flags)})
    return flags


def _adverse_event_flags(session, assignment, response, instrument, now) -> list[SafetyFlag]:
    flags = []
    for flag in evaluate_flags(instrument, response.answers):
        row = SafetyFlag(patient_id=assignment.patient_id, course_id=assignment.course_id,
                         response_id=response.id, kind="adverse_event", severity=flag.severity,
                         rule_id=flag.id, detail=flag.message[:500], raised_at=now)
        session.add(row)
        flags.append(row)
    return flags


def _score_history(session, patient_id: int, score_id: str, region_code: str):
    rows = session.exec(
        select(SurveyScore.value, SurveyAssignment.id, SurveyAssignment.opens_at)
        .join(SurveyAssignment, SurveyAssignment.id == SurveyScore.assignment_id)
        .where(SurveyScore.patient_id == patient_id, SurveyScore.score_id == score_id,
               SurveyScore.region_code == region_code, SurveyScore.value.is_not(None))
        .order_by(SurveyAssignment.opens_at, SurveyAssignment.id)).all()
    return rows


def _worsening_flags(session, assignment, now) -> list[SafetyFlag]:
    """Flag pain or paresthesia up by >= 2 points and >= 30% against baseline or last time."""
    scores = session.exec(select(SurveyScore).where(
        SurveyScore.assignment_id == assignment.id,
        SurveyScore.outcome.in_(WORSENING_OUTCOMES), SurveyScore.value.is_not(None))).all()
    flags = []
    for score in scores:
        history = [v for v, a_id, opens in _score_history(session, assignment.patient_id,
                                                          score.score_id, score.region_code)
                   if a_id != assignment.id and opens <= assignment.opens_at]
        if not history:
            continue
        baseline, previous = history[0], history[-1]
        if is_worsening(baseline, previous, score.value):
            row = SafetyFlag(patient_id=assignment.patient_id, course_id=assignment.course_id,
                             response_id=score.response_id, kind="worsening", severity="watch",
                             rule_id=f"worsening:{score.outcome}",
                             detail=(f"{score.outcome} {score.value:g} (baseline {baseline:g}, "
                                     f"previous {previous:g}) in {score.region_code}"),
                             raised_at=now)
            session.add(row)
            flags.append(row)
    return flags
