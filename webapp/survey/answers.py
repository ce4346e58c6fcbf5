"""Storing a patient's answers: responses, long-form scores, safety flags, completion.

Used by the patient pages and by the demo seeder, so both store exactly the same things.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES, UNSTARTED_ASSIGNMENT_STATUSES
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
# The two databases' INSERT ... ON CONFLICT DO UPDATE, chosen by the session's dialect.
_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def save_answers(session: Session, *, assignment: SurveyAssignment, instrument: Instrument,
                 region_code: str, answers: dict, now: datetime) -> SurveyResponse | None:
    """Store (or replace) the answers of one page and its scores; the caller commits.

    Returns None, storing nothing, when the assignment is no longer live (say, completed in
    another tab). Two saves of the same page at once both succeed and the last one wins.
    """
    if not _mark_in_progress(session, assignment, now):
        return None
    response_id = _upsert_response(session, assignment, instrument, region_code, answers, now)
    response = session.get(SurveyResponse, response_id, populate_existing=True)
    _store_scores(session, response, instrument, now)
    return response


def _mark_in_progress(session: Session, assignment: SurveyAssignment, now: datetime) -> bool:
    # One conditional UPDATE: it tells whether the survey is still live and, on PostgreSQL,
    # locks the row, so saves and the completion of one assignment take turns.
    unstarted = SurveyAssignment.status.in_(UNSTARTED_ASSIGNMENT_STATUSES)
    stamp = sa.literal(now, type_=SurveyAssignment.__table__.c.updated_at.type)
    row = session.execute(
        sa.update(SurveyAssignment)
        .where(SurveyAssignment.id == assignment.id,
               SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES))
        .values(status=sa.case((unstarted, "in_progress"), else_=SurveyAssignment.status),
                updated_at=sa.case((unstarted, stamp), else_=SurveyAssignment.updated_at))
        .returning(SurveyAssignment.status, SurveyAssignment.updated_at)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        return False
    set_committed_value(assignment, "status", row.status)
    set_committed_value(assignment, "updated_at", row.updated_at)
    return True


def _upsert_response(session: Session, assignment: SurveyAssignment, instrument: Instrument,
                     region_code: str, answers: dict, now: datetime) -> int:
    """Insert the page's response, or replace its answers if a row exists; return its id."""
    table = SurveyResponse.__table__
    insert = _INSERTS[session.get_bind().dialect.name](table).values(
        assignment_id=assignment.id, patient_id=assignment.patient_id,
        instrument_id=instrument.id, instrument_version=str(instrument.version),
        region_code=region_code, answers=dict(answers), is_complete=True, started_at=now,
        submitted_at=now)
    return session.execute(insert.on_conflict_do_update(
        index_elements=[table.c.assignment_id, table.c.instrument_id, table.c.region_code],
        set_={"answers": insert.excluded.answers, "is_complete": True,
              "submitted_at": insert.excluded.submitted_at},
    ).returning(table.c.id)).scalar_one()


def _store_scores(session: Session, response: SurveyResponse, instrument: Instrument,
                  now: datetime) -> None:
    session.execute(sa.delete(SurveyScore).where(SurveyScore.response_id == response.id)
                    .execution_options(synchronize_session=False))
    outcomes = {rule.id: rule.outcome for rule in instrument.scores}
    for score_id, result in score_answers(instrument, response.answers).items():
        session.add(SurveyScore(response_id=response.id, assignment_id=response.assignment_id,
                                patient_id=response.patient_id, instrument_id=instrument.id,
                                region_code=response.region_code, score_id=score_id,
                                outcome=outcomes[score_id], value=result.value, scored_at=now))


def complete_assignment(session: Session, *, assignment: SurveyAssignment,
                        library, now: datetime) -> list[SafetyFlag] | None:
    """Mark an assignment completed, stop its reminders and raise any safety flags.

    Returns None, doing nothing, when the assignment was already completed (or closed): of two
    submits at the same moment, only the first raises flags and writes the audit event.
    """
    if not _mark_completed(session, assignment, now):
        return None
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


def _mark_completed(session: Session, assignment: SurveyAssignment, now: datetime) -> bool:
    # A single conditional state change: of two racing submits, the second finds the row
    # already completed (PostgreSQL re-checks the condition once the first commits).
    done = session.execute(
        sa.update(SurveyAssignment)
        .where(SurveyAssignment.id == assignment.id,
               SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES))
        .values(status="completed", completed_at=now, updated_at=now)
        .returning(SurveyAssignment.id)
        .execution_options(synchronize_session=False)).first()
    if done is None:
        return False
    for name, value in (("status", "completed"), ("completed_at", now), ("updated_at", now)):
        set_committed_value(assignment, name, value)
    return True


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
