"""Two requests for the same survey at the same moment: double submit and two tabs saving.

The requests run in threads through the app, each with its own database connection, and a
barrier holds both at the same point of the view, so the race happens on every run. Afterwards
the rows are counted: one completion, flags raised once, one response per page.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from tests.support.concurrency import hold_until_all_arrive, run_at_once, second_tab
from tests.support.patient import AFTER_OK, TWO_REGIONS, answer_all, csrf_of, open_survey, sign_in
from webapp.models import (
    AuditEvent,
    Reminder,
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
)
from webapp.survey import views

COOKIE = "nervetrack"  # the session cookie's name over plain HTTP (tests use http://)
WEAK = {**AFTER_OK, "new_weakness_numbness": "yes", "details": "Hand weak since Monday"}


def _count(db, model, *where) -> int:
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def after_session(db, client):
    """An after-session check answered (a flag-raising answer), waiting for Submit."""
    assignment = open_survey(db, slot="after-session:1")
    sign_in(client, db, assignment)
    answer_all(client, assignment.id, [WEAK])
    return assignment


@pytest.mark.parametrize("tabs", [2, 4])
def test_simultaneous_submits_complete_the_survey_once(app, db, client, after_session,
                                                       monkeypatch, tabs):
    path = f"/p/a/{after_session.id}/submit"
    token = csrf_of(client, f"/p/a/{after_session.id}/review")
    phones = [client] + [second_tab(app, client, COOKIE) for _ in range(tabs - 1)]
    # Every submit has passed its checks and is about to complete when the others arrive.
    hold_until_all_arrive(monkeypatch, views, "first_unanswered", tabs)
    results = run_at_once([lambda p=p: p.post(path, data={"csrf_token": token}) for p in phones])
    monkeypatch.undo()
    assert [getattr(r, "status_code", r) for r in results] == [303] * tabs
    assert {r.headers["Location"] for r in results} == {f"/p/a/{after_session.id}/thanks"}
    for phone in phones:  # the loser sees the thank-you page too
        assert "Thank you" in phone.get(f"/p/a/{after_session.id}/thanks").get_data(as_text=True)
    db.expire_all()
    assert _count(db, AuditEvent, AuditEvent.action == "survey_completed") == 1
    assert _count(db, SafetyFlag) == 1
    assert db.get(SurveyAssignment, after_session.id).status == "completed"
    statuses = set(db.exec(select(Reminder.status).where(
        Reminder.assignment_id == after_session.id)).all())
    assert statuses == {"cancelled"}


@pytest.fixture
def baseline(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    return assignment


def _pain_rows(db, assignment_id):
    db.expire_all()
    return db.exec(select(SurveyResponse).where(
        SurveyResponse.assignment_id == assignment_id,
        SurveyResponse.instrument_id == "nt-pain")).all()


@pytest.mark.parametrize("answered_before", [False, True], ids=["first save", "re-save"])
def test_two_tabs_saving_the_same_page_both_get_a_normal_answer(app, db, client, baseline,
                                                                monkeypatch, answered_before):
    path = f"/p/a/{baseline.id}/1"
    if answered_before:
        answer_all(client, baseline.id, [{"pain_now": "1", "pain_worst": "1"}])
    token = csrf_of(client, path)
    tab = second_tab(app, client, COOKIE)  # after the token, so the tab's cookie holds it
    sent = [{"pain_now": "3", "pain_worst": "4"}, {"pain_now": "8", "pain_worst": "9"}]
    # Both tabs have checked their answers and are about to store them when the other arrives.
    hold_until_all_arrive(monkeypatch, views, "validate_answers", 2)
    results = run_at_once([lambda c=c, a=a: c.post(path, data={**a, "csrf_token": token})
                           for c, a in ((client, sent[0]), (tab, sent[1]))])
    monkeypatch.undo()
    assert [getattr(r, "status_code", r) for r in results] == [303, 303]
    assert {r.headers["Location"] for r in results} == {f"/p/a/{baseline.id}/2"}
    rows = _pain_rows(db, baseline.id)
    assert [r.region_code for r in rows] == [TWO_REGIONS[0]]  # one row for the page
    stored = rows[0].answers
    assert stored in ({"pain_now": 3, "pain_worst": 4}, {"pain_now": 8, "pain_worst": 9})
    scores = {s.score_id: s.value for s in db.exec(select(SurveyScore).where(
        SurveyScore.response_id == rows[0].id)).all()}
    assert scores == {"pain_now": stored["pain_now"], "pain_worst": stored["pain_worst"]}
    assert _count(db, SurveyScore) == 2
    assert db.get(SurveyAssignment, baseline.id).status == "in_progress"
