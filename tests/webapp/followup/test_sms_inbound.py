"""The SMS gateway's inbound webhook: STOP from a patient's phone, and everything else refused."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from tests.support.factories import make_course
from webapp.models import AuditEvent, Patient

TOKEN = "inbound-secret-7f3a"
HOOK = "/hooks/sms/inbound"
PHONE = "+44 7700 900123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SMS_INBOUND_TOKEN": TOKEN}


@pytest.fixture
def ann(db):
    return make_course(db, phone=PHONE).patient_id


def _state(db, pid):
    db.expire_all()
    patient = db.get(Patient, pid)
    events = db.exec(select(func.count()).select_from(AuditEvent)).one()
    return patient.reminders_stopped_at, patient.reminders_paused_until, events


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "UNSUBSCRIBE", "arrêt", "BAJA",
                                  "لغو"])
def test_a_stop_word_from_a_patients_phone_stops_reminders(client, db, ann, text):
    response = client.post(HOOK, json={"from": "+447700900123", "text": text}, headers=AUTH)
    assert response.status_code == 204 and response.get_data() == b""
    stopped_at, paused_until, _events = _state(db, ann)
    assert stopped_at is not None and paused_until is None
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "reminders_stopped")).one()
    assert (event.actor_type, event.actor_label, event.patient_id, event.detail) == (
        "system", "sms-inbound", ann, {"via": "sms"})
    assert "7700" not in json.dumps(event.detail) and event.ip is None


@pytest.mark.parametrize("message", [
    {"from": "+447700900999", "text": "STOP"},  # unknown number
    {"from": "+447700900123", "text": "Stop sending me the wrong date"},
    {"from": "+447700900123", "text": "Yes"},
    {"from": "+447700900123", "text": "STOP" + " " * 2000},
    {"from": "", "text": "STOP"},
    {"from": "+44" + "7" * 100, "text": "STOP"},
])
def test_anything_else_changes_nothing_and_says_nothing(client, db, ann, message):
    before = _state(db, ann)
    response = client.post(HOOK, json=message, headers=AUTH)
    assert response.status_code == 204 and response.get_data() == b""
    assert _state(db, ann) == before


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
    {"Authorization": f"bearer {TOKEN}x"}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Bearer " + "\u00e9" * 20},
])
def test_without_the_token_the_hook_refuses(client, db, ann, headers):
    before = _state(db, ann)
    response = client.post(HOOK, json={"from": PHONE, "text": "STOP"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _state(db, ann) == before


def test_an_unset_token_turns_the_hook_off(app, client, db, ann):
    app.config["SMS_INBOUND_TOKEN"] = None
    before = _state(db, ann)
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert client.post(HOOK, json={"from": PHONE, "text": "STOP"},
                           headers=headers).status_code == 403
    assert _state(db, ann) == before


@pytest.mark.parametrize("body", [
    b"", b"STOP", b"{", b"[]", b"null", b'"STOP"', b'{"from": 447700900123, "text": "STOP"}',
    b'{"from": "+447700900123", "text": ["STOP"]}', b'{"from": "+447700900123"}',
    b"[" * 5000 + b"]" * 5000, b'{"from": "+447700900123", "text": "STOP", "n": 1' +
    b"0" * 5000 + b"}", b"\xff\xfe\x00S\x00T", b'{"from": "\\ud800", "text": "STOP"}',
    b'{"from": "+447700900123", "text": "' + b"A" * 5000 + b'"}',
])
def test_hostile_bodies_are_refused_with_no_change_and_no_error(client, db, ann, body):
    before = _state(db, ann)
    response = client.post(HOOK, data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code in (204, 400)
    assert _state(db, ann) == before


def test_the_hook_takes_no_get(client):
    assert client.get(HOOK).status_code == 405
