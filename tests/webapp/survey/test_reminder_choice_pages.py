"""The patient's reminder choices through the signed link: pause, stop, one-click, refusals."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import inspect as sa_inspect
from sqlmodel import func, select

from tests.support.factories import planned_course
from tests.support.progress import progress_link
from webapp.models import AuditEvent, Patient, utcnow
from webapp.survey.stop_links import MAX_AGE, SALT, make_stop_token

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
REMINDER_COLUMNS = {"reminders_paused_until", "reminders_stopped_at"}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def ann(db):
    course = planned_course(db, study_code="NT-A", first_name="Ann", email="ann@example.test",
                            phone="+44 7700 900123")
    return db.get(Patient, course.patient_id)


def _link(app, patient_id: int, *, now=None) -> str:
    return f"/p/stop/{make_stop_token(app.config['SECRET_KEY'], patient_id, now=now or utcnow())}"


def _row(db, patient_id: int) -> dict:
    db.expire_all()
    patient = db.get(Patient, patient_id)
    return {c.key: getattr(patient, c.key) for c in sa_inspect(Patient).mapper.column_attrs}


def _without_choice(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in REMINDER_COLUMNS}


def _events(db, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.exec(query).all())


def _choose(client, path: str, choice: str):
    token = CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)
    return client.post(path, data={"choice": choice, "csrf_token": token})


def test_opening_the_link_offers_two_choices_and_changes_nothing(app, db, client, ann):
    before, events = _row(db, ann.id), len(_events(db))
    response = client.get(_link(app, ann.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Pause reminders for a week" in html and "Stop reminders" in html
    assert "Ann" not in html and "ann@example.test" not in html  # a forwarded email shows nobody
    assert _row(db, ann.id) == before and len(_events(db)) == events


def test_pause_for_a_week_changes_only_the_pause(app, db, client, ann):
    before = _row(db, ann.id)
    start = utcnow()
    response = _choose(client, _link(app, ann.id), "pause")
    assert response.status_code == 200
    after = _row(db, ann.id)
    assert _without_choice(after) == _without_choice(before)
    assert after["reminders_stopped_at"] is None
    assert start + timedelta(days=7) <= after["reminders_paused_until"] <= utcnow() + \
        timedelta(days=7)
    (event,) = _events(db, "reminders_paused")
    assert (event.actor_type, event.actor_id, event.patient_id, event.detail["via"]) == (
        "patient", ann.id, ann.id, "link")
    assert "no reminders until" in response.get_data(as_text=True)


def test_stop_changes_only_the_stop_and_a_second_stop_nothing(app, db, client, ann):
    before = _row(db, ann.id)
    link = _link(app, ann.id)
    assert _choose(client, link, "stop").status_code == 200
    stopped = _row(db, ann.id)
    assert _without_choice(stopped) == _without_choice(before)
    assert stopped["reminders_stopped_at"] is not None
    again = client.post(link, data=ONE_CLICK)
    assert again.status_code == 200 and "already stopped" in again.get_data(as_text=True)
    assert "Pause reminders" not in again.get_data(as_text=True)
    csrf = CSRF_RE.search(client.get("/p/").get_data(as_text=True)).group(1)
    paused = client.post(link, data={"choice": "pause", "csrf_token": csrf})  # posted by hand
    assert paused.status_code == 200
    assert _row(db, ann.id) == stopped
    assert [e.detail["via"] for e in _events(db, "reminders_stopped")] == ["link"]
    assert _events(db, "reminders_paused") == []


def test_one_click_needs_no_cookie_and_no_csrf_token(app, db, ann):
    provider = app.test_client()  # a mail provider's server: no session, no CSRF token
    response = provider.post(_link(app, ann.id), data=ONE_CLICK)
    assert response.status_code == 200
    assert _row(db, ann.id)["reminders_stopped_at"] is not None
    (event,) = _events(db, "reminders_stopped")
    assert (event.actor_type, event.actor_id, event.detail) == ("patient", ann.id,
                                                                {"via": "one-click"})


@pytest.mark.parametrize("data", [{"choice": "stop"}, {"choice": "pause"},
                                  {"List-Unsubscribe": "one-click"}, {}])
def test_a_choice_without_a_csrf_token_is_refused(app, db, client, ann, data):
    before, events = _row(db, ann.id), len(_events(db))
    client.get(_link(app, ann.id))  # a session with a CSRF secret, but no token sent
    response = client.post(_link(app, ann.id), data=data)
    assert response.status_code == 400
    assert _row(db, ann.id) == before and len(_events(db)) == events


@pytest.mark.parametrize("choice", ["", "resume", "STOP", "x" * 10_000])
def test_an_unknown_choice_is_refused(app, db, client, ann, choice):
    before = _row(db, ann.id)
    response = _choose(client, _link(app, ann.id), choice)
    assert response.status_code == 400 and "choose one of the two" in response.get_data(
        as_text=True)
    assert _row(db, ann.id) == before


def _forged(app, ann_id: int) -> dict:
    secret = app.config["SECRET_KEY"]
    good = make_stop_token(secret, ann_id, now=utcnow())
    other = URLSafeTimedSerializer(secret, salt=SALT,
                                   signer_kwargs={"digest_method": hashlib.sha256})
    return {
        "tampered": (good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), 404),
        "other patient id": (good.replace(good.split(".")[0], other.dumps(
            {"p": ann_id + 1, "for": "reminders"}).split(".")[0]), 404),
        "other purpose": (other.dumps({"p": ann_id, "for": "login"}), 404),
        "other secret": (make_stop_token("not-our-secret", ann_id, now=utcnow()), 404),
        "no such patient": (make_stop_token(secret, ann_id + 1000, now=utcnow()), 404),
        "expired": (make_stop_token(secret, ann_id, now=utcnow() - MAX_AGE - timedelta(1)), 410),
        "junk": ("forged-" + "x" * 40, 404),
    }


@pytest.mark.parametrize("kind", ["tampered", "other patient id", "other purpose",
                                  "other secret", "no such patient", "expired", "junk"])
def test_forged_or_expired_links_are_refused_with_no_change(app, db, client, ann, kind):
    token, status = _forged(app, ann.id)[kind]
    before, events = _row(db, ann.id), len(_events(db))
    page = client.get(f"/p/stop/{token}")
    assert page.status_code == status
    assert "This link" in page.get_data(as_text=True)
    assert client.post(f"/p/stop/{token}", data=ONE_CLICK).status_code == status
    signed_in = app.test_client()
    csrf = CSRF_RE.search(signed_in.get(_link(app, ann.id)).get_data(as_text=True)).group(1)
    assert signed_in.post(f"/p/stop/{token}", data={"choice": "stop", "csrf_token": csrf}
                          ).status_code == status
    assert _row(db, ann.id) == before and len(_events(db)) == events


def test_an_erased_patients_link_no_longer_works(app, db, client, ann):
    link = _link(app, ann.id)
    ann.erased_at = utcnow()
    db.add(ann)
    db.commit()
    assert client.post(link, data=ONE_CLICK).status_code == 404
    assert _row(db, ann.id)["reminders_stopped_at"] is None


def test_a_link_opened_where_another_patient_is_signed_in_acts_for_its_own(app, db, client,
                                                                            ann):
    bo = db.get(Patient, planned_course(db, study_code="NT-B", first_name="Bo",
                                        email="bo@example.test").patient_id)
    assert client.get(progress_link(db, bo)).status_code == 303  # Bo's session in this browser
    assert _choose(client, _link(app, ann.id), "stop").status_code == 200
    assert _row(db, ann.id)["reminders_stopped_at"] is not None
    assert _row(db, bo.id)["reminders_stopped_at"] is None
    (event,) = _events(db, "reminders_stopped")
    assert (event.actor_id, event.patient_id) == (ann.id, ann.id)
    count = db.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.patient_id == bo.id, AuditEvent.action.startswith("reminders"))).one()
    assert count == 0


def test_the_progress_page_links_to_the_patients_own_choices(app, db, client, ann):
    assert client.get(progress_link(db, ann)).status_code == 303
    html = client.get("/p/").get_data(as_text=True)
    (link,) = re.findall(r'href="(/p/stop/[^"]+)"', html)
    assert _choose(client, link, "pause").status_code == 200
    html = client.get("/p/").get_data(as_text=True)
    assert "Your reminders are paused until" in html
    _choose(client, link, "stop")
    html = client.get("/p/").get_data(as_text=True)
    assert "You stopped reminders" in html and "/p/stop/" not in html
