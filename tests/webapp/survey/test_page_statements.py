"""What a survey page costs the database: statements per GET and POST, on both databases.

Ceilings, so that a regression (a second lookup of the session or the assignment, every stored
answer read for one page, a carried-forward query on a page that carries nothing) fails here.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.support.patient import csrf_of, open_survey, post_page, sign_in
from tests.support.statements import watch_statements
from webapp.db import get_engine
from webapp.models import SurveyResponse, SurveyScore
from webapp.survey import views

PAIN = {"pain_now": "3", "pain_worst": "5"}
PSFS_PAGE = 3  # one region: pain, paresthesia, then the activities (PSFS) page


@pytest.fixture
def survey(db, client):
    assignment = open_survey(db, regions=("median-carpal-tunnel-right",))
    sign_in(client, db, assignment)
    return assignment


@pytest.fixture
def carried_calls(monkeypatch):
    calls: list = []
    original = views.carried_activities

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "carried_activities", counted)
    return calls


@pytest.mark.parametrize(("answered_first", "ceiling"), [(False, 2), (True, 2)])
def test_a_page_is_shown_with_two_reads(app, client, survey, carried_calls, answered_first,
                                        ceiling):
    path = f"/p/a/{survey.id}/1"
    if answered_first:
        assert post_page(client, path, PAIN).status_code == 303
    with watch_statements(get_engine(app)) as seen:
        page = client.get(path)
    assert page.status_code == 200
    assert len(seen.sent) <= ceiling, seen.verbs()
    assert set(seen.verbs()) == {"SELECT"}  # no last-seen write, no BEGIN/COMMIT of our own
    assert carried_calls == []  # the pain page carries nothing from an earlier survey
    if answered_first:  # the stored answer is shown
        assert re.search(r'name="pain_now" value="3"\s*checked', page.get_data(as_text=True))


def test_a_page_is_saved_with_one_upsert_and_one_score_replacement(app, client, survey, db,
                                                                   carried_calls):
    path = f"/p/a/{survey.id}/1"
    post_page(client, path, {"pain_now": "1", "pain_worst": "2"})  # a row to replace
    csrf = csrf_of(client, path)  # read before watching: the POST alone is counted
    with watch_statements(get_engine(app)) as seen:
        answer = post_page(client, path, PAIN, token=csrf)
    assert answer.status_code == 303
    if get_engine(app).dialect.name == "postgresql":
        # the session with the assignment; then mark, upsert and scores in one statement
        assert seen.verbs() == ["SELECT", "WITH"]
    else:  # the session; mark in progress; upsert; delete and insert the scores
        assert seen.verbs() == ["SELECT", "UPDATE", "INSERT", "DELETE", "INSERT"]
    assert carried_calls == []
    db.expire_all()
    response = db.exec(select(SurveyResponse)).one()
    assert response.answers == {"pain_now": 3, "pain_worst": 5}
    scores = {s.score_id: s.value for s in db.exec(select(SurveyScore)).all()}
    assert scores == {"pain_now": 3, "pain_worst": 5}


def test_the_carried_forward_query_runs_only_on_a_page_that_carries(client, survey,
                                                                    carried_calls):
    for number in range(1, PSFS_PAGE):
        assert client.get(f"/p/a/{survey.id}/{number}").status_code == 200
    assert carried_calls == []
    assert client.get(f"/p/a/{survey.id}/{PSFS_PAGE}").status_code == 200
    assert len(carried_calls) == 1
