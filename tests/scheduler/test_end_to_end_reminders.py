"""End to end: plan, walk an injected clock through a year, deliver to a real SMTP server.

The clock jumps to every instant something can happen (a reminder or retry due, a lease running
out, 02:30 UTC daily, a scripted event) and runs the scheduler's replan + dispatch + mark-missed
pass there, exactly as the process would. The SMTP server (aiosmtpd) records what arrived when.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, func, select

from scheduler.dispatch import channels_from_config, dispatch_due
from scheduler.jobs import run_once
from scheduler.messages import message_id_for
from scheduler.protocol import load_default_protocol, protocol_to_dict
from tests.support.factories import add_weekly_sessions, make_course, planned_course
from webapp.db import get_engine
from webapp.models import (
    AuditEvent,
    Protocol,
    Reminder,
    SurveyAssignment,
    TreatmentSession,
)
from webapp.protocols.store import add_protocol_version
from webapp.survey.answers import complete_assignment
from webapp.survey.instruments import library_for

DOMAIN = "clinic.example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An SMTP handler that records (clock time, message) and can answer 451 or 550."""

    def __init__(self):
        self.now: datetime | None = None
        self.received: list[tuple[datetime, email.message.EmailMessage]] = []
        self.data_reply: str | None = None
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        content = envelope.content.replace(b"\r\n", b"\n")
        self.received.append((self.now, email.message_from_bytes(
            content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


class MailServer:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self):
        self.port, self.handler, self.controller = free_port(), Recorder(), None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None

    def by_id(self) -> Counter:
        return Counter(msg["Message-ID"].strip() for _, msg in self.handler.received)


@pytest.fixture
def mail():
    server = MailServer()
    server.start()
    yield server
    if server.controller is not None:
        server.stop()


@pytest.fixture
def app_config(app_config, mail):
    return {**app_config, "REMINDER_CHANNEL": None, "SMTP_URL": f"smtp://127.0.0.1:{mail.port}",
            "MAIL_SENDER": "Riverside Clinic <no-reply@clinic.example.org>",
            "CLINIC_NAME": "Riverside Clinic", "BASE_URL": f"https://{DOMAIN}"}


class Walk:
    """Move an injected clock from one interesting instant to the next, running a pass at each."""

    def __init__(self, app, db: Session, mail: MailServer, start: datetime):
        self.app, self.db, self.mail, self.now = app, db, mail, start
        self.events: list[tuple[datetime, object]] = []

    def at(self, when: datetime, action) -> None:
        self.events.append((when, action))
        self.events.sort(key=lambda e: e[0])

    def _next_daily(self) -> datetime:
        tick = datetime.combine(self.now.date(), time(2, 30), tzinfo=UTC)
        return tick if tick > self.now else tick + timedelta(days=1)

    def _next_due(self) -> datetime | None:
        self.db.expire_all()
        pending = self.db.exec(select(func.min(Reminder.next_attempt_at)).where(
            Reminder.status == "pending", Reminder.next_attempt_at > self.now)).one()
        lease = self.db.exec(select(func.min(Reminder.lease_until)).where(
            Reminder.status == "sending")).one()
        lease = lease + timedelta(microseconds=1) if lease else None
        return min((t for t in (pending, lease) if t is not None), default=None)

    def pass_at(self, now: datetime) -> None:
        self.now = self.mail.handler.now = now
        run_once(self.app, now)

    def run_until(self, end: datetime) -> None:
        while True:
            candidates = [self._next_daily(), self._next_due(),
                          self.events[0][0] if self.events else None]
            step = min(t for t in candidates if t is not None)
            if step > end:
                return
            self.now = self.mail.handler.now = step
            while self.events and self.events[0][0] <= step:
                self.events.pop(0)[1](step)
            self.pass_at(step)


def received_rows(db: Session, mail: MailServer) -> dict[str, tuple[datetime, Reminder]]:
    """Map each received Message-ID to (arrival, its reminder row)."""
    rows = {message_id_for(r.slot_key, DOMAIN): r for r in db.exec(select(Reminder)).all()}
    return {msg["Message-ID"].strip(): (at, rows[msg["Message-ID"].strip()])
            for at, msg in mail.handler.received}


def early_bird_version(db: Session):
    """The default protocol, but reminders at 07:00: quiet hours push them to 08:00."""
    definition = protocol_to_dict(load_default_protocol())
    definition.update(name="Early bird", reminder_time="07:00")
    proto = Protocol(name="Early bird")
    db.add(proto)
    db.flush()
    version = add_protocol_version(db, proto, definition)
    db.commit()
    return version


def test_a_year_of_reminders_on_time_moved_and_stopped(app, db, mail):
    ana = make_course(db, study_code="NT-ANA", first_name="Ana", timezone="America/New_York",
                      email="ana@example.test", enrolled_on=datetime(2026, 2, 2).date())
    ben = make_course(db, study_code="NT-BEN", first_name="Ben", timezone="Australia/Sydney",
                      email="ben@example.test", enrolled_on=datetime(2026, 2, 2).date())
    ben.protocol_version_id = early_bird_version(db).id
    db.add(ben)
    first = datetime(2026, 2, 9, 15, 0, tzinfo=UTC)
    ana_sessions = add_weekly_sessions(db, ana, first, 3)
    add_weekly_sessions(db, ben, first, 3)
    walk = Walk(app, db, mail, datetime(2026, 2, 1, 12, 0, tzinfo=UTC))
    walk.pass_at(walk.now)  # the replan job plans both courses
    moved = ana_sessions[1]

    def move_session(now):
        session_row = db.get(TreatmentSession, moved.id)
        session_row.scheduled_at = datetime(2026, 2, 18, 15, 0, tzinfo=UTC)
        course = db.get(type(ana), ana.id)
        course.needs_replan = True
        db.add_all([session_row, course])
        db.commit()

    completed_at = datetime(2026, 3, 21, 12, 0, tzinfo=UTC)

    def complete_m1(now):
        row = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == ana.id,
                                                     SurveyAssignment.slot == "m1")).one()
        complete_assignment(db, assignment=row, library=library_for(app), now=now)
        db.commit()

    walk.at(datetime(2026, 2, 10, 12, 0, tzinfo=UTC), move_session)
    walk.at(completed_at, complete_m1)
    walk.run_until(datetime(2027, 3, 15, tzinfo=UTC))

    db.expire_all()
    counts = mail.by_id()
    assert counts and max(counts.values()) == 1  # nothing twice
    sent = db.exec(select(Reminder).where(Reminder.status == "sent")).all()
    assert set(counts) == {message_id_for(r.slot_key, DOMAIN) for r in sent}
    arrivals = received_rows(db, mail)
    assert len(arrivals) > 40
    assignments = {a.id: a for a in db.exec(select(SurveyAssignment)).all()}
    expected_local = {ana.patient_id: ("America/New_York", time(9, 0)),
                      ben.patient_id: ("Australia/Sydney", time(8, 0))}
    for at, row in arrivals.values():
        zone, wall = expected_local[row.patient_id]
        assert at.astimezone(ZoneInfo(zone)).time() == wall, row.slot_key
        assert at == row.send_at  # sent at its planned instant, never late
        assert assignments[row.assignment_id].opens_at <= at < assignments[
            row.assignment_id].closes_at
    for _, msg in mail.handler.received:
        assert msg["Subject"] == "Riverside Clinic: how are you doing?"

    ana_keys = {row.slot_key for _, row in arrivals.values() if row.patient_id == ana.patient_id}
    moved_keys = {k for k in ana_keys if f"pre-session:{moved.id}/" in k}
    assert moved_keys == {f"c{ana.id}/pre-session:{moved.id}/open+0/email@20260216T1400Z",
                          f"c{ana.id}/pre-session:{moved.id}/close-1/email@20260217T1400Z"}
    m1 = {k.split("/")[2] for k in ana_keys if k.startswith(f"c{ana.id}/m1/")}
    assert m1 == {"open+0", "open+2"}  # close-1 came after the answers
    m1_row = next(a for a in assignments.values()
                  if a.course_id == ana.id and a.slot == "m1")
    assert all(at < completed_at for at, row in arrivals.values()
               if row.assignment_id == m1_row.id)
    statuses = Counter(r.status for r in db.exec(select(Reminder)).all())
    assert set(statuses) <= {"sent", "cancelled"}  # on time: nothing expired, failed or left
    live = [a for a in assignments.values() if a.status in ("pending", "open", "in_progress")]
    assert live == []
    missed = [a.id for a in assignments.values() if a.status == "missed"]
    events = db.exec(select(AuditEvent.record_id).where(
        AuditEvent.action == "assignment_missed")).all()
    assert sorted(events) == sorted(missed) and m1_row.id not in missed
    assert len(db.exec(select(AuditEvent).where(
        AuditEvent.action == "reminder_sent")).all()) == len(sent)


class Killed(BaseException):
    """The dispatcher process dies (not an Exception: nothing in the dispatcher catches it)."""


class DieAfter:
    def __init__(self, channel, sends: int):
        self.channel, self.left = channel, sends

    def send(self, message, to):
        if self.left == 0:
            raise Killed
        self.left -= 1
        return self.channel.send(message, to)


def test_faults_451_550_server_down_and_a_killed_dispatcher(app, db, mail):
    courses = [planned_course(db, study_code=f"NT-{n}", first_name=f"P{n}",
                              email=f"p{n}@example.test") for n in range(5)]
    handler = mail.handler
    walk = Walk(app, db, mail, datetime(2026, 1, 4, 12, 0, tzinfo=UTC))

    walk.at(datetime(2026, 1, 5, 8, 0, tzinfo=UTC), lambda now: setattr(
        handler, "data_reply", "451 4.3.0 Try again later"))
    walk.at(datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC), lambda now: setattr(
        handler, "data_reply", None))
    walk.at(datetime(2026, 1, 7, 8, 0, tzinfo=UTC), lambda now: handler.refuse.update(
        {"p0@example.test": "550 5.1.1 No such user"}))
    walk.at(datetime(2026, 1, 7, 10, 0, tzinfo=UTC), lambda now: handler.refuse.clear())
    walk.at(datetime(2026, 1, 10, 12, 0, tzinfo=UTC), lambda now: mail.stop())
    walk.at(datetime(2026, 1, 11, 10, 0, tzinfo=UTC), lambda now: mail.start())

    def killed_pass(now):
        mail.handler.now = now
        dying = DieAfter(channels_from_config(app.config)["email"], sends=2)
        with Session(get_engine(app), expire_on_commit=False) as other, pytest.raises(Killed):
            dispatch_due(other, now=now, channels={"email": dying}, config=app.config)

    walk.at(datetime(2026, 1, 14, 9, 0, tzinfo=UTC), killed_pass)
    walk.run_until(datetime(2026, 1, 15, tzinfo=UTC))

    db.expire_all()
    counts = mail.by_id()
    assert max(counts.values()) == 1
    rows = {r.slot_key: r for r in db.exec(select(Reminder)).all()}

    def step(n, key):
        return rows[f"c{courses[n].id}/{key}"]

    for n in range(5):  # 451 at 09:00, recovered at 09:00:30: retried once, delivered once
        row = step(n, "baseline/open+0/email@20260105T0900Z")
        assert (row.status, row.attempts) == ("sent", 1)
        assert row.sent_at == row.next_attempt_at > datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)
    refused = step(0, "baseline/open+2/email@20260107T0900Z")
    assert (refused.status, refused.attempts) == ("failed", 1)  # 550: never retried
    assert refused.last_error == "recipient refused: SMTP 550"
    assert message_id_for(refused.slot_key, DOMAIN) not in counts
    [failed_event] = db.exec(select(AuditEvent).where(
        AuditEvent.action == "reminder_failed")).all()
    assert failed_event.record_id == refused.id
    assert all(step(n, "baseline/open+2/email@20260107T0900Z").status == "sent"
               for n in range(1, 5))
    for n in range(5):  # down 10 Jan 12:00 to 11 Jan 10:00: nothing lost
        row = step(n, "baseline/close-1/email@20260111T0900Z")
        assert row.status == "sent" and row.attempts >= 3
        assert row.sent_at > datetime(2026, 1, 11, 10, 0, tzinfo=UTC)
        assert counts[message_id_for(row.slot_key, DOMAIN)] == 1
    killed = [r for key, r in rows.items()
              if "/after-session:" in key and key.endswith("/open+0/email@20260114T0900Z")]
    assert len(killed) == 5
    assert all(r.status == "sent" for r in killed)
    assert sorted(r.sent_at for r in killed)[2:] == [datetime(2026, 1, 14, 9, 5, 0, 1,
                                                              tzinfo=UTC)] * 3
    assert all(counts[message_id_for(r.slot_key, DOMAIN)] == 1 for r in killed)
