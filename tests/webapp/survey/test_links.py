"""Survey links: single use, stored as a hash, friendly when spent, and fresh ones on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from tests.support.patient import CSRF_RE, new_link, open_survey, sign_in
from webapp.auth.signin_sessions import hash_token
from webapp.db import get_engine
from webapp.models import AuditEvent, AuthSession, Patient, PatientToken, Reminder, utcnow
from webapp.survey.links import RELINK_LIMIT, issue_link, link_url

NEUTRAL = "If we know this address, a new link is on its way"


def test_link_url_joins_base_and_token():
    assert link_url("https://clinic.example/", "abc") == "https://clinic.example/p/t/abc"
    assert link_url("http://nervetrack.test", "x-y_z") == "http://nervetrack.test/p/t/x-y_z"


def test_issue_link_makes_a_long_random_token_stored_as_its_hash(db):
    assignment = open_survey(db)
    now = utcnow()
    tokens = {issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                         expires_at=assignment.closes_at, now=now) for _ in range(3)}
    db.commit()
    assert len(tokens) == 3 and all(len(t) >= 43 for t in tokens)  # 32 bytes = 256 bits
    rows = db.exec(select(PatientToken)).all()
    assert {r.token_hash for r in rows} == {hash_token(t) for t in tokens}
    assert all(r.expires_at == assignment.closes_at and r.used_at is None for r in rows)


def _everything_stored(db) -> str:
    dump = []
    for table in SQLModel.metadata.sorted_tables:
        dump += [repr(tuple(row)) for row in db.execute(sa.select(table)).all()]
    return "\n".join(dump)


def test_link_starts_a_session_and_leaves_no_token_in_the_address_or_database(db, client):
    assignment = open_survey(db)
    path = new_link(db, assignment)
    token = path.rsplit("/", 1)[1]
    first = client.get(path)
    assert first.status_code == 303 and first.headers["Location"] == "/p/"
    final = client.get(first.headers["Location"])
    assert token not in final.request.url
    assert "Your questions for today" in final.get_data(as_text=True)
    assert token not in _everything_stored(db)
    row = db.exec(select(PatientToken)).one()
    assert row.used_at is not None
    session_row = db.exec(select(AuthSession).where(AuthSession.kind == "patient")).one()
    assert session_row.patient_id == assignment.patient_id
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "patient_link_used")).all()
    assert [e.patient_id for e in events] == [assignment.patient_id]


def test_follow_redirects_ends_on_clean_start_page(db, client):
    assignment = open_survey(db)
    response = client.get(new_link(db, assignment), follow_redirects=True)
    assert response.request.path == "/p/"
    assert "/p/t/" not in response.request.url


def _spend(db, app, assignment) -> str:
    path = new_link(db, assignment)
    assert app.test_client().get(path).status_code == 303
    return path


@pytest.mark.parametrize("kind, status, words", [
    ("used", 410, "already been used"),
    ("expired", 410, "has run out"),
    ("forged", 404, "could not open this link"),
    ("withdrawn", 410, "has run out"),
])
def test_spent_or_bad_links_get_a_friendly_page_and_change_nothing(db, app, client, kind,
                                                                   status, words):
    assignment = open_survey(db)
    if kind == "used":
        path = _spend(db, app, assignment)
    elif kind == "expired":
        path = new_link(db, assignment, expires_at=utcnow() - timedelta(minutes=1))
    elif kind == "forged":
        path = "/p/t/" + "A" * 43
    else:
        path = new_link(db, assignment)
        patient = db.get(Patient, assignment.patient_id)
        patient.status = "withdrawn"
        db.commit()
    before = [(t.id, t.used_at) for t in db.exec(select(PatientToken)).all()]
    sessions_before = len(db.exec(select(AuthSession)).all())
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert words in html and "Send me a fresh link" in html
    db.expire_all()
    assert [(t.id, t.used_at) for t in db.exec(select(PatientToken)).all()] == before
    assert len(db.exec(select(AuthSession)).all()) == sessions_before
    assert "Welcome" in client.get("/p/").get_data(as_text=True)  # no patient session


def test_tapping_a_used_link_again_in_the_same_browser_goes_back_to_the_start(db, client):
    assignment = open_survey(db)
    path = new_link(db, assignment)
    client.get(path)
    again = client.get(path)
    assert again.status_code == 303 and again.headers["Location"] == "/p/"


def _relink(client, address: str):
    token = CSRF_RE.search(client.get("/p/").get_data(as_text=True)).group(1)
    return client.post("/p/relink", data={"address": address, "csrf_token": token})


def _relinks(db) -> list[Reminder]:
    db.expire_all()
    return db.exec(select(Reminder).where(Reminder.slot_key.startswith("relink/"))).all()


@pytest.mark.parametrize("address", ["sam@example.test", "  SAM@Example.TEST ", "+44 7700 900123"])
def test_fresh_link_answer_is_the_same_for_known_and_unknown_addresses(db, app, address):
    assignment = open_survey(db, phone="+447700900123", preferred_channel="sms")
    unknown = _relink(app.test_client(), "nobody@example.test")
    assert _relinks(db) == []
    known = _relink(app.test_client(), address)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert NEUTRAL in known.get_data(as_text=True)
    queued = _relinks(db)
    assert len(queued) == 1
    reminder = queued[0]
    assert reminder.assignment_id == assignment.id and reminder.patient_id == assignment.patient_id
    assert reminder.status == "pending" and reminder.channel == "sms"
    assert reminder.slot_key.startswith(f"relink/{assignment.id}/")
    assert reminder.send_at <= utcnow()


def _statements_of_relink(app, address: str) -> list[str]:
    """The SQL statements one fresh-link request runs, in order (parameters aside)."""
    client = app.test_client()
    token = CSRF_RE.search(client.get("/p/").get_data(as_text=True)).group(1)
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    engine = get_engine(app)
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        response = client.post("/p/relink", data={"address": address, "csrf_token": token})
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code == 200 and NEUTRAL in response.get_data(as_text=True)
    return seen


@pytest.mark.parametrize(("known", "unknown"), [
    ("sam@example.test", "nobody@example.test"),
    ("+44 7700 900123", "+44 7700 900999"),
])
def test_fresh_link_runs_the_same_statements_whether_or_not_the_address_is_known(
        db, app, known, unknown):
    open_survey(db, phone="+447700900123", preferred_channel="sms")
    _statements_of_relink(app, unknown)  # the first request opens the pool's connection
    for_unknown = _statements_of_relink(app, unknown)
    for_known = _statements_of_relink(app, known)
    assert len(_relinks(db)) == 1  # the known address did queue a reminder...
    assert for_known == for_unknown  # ...with exactly the statements the unknown one ran
    inserts = [s.split("(")[0].split()[-1].strip('"') for s in for_known
               if s.lstrip().upper().startswith("INSERT")]
    assert sorted(inserts) == ["audit_event", "reminder"]  # an equivalent write path too
    for _ in range(RELINK_LIMIT - 1):
        _statements_of_relink(app, known)
    assert len(_relinks(db)) == RELINK_LIMIT
    assert _statements_of_relink(app, known) == for_unknown  # refused: asked too often
    assert len(_relinks(db)) == RELINK_LIMIT


def test_fresh_link_requests_are_audited_without_the_address(db, app):
    assignment = open_survey(db)
    for address in ("sam@example.test", "nobody@example.test"):
        _relink(app.test_client(), address)
    db.expire_all()
    events = db.exec(select(AuditEvent).where(AuditEvent.action.startswith("patient_relink"))
                     .order_by(AuditEvent.id)).all()
    assert [(e.action, e.patient_id) for e in events] == [
        ("patient_relink_queued", assignment.patient_id), ("patient_relink_refused", None)]
    assert "nobody@example.test" not in repr([(e.actor_label, e.detail) for e in events])


def test_fresh_link_needs_an_open_survey(db, client):
    assignment = open_survey(db)
    assignment.closes_at = utcnow() - timedelta(hours=1)
    db.commit()
    response = _relink(client, "sam@example.test")
    assert NEUTRAL in response.get_data(as_text=True)
    assert _relinks(db) == []


def test_fresh_link_requests_are_limited_per_patient_silently(db, app):
    open_survey(db)
    for _ in range(RELINK_LIMIT + 2):
        response = _relink(app.test_client(), "sam@example.test")
        assert response.status_code == 200 and NEUTRAL in response.get_data(as_text=True)
    assert len(_relinks(db)) == RELINK_LIMIT


@pytest.mark.parametrize("address, message", [
    ("", "Please enter your email or mobile number."),
    ("x" * 300, "That is too long."),
])
def test_fresh_link_form_rejects_empty_or_long_input(db, client, address, message):
    open_survey(db)
    response = _relink(client, address)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _relinks(db) == []


def test_fresh_link_form_refuses_a_missing_csrf_token(db, client):
    open_survey(db)
    response = client.post("/p/relink", data={"address": "sam@example.test"})
    assert response.status_code == 400
    assert _relinks(db) == []


def test_signing_in_again_replaces_the_session_cookie(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    sign_in(client, db, assignment)
    live = db.exec(select(AuthSession).where(AuthSession.patient_id == assignment.patient_id)).all()
    assert len(live) == 2
    assert len([row for row in live if row.revoked_at is None]) == 1
    assert "Your questions for today" in client.get("/p/").get_data(as_text=True)
