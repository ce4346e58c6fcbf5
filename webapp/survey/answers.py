"""Storing a patient's answers: responses, long-form scores, safety flags, completion.

Used by the patient pages and by the demo seeder, so both store exactly the same things.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES, UNSTARTED_ASSIGNMENT_STATUSES
from surveys.outcomes import is_worsening
from surveys.safety import evaluate_flags
from surveys.schema import Instrument
from surveys.scoring import score_answers
from webapp.audit import add_event
from webapp.db import WHOLE_TRANSACTION, DriverQuery
from webapp.followup import outbox
from webapp.models import (
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
    UTCDateTime,
)

if TYPE_CHECKING:
    from webapp.auth.signin_sessions import VisitAssignment

WORSENING_OUTCOMES = ("pain", "paresthesia")
# The two databases' INSERT ... ON CONFLICT DO UPDATE, chosen by the session's dialect.
_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
_ASSIGNMENTS, _RESPONSES, _SCORES = (SurveyAssignment.__table__, SurveyResponse.__table__,
                                     SurveyScore.__table__)
_NOW = sa.bindparam("now", type_=UTCDateTime)
_SCORE_IDS = sa.bindparam("score_ids", type_=ARRAY(sa.String))


def _one_of(column, values) -> sa.ColumnElement[bool]:
    # IN with one bound parameter per value, fixed when the statement is built: a plain
    # in_() list is an "expanding" parameter, rewritten into the SQL at every execution.
    return column.in_([sa.literal(value) for value in values])


def _mark_in_progress() -> sa.Update:
    # One conditional UPDATE: it tells whether the survey is still live and, on PostgreSQL,
    # locks the row, so saves and the completion of one assignment take turns.
    t = _ASSIGNMENTS
    unstarted = _one_of(t.c.status, UNSTARTED_ASSIGNMENT_STATUSES)
    return (sa.update(t)
            .where(t.c.id == sa.bindparam("assignment_id"),
                   _one_of(t.c.status, LIVE_ASSIGNMENT_STATUSES))
            .values(status=sa.case((unstarted, "in_progress"), else_=t.c.status),
                    updated_at=sa.case((unstarted, _NOW), else_=t.c.updated_at)))


def _upsert_response(dialect: str, owner: sa.Select | None = None):
    """INSERT the page's response, or replace its answers if the row exists; RETURNING it.

    `owner` selects the assignment_id and patient_id (PostgreSQL: the marked assignment's);
    without it they are parameters.
    """
    t = _RESPONSES
    given = {"instrument_id": sa.bindparam("instrument_id", type_=sa.String),
             "instrument_version": sa.bindparam("instrument_version", type_=sa.String),
             "region_code": sa.bindparam("region_code", type_=sa.String),
             "answers": sa.bindparam("answers", type_=t.c.answers.type),
             "is_complete": sa.true(), "started_at": _NOW, "submitted_at": _NOW}
    if owner is None:
        insert = _INSERTS[dialect](t).values(assignment_id=sa.bindparam("assignment_id"),
                                             patient_id=sa.bindparam("patient_id"), **given)
    else:
        insert = _INSERTS[dialect](t).from_select(["assignment_id", "patient_id", *given],
                                                  owner.add_columns(*given.values()))
    return insert.on_conflict_do_update(
        index_elements=[t.c.assignment_id, t.c.instrument_id, t.c.region_code],
        set_={"answers": insert.excluded.answers, "is_complete": True,
              "submitted_at": insert.excluded.submitted_at},
    ).returning(*t.c)


def _save_in_one_statement(whole_row: bool = True) -> sa.Select:
    """PostgreSQL: mark the assignment, upsert the response and replace its scores at once.

    Data-modifying CTEs: nothing is stored unless the assignment is live; the scores of the
    page are upserted and any other score of the response (from an older definition) deleted.
    Returns the response row (or, not `whole_row`, only its id) and the assignment's state.
    """
    a, s = _ASSIGNMENTS, _SCORES
    live = _mark_in_progress().returning(a.c.id, a.c.patient_id, a.c.status,
                                         a.c.updated_at).cte("live")
    saved = _upsert_response("postgresql", sa.select(live.c.id, live.c.patient_id)).cte("saved")
    gone = sa.delete(s).where(s.c.response_id == saved.c.id,
                              s.c.score_id != sa.all_(_SCORE_IDS)).cte("gone")
    given = sa.func.unnest(_SCORE_IDS, sa.bindparam("outcomes", type_=ARRAY(sa.String)),
                           sa.bindparam("values", type_=ARRAY(sa.Float))) \
        .table_valued("score_id", "outcome", "value").render_derived(name="given")
    copied = ("assignment_id", "patient_id", "instrument_id", "region_code")
    insert = postgresql_insert(s).from_select(
        ["response_id", *copied, "score_id", "outcome", "value", "scored_at"],
        sa.select(saved.c.id, *(saved.c[name] for name in copied), given.c.score_id,
                  given.c.outcome, given.c.value, _NOW).select_from(saved).join(given, sa.true()))
    scored = insert.on_conflict_do_update(
        index_elements=[s.c.response_id, s.c.score_id],
        set_={name: insert.excluded[name]
              for name in (*copied, "outcome", "value", "scored_at")}).cte("scored")
    returned = saved if whole_row else saved.c.id
    return (sa.select(returned, live.c.status.label("assignment_status"),
                      live.c.updated_at.label("assignment_updated_at"))
            .select_from(saved).join(live, sa.true()).add_cte(gone, scored))


# Built once: SQLAlchemy then reuses their compiled SQL, and psycopg prepares them (the
# PostgreSQL save, sent on every survey page, through the driver: webapp.db.DriverQuery). It
# is a whole unit of work: with no transaction open it needs no BEGIN and COMMIT (webapp.db).
_SAVE_POSTGRESQL = {whole_row: DriverQuery(_save_in_one_statement(whole_row).execution_options(
    **WHOLE_TRANSACTION)) for whole_row in (True, False)}
_MARK_SQLITE = _mark_in_progress().returning(_ASSIGNMENTS.c.status, _ASSIGNMENTS.c.updated_at)
_UPSERT_SQLITE = _upsert_response("sqlite")
_DELETE_SCORES = sa.delete(_SCORES).where(_SCORES.c.response_id == sa.bindparam("response_id"))
_INSERT_SCORE = sa.insert(_SCORES)


def save_answers(session: Session, *, assignment: SurveyAssignment | VisitAssignment,
                 instrument: Instrument, region_code: str, answers: dict, now: datetime,
                 as_object: bool = True) -> SurveyResponse | int | None:
    """Store (or replace) the answers of one page and its scores; the caller commits (on
    PostgreSQL, with no transaction open, the one statement is already committed: webapp.db).

    Returns the stored SurveyResponse (with `as_object=False` only its id: a survey page needs
    no object), or None, storing nothing, when the assignment is no longer live (say,
    completed in another tab). Two saves of the same page at once both succeed and the last
    one wins.
    """
    # Only the statements' own parameters: a key named like a column of an UPDATE's table
    # (patient_id) would become one more SET clause of it.
    values = {"assignment_id": assignment.id, "instrument_id": instrument.id,
              "instrument_version": str(instrument.version), "region_code": region_code,
              "answers": dict(answers), "now": now}
    outcomes = {rule.id: rule.outcome for rule in instrument.scores}
    scores = [(score_id, outcomes[score_id], result.value)
              for score_id, result in score_answers(instrument, values["answers"]).items()]
    if session.get_bind().dialect.name == "postgresql":
        rows = _SAVE_POSTGRESQL[as_object].rows(session, {
            **values, "score_ids": [s[0] for s in scores], "outcomes": [s[1] for s in scores],
            "values": [s[2] for s in scores]})
        saved = rows[0]._asdict() if rows else None
    else:
        saved = _save_step_by_step(session, {**values, "patient_id": assignment.patient_id},
                                   scores)
    if saved is None:
        return None
    _keep_in_step(assignment, status=saved.pop("assignment_status"),
                  updated_at=saved.pop("assignment_updated_at"))
    return _as_loaded(session, saved) if as_object else saved["id"]


def _save_step_by_step(session: Session, values: dict, scores: list) -> dict | None:
    """SQLite: the same save in four statements; returns the same columns (or None)."""
    marked = session.execute(_MARK_SQLITE, {"assignment_id": values["assignment_id"],
                                            "now": values["now"]}).first()
    if marked is None:
        return None
    row = session.execute(_UPSERT_SQLITE, values).one()
    session.execute(_DELETE_SCORES, {"response_id": row.id})
    if scores:
        session.execute(_INSERT_SCORE, [
            {"response_id": row.id, "assignment_id": row.assignment_id,
             "patient_id": row.patient_id, "instrument_id": row.instrument_id,
             "region_code": row.region_code, "score_id": score_id, "outcome": outcome,
             "value": value, "scored_at": values["now"]} for score_id, outcome, value in scores])
    return {**row._asdict(), "assignment_status": marked.status,
            "assignment_updated_at": marked.updated_at}


def _as_loaded(session: Session, values: dict) -> SurveyResponse:
    """Return the session's SurveyResponse for a RETURNING row, as if just loaded from it."""
    response = session.identity_map.get(session.identity_key(SurveyResponse, values["id"]))
    if response is None:
        response = SurveyResponse(**values)
        make_transient_to_detached(response)
        session.add(response)
    else:
        for name, value in values.items():
            set_committed_value(response, name, value)
    return response


def complete_assignment(session: Session, *, assignment: SurveyAssignment | VisitAssignment,
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


def _mark_completed(session: Session, assignment: SurveyAssignment | VisitAssignment,
                    now: datetime) -> bool:
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
    _keep_in_step(assignment, status="completed", completed_at=now, updated_at=now)
    return True


def _keep_in_step(assignment, **values) -> None:
    # A mapped SurveyAssignment is told the values just written, as if loaded with them; the
    # patient pages' read-only snapshot (signin_sessions.VisitAssignment) has nothing to keep.
    if sa.inspect(assignment, raiseerr=False) is not None:
        for name, value in values.items():
            set_committed_value(assignment, name, value)


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
