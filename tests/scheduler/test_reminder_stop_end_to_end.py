"""End to end: patients stop and pause reminders, through a real SMTP server and SMS gateway.

The dispatcher sends through aiosmtpd and a local HTTP SMS gateway; the email's RFC 8058
one-click unsubscribe, the page's pause and the gateway's inbound STOP then reach the app as a
mail provider, a patient and a gateway would, and the next dispatch must send that patient
nothing, while everybody else's reminders and the patient's own surveys carry on.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from scheduler.dispatch import channels_from_config, dispatch_due
from tests.support.factories import planned_course
from webapp.models import AuditEvent, Patient, Reminder, SurveyAssignment, utcnow
from webapp.survey.stop_links import read_stop_token

BASE = "https://clinic.example.org"
INBOUND = "gateway-inbound-token"
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(
            envelope.content.replace(b"\r\n", b"\n"), policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class Gateway(BaseHTTPRequestHandler):
    """The SMS gateway: records each JSON message it is asked to send."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.sent.append(json.loads(body))
        reply = json.dumps({"id": f"sms-{len(self.server.sent)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.sent = []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_config(app_config, inbox, gateway):
    return {**app_config, "REMINDER_CHANNEL": None, "SMTP_URL": f"smtp://127.0.0.1:{inbox[0]}",
            "MAIL_SENDER": "Riverside Clinic <no-reply@clinic.example.org>",
            "SMS_URL": f"http://127.0.0.1:{gateway.server_port}/v1/sms", "SMS_TOKEN": "out-tok",
            "SMS_INBOUND_TOKEN": INBOUND, "CLINIC_NAME": "Riverside Clinic", "BASE_URL": BASE}


def _patient(db, code, name, **contact) -> int:
    now = utcnow()
    return planned_course(db, study_code=code, first_name=name, now=now, sessions=3,
                          first_session=now + timedelta(days=2), **contact).patient_id


def _due(db, patient_id: int, now) -> Reminder:
    """Make the patient's next planned reminder due now (the planner put it days ahead)."""
    db.expire_all()
    row = db.exec(select(Reminder).where(Reminder.patient_id == patient_id,
                                         Reminder.status == "pending")
                  .order_by(Reminder.send_at)).first()
    row.next_attempt_at = now - timedelta(seconds=1)
    db.add(row)
    db.commit()
    return row


def _dispatch(app, db, now):
    return dispatch_due(db, now=now, channels=channels_from_config(app.config), config=app.config)


def _status(db, reminder_id: int) -> str:
    db.expire_all()
    return db.get(Reminder, reminder_id).status


def _stopped(db, patient_id: int):
    db.expire_all()
    return db.get(Patient, patient_id).reminders_stopped_at


def _audits(db, action: str) -> list[AuditEvent]:
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_one_click_unsubscribe_from_a_real_email_stops_that_patient_only(app, db, inbox):
    _port, mail = inbox
    ann = _patient(db, "NT-A", "Ann", email="ann@example.test")
    bo = _patient(db, "NT-B", "Bo", email="bo@example.test")
    now = utcnow()
    _due(db, ann, now)
    _due(db, bo, now)
    assert _dispatch(app, db, now).sent == 2
    (message,) = mail.to("ann@example.test")
    header = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == ONE_CLICK
    link = re.fullmatch(r"<(https://clinic\.example\.org/p/stop/[^>]+)>", header).group(1)
    assert link in message.get_body(("plain",)).get_content()
    path = urlsplit(link).path
    assert read_stop_token(app.config["SECRET_KEY"], path.rsplit("/", 1)[1], now=utcnow()) == (
        "ok", ann)
    survey_link = re.search(r"https://clinic\.example\.org(/p/t/\S+)",
                            message.get_body(("plain",)).get_content()).group(1)

    provider = app.test_client()  # the mail provider's POST: no cookie, no CSRF token
    assert provider.post(path, data=ONE_CLICK, headers=FORM).status_code == 200
    assert _stopped(db, ann) is not None and _stopped(db, bo) is None
    assert provider.post(path, data=ONE_CLICK, headers=FORM).status_code == 200  # replayed
    assert len(_audits(db, "reminders_stopped")) == 1

    later = utcnow()
    held, goes = _due(db, ann, later), _due(db, bo, later)
    report = _dispatch(app, db, later)
    assert (report.sent, report.expired) == (1, 1)
    assert len(mail.to("ann@example.test")) == 1 and len(mail.to("bo@example.test")) == 2
    assert (_status(db, held.id), _status(db, goes.id)) == ("cancelled", "sent")
    db.expire_all()
    live = db.get(SurveyAssignment, held.assignment_id)
    assert live.status in ("pending", "open", "in_progress")  # the survey itself stays open
    assert app.test_client().get(survey_link).status_code == 303  # and her link still works


def test_a_forged_or_tampered_link_stops_nobody(app, db, inbox):
    _port, mail = inbox
    ann = _patient(db, "NT-A", "Ann", email="ann@example.test")
    now = utcnow()
    _due(db, ann, now)
    _dispatch(app, db, now)
    link = re.search(r"<([^>]+)>", mail.messages[0]["List-Unsubscribe"]).group(1)
    path = urlsplit(link).path
    head, payload, stamp, signature = path.rsplit("/", 1)[0], *path.rsplit("/", 1)[1].split(".")
    other = "eyJwIjoyLCJmb3IiOiJyZW1pbmRlcnMifQ"  # {"p":2,"for":"reminders"}, unsigned
    client = app.test_client()
    for forged in (f"{head}/{other}.{stamp}.{signature}",
                   f"{head}/{payload}.{stamp}.{signature[::-1]}",
                   f"{head}/{payload}.{stamp}", f"{head}/{payload}"):
        assert client.post(forged, data=ONE_CLICK, headers=FORM).status_code == 404
    assert _stopped(db, ann) is None and _audits(db, "reminders_stopped") == []
    later = utcnow()
    _due(db, ann, later)
    assert _dispatch(app, db, later).sent == 1


def test_pause_for_a_week_holds_reminders_until_it_ends(app, db, inbox):
    _port, mail = inbox
    ann = _patient(db, "NT-A", "Ann", email="ann@example.test")
    now = utcnow()
    _due(db, ann, now)
    _dispatch(app, db, now)
    page = urlsplit(re.search(r"<([^>]+)>", mail.messages[0]["List-Unsubscribe"]).group(1)).path
    # Over https, as BASE_URL says: the cookie is Secure and CSRF checks the Referer.
    browser = app.test_client()
    token = CSRF_RE.search(browser.get(page, base_url=BASE).get_data(as_text=True)).group(1)
    assert browser.post(page, base_url=BASE, headers={"Referer": BASE + page},
                        data={"choice": "pause", "csrf_token": token}).status_code == 200

    held = _due(db, ann, utcnow())
    assert _dispatch(app, db, utcnow()).sent == 0
    assert _status(db, held.id) == "cancelled"
    db.expire_all()
    week_later = db.get(Patient, ann).reminders_paused_until + timedelta(minutes=1)
    after = db.exec(select(Reminder).where(Reminder.patient_id == ann,
                                           Reminder.status == "pending",
                                           Reminder.send_at > week_later)
                    .order_by(Reminder.send_at)).first()
    report = _dispatch(app, db, after.send_at)  # the pause is over: what is due goes
    assert report.sent >= 1 and len(mail.to("ann@example.test")) == 1 + report.sent
    assert _status(db, after.id) == "sent"


def _inbound(client, token: str | None, sender: str, text: str = "STOP"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/hooks/sms/inbound", json={"from": sender, "text": text},
                       headers=headers)


def test_sms_stop_through_the_gateway_webhook(app, db, gateway):
    cy = _patient(db, "NT-C", "Cy", email=None, phone="+44 7700 900123",
                  preferred_channel="sms")
    now = utcnow()
    _due(db, cy, now)
    assert _dispatch(app, db, now).sent == 1
    (sms,) = gateway.sent
    assert sms["text"].endswith("Reply STOP to stop reminders.")
    client = app.test_client()
    # Refused or ignored: no token, a wrong token, an unknown number, a text that is not STOP.
    assert _inbound(client, None, sms["to"]).status_code == 401
    assert _inbound(client, "wrong", sms["to"]).status_code == 401
    assert _inbound(client, INBOUND, "+447700900999").status_code == 204
    assert _inbound(client, INBOUND, sms["to"], "Thanks, see you Tuesday").status_code == 204
    assert _stopped(db, cy) is None
    _due(db, cy, utcnow())
    assert _dispatch(app, db, utcnow()).sent == 1 and len(gateway.sent) == 2

    assert _inbound(client, INBOUND, sms["to"]).status_code == 204
    assert _stopped(db, cy) is not None
    held = _due(db, cy, utcnow())
    assert _dispatch(app, db, utcnow()).sent == 0
    assert len(gateway.sent) == 2 and _status(db, held.id) == "cancelled"
    (event,) = _audits(db, "reminders_stopped")
    assert (event.actor_type, event.actor_label, event.detail) == ("system", "sms-inbound",
                                                                   {"via": "sms"})


def test_a_fresh_link_the_patient_asks_for_still_goes_after_a_stop(app, db, inbox):
    _port, mail = inbox
    ann = _patient(db, "NT-A", "Ann", email="ann@example.test")
    survey = db.exec(select(SurveyAssignment).where(SurveyAssignment.patient_id == ann)
                     .order_by(SurveyAssignment.opens_at)).first()
    survey.opens_at = utcnow() - timedelta(hours=1)
    db.add(survey)
    db.commit()
    now = utcnow()
    _due(db, ann, now)
    _dispatch(app, db, now)
    path = urlsplit(re.search(r"<([^>]+)>", mail.messages[0]["List-Unsubscribe"]).group(1)).path
    app.test_client().post(path, data=ONE_CLICK, headers=FORM)
    client = app.test_client()
    token = CSRF_RE.search(client.get("/p/", base_url=BASE).get_data(as_text=True)).group(1)
    assert client.post("/p/relink", base_url=BASE, headers={"Referer": f"{BASE}/p/"}, data={
        "address": "ann@example.test", "csrf_token": token}).status_code == 200
    assert _dispatch(app, db, utcnow()).sent == 1
    assert len(mail.to("ann@example.test")) == 2
