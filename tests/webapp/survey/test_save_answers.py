"""Storing one page: the response upserted, its scores replaced, nothing when the survey is over.

webapp.survey.answers.save_answers runs one statement on PostgreSQL and four on SQLite; both
must store the same rows and hand back the same objects.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from tests.support.patient import open_survey
from webapp.models import SurveyAssignment, SurveyResponse, SurveyScore, utcnow
from webapp.survey.answers import save_answers
from webapp.survey.instruments import library_for_default

REGION = "median-carpal-tunnel-right"


@pytest.fixture
def assignment(db):
    return open_survey(db, regions=(REGION,))


def _save(db, assignment, answers, instrument_id="nt-pain"):
    return save_answers(db, assignment=assignment,
                        instrument=library_for_default().get(instrument_id), region_code=REGION,
                        answers=answers, now=utcnow())


def _scores(db) -> dict:
    db.expire_all()
    return {s.score_id: s.value for s in db.exec(select(SurveyScore)).all()}


@pytest.mark.parametrize("answers", [
    [{"pain_now": 7, "pain_worst": 8}],
    [{"pain_now": 7, "pain_worst": 8}, {"pain_now": 2, "pain_worst": 3}],
    [{"pain_now": 7, "pain_worst": 8}, {"pain_now": 2, "pain_worst": 3},
     {"pain_now": 0, "pain_worst": 10}],
])
def test_the_last_save_of_a_page_is_what_stays(db, assignment, answers):
    responses = [_save(db, assignment, a) for a in answers]
    db.commit()
    assert all(r is responses[0] for r in responses)  # the session's one object for the row
    assert responses[-1].answers == answers[-1]
    assert responses[-1] in db
    stored = db.exec(select(SurveyResponse)).one()
    assert stored.answers == answers[-1] and stored.is_complete
    assert _scores(db) == {"pain_now": answers[-1]["pain_now"],
                           "pain_worst": answers[-1]["pain_worst"]}


def test_the_callers_assignment_is_marked_in_progress(db, assignment):
    assert assignment.status == "pending"
    _save(db, assignment, {"pain_now": 1, "pain_worst": 2})
    db.commit()
    assert assignment.status == "in_progress"
    db.expire_all()
    assert db.get(SurveyAssignment, assignment.id).status == "in_progress"


def test_a_score_no_longer_defined_is_removed(db, assignment):
    response = _save(db, assignment, {"pain_now": 1, "pain_worst": 2})
    db.add(SurveyScore(response_id=response.id, assignment_id=assignment.id,
                       patient_id=assignment.patient_id, instrument_id="nt-pain",
                       region_code=REGION, score_id="retired_rule", outcome="pain", value=1.0,
                       scored_at=utcnow()))
    db.commit()
    _save(db, assignment, {"pain_now": 4, "pain_worst": 5})
    db.commit()
    assert _scores(db) == {"pain_now": 4, "pain_worst": 5}


@pytest.mark.parametrize("status", ["completed", "missed", "cancelled"])
def test_nothing_is_stored_once_the_survey_is_over(db, assignment, status):
    assignment.status = status
    db.add(assignment)
    db.commit()
    assert _save(db, assignment, {"pain_now": 1, "pain_worst": 2}) is None
    db.commit()
    assert db.exec(select(func.count(SurveyResponse.id))).one() == 0
    assert _scores(db) == {}
    assert db.get(SurveyAssignment, assignment.id).status == status
