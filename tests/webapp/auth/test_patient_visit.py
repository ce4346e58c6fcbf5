"""A patient's session loaded in one query: who, in which language, and their own assignment.

Covers webapp.auth.signin_sessions.load_patient_visit and the before-request hook that puts it
on ``g`` (webapp.auth.security._load_patient_session).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.patient import open_survey, sign_in
from tests.support.statements import watch_statements
from webapp.auth import signin_sessions
from webapp.auth.signin_sessions import VisitAssignment
from webapp.config import DEFAULTS
from webapp.db import get_engine
from webapp.models import AuthSession, Patient, SurveyAssignment, utcnow

SESSION_MINUTES = int(DEFAULTS["PATIENT_SESSION_MINUTES"])


@pytest.fixture
def assignment(db):
    return open_survey(db, regions=("median-carpal-tunnel-right",))


def _start(db, patient_id: int, now, *, kind: str = "patient") -> str:
    sid = signin_sessions.start(db, kind=kind, lifetime=timedelta(hours=3), ip=None,
                                patient_id=patient_id, now=now)
    db.commit()
    return sid


def _alter(db, model, row_id: int, **values) -> None:
    row = db.get(model, row_id)
    for name, value in values.items():
        setattr(row, name, value)
    db.add(row)
    db.commit()


@pytest.mark.parametrize(("change", "live"), [
    ({}, True),
    ({"session": {"revoked_at": "now"}}, False),
    ({"session": {"kind": "staff"}}, False),
    ({"session": {"expires_at": "now"}}, False),  # the absolute expiry, however active
    ({"later": timedelta(minutes=SESSION_MINUTES)}, False),  # idle for the whole allowance
    ({"later": timedelta(minutes=SESSION_MINUTES - 1)}, True),
    ({"patient": {"status": "withdrawn"}}, False),
    ({"patient": {"status": "paused"}}, False),
    ({"patient": {"erased_at": "now"}}, False),
])
def test_only_a_live_session_of_an_active_patient_counts(app, db, assignment, change, live):
    now = utcnow()
    sid = _start(db, assignment.patient_id, now)
    session_id = db.exec(select(AuthSession.id)).one()
    for model, key, row_id in ((AuthSession, "session", session_id),
                               (Patient, "patient", assignment.patient_id)):
        values = {k: (now if v == "now" else v) for k, v in change.get(key, {}).items()}
        if values:
            _alter(db, model, row_id, **values)
    visit = signin_sessions.load_patient_visit(db, sid, app.config,
                                               now=now + change.get("later", timedelta(0)))
    assert (visit is not None) is live
    if live:
        assert visit.patient_id == assignment.patient_id and visit.language == "en"


@pytest.mark.parametrize(("whose", "loaded"), [("own", True), ("other", False), (None, False)])
def test_the_assignment_comes_with_the_session_only_if_it_is_the_patients(
        app, db, assignment, whose, loaded):
    other = open_survey(db, study_code="NT-0002", email="kim@example.test")
    asked = {"own": assignment.id, "other": other.id, None: None}[whose]
    now = utcnow()
    sid = _start(db, assignment.patient_id, now)
    db.expunge_all()
    with watch_statements(get_engine(app)) as seen:
        visit = signin_sessions.load_patient_visit(db, sid, app.config, assignment_id=asked,
                                                   now=now)
    assert len(seen.sent) == 1  # session, patient and assignment: one query
    assert visit.assignment_id == asked
    assert (visit.assignment is not None) is loaded
    if loaded:
        assert isinstance(visit.assignment, VisitAssignment)  # a snapshot, no mapped object
        stored = db.get(SurveyAssignment, assignment.id)
        for name in ("id", "patient_id", "course_id", "status", "opens_at", "closes_at",
                     "instruments", "regions"):
            assert getattr(visit.assignment, name) == getattr(stored, name), name
        assert visit.assignment.opens_at.tzinfo is not None  # aware, as the model's own


@pytest.mark.parametrize(("since", "touched"), [(timedelta(seconds=29), False),
                                                (timedelta(seconds=30), True)])
def test_last_seen_is_written_at_most_every_thirty_seconds(app, db, assignment, since, touched):
    now = utcnow()
    sid = _start(db, assignment.patient_id, now)
    with watch_statements(get_engine(app)) as seen:
        assert signin_sessions.load_patient_visit(db, sid, app.config, now=now + since)
    assert ("UPDATE" in seen.verbs()) is touched
    db.expire_all()
    expected = now + since if touched else now
    assert db.exec(select(AuthSession.last_seen_at)).one() == expected


@pytest.mark.parametrize("language", ["fr", "fa"])
def test_patient_pages_speak_the_patients_language_whatever_the_browser_asks(
        client, db, assignment, language):
    _alter(db, Patient, assignment.patient_id, language=language)
    sign_in(client, db, assignment)
    page = client.get(f"/p/a/{assignment.id}/1", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    assert f'<html lang="{language}"' in page.get_data(as_text=True)


def test_a_withdrawn_patient_signed_in_before_is_sent_back_to_the_start(client, db, assignment):
    sign_in(client, db, assignment)
    _alter(db, Patient, assignment.patient_id, status="withdrawn")
    answer = client.get(f"/p/a/{assignment.id}/1")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/p/")
