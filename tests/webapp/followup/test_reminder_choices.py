"""Reminder choices in the database: pause, stop, resume, STOP by phone, what coordinators see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from webapp.audit import Actor
from webapp.followup.reminder_choices import (
    PAUSE_FOR,
    ReminderChoice,
    pause_reminders,
    reminder_choices,
    reminder_state,
    resume_reminders,
    stop_reminders,
    stop_reminders_for_phone,
)
from webapp.models import AuditEvent, Patient

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ME = Actor("patient", None, None, "192.0.2.1")
COORDINATOR = Actor("staff", 7, "coordinator@clinic.test", "192.0.2.9")


@pytest.mark.parametrize(("paused_until", "stopped_at", "state"), [
    (None, None, None),
    (NOW + timedelta(seconds=1), None, "paused"),
    (NOW, None, None),  # a pause ends at its instant
    (NOW - timedelta(days=1), None, None),
    (None, NOW - timedelta(days=30), "stopped"),
    (NOW + timedelta(days=3), NOW - timedelta(days=1), "stopped"),
])
def test_reminder_state(paused_until, stopped_at, state):
    assert reminder_state(paused_until, stopped_at, NOW) == state


@pytest.fixture
def people(db):
    ids = {}
    for code, phone in (("NT-1", "+44 7700 900123"), ("NT-2", "+447700900123"),
                        ("NT-3", "+44 7700 900999"), ("NT-4", None)):
        ids[code] = make_course(db, study_code=code, email=f"{code}@example.test",
                                phone=phone).patient_id
    return ids


def _choice_columns(db, pid):
    db.expire_all()
    p = db.get(Patient, pid)
    return p.reminders_paused_until, p.reminders_stopped_at


def test_pause_then_stop_then_resume(db, people):
    pid = people["NT-1"]
    assert pause_reminders(db, pid, now=NOW, actor=ME, via="link") == NOW + PAUSE_FOR
    assert _choice_columns(db, pid) == (NOW + PAUSE_FOR, None)
    later = NOW + timedelta(days=2)
    assert pause_reminders(db, pid, now=later, actor=ME, via="link") == later + PAUSE_FOR
    assert stop_reminders(db, pid, now=later, actor=ME, via="link") is True
    assert stop_reminders(db, pid, now=later + timedelta(1), actor=ME, via="link") is False
    assert pause_reminders(db, pid, now=later, actor=ME, via="link") is None
    assert _choice_columns(db, pid) == (later + PAUSE_FOR, later)
    assert resume_reminders(db, pid, actor=COORDINATOR) is True
    assert resume_reminders(db, pid, actor=COORDINATOR) is False
    assert _choice_columns(db, pid) == (None, None)
    db.commit()
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_type, e.record_id) for e in events] == [
        ("reminders_paused", "patient", pid), ("reminders_paused", "patient", pid),
        ("reminders_stopped", "patient", pid), ("reminders_resumed", "staff", pid)]


@pytest.mark.parametrize(("number", "stopped"), [
    ("+447700900123", {"NT-1", "NT-2"}),  # one phone shared by two patients: both stop
    ("+44 (0) 7700-900-999", set()),  # other digits
    ("447700900999", {"NT-3"}),
    ("+1 555 0100", set()),
    ("12345", set()),  # too short to be anyone's
    ("", set()),
])
def test_stop_by_phone_matches_digits(db, people, number, stopped):
    count = stop_reminders_for_phone(db, number, now=NOW)
    db.commit()
    assert count == len(stopped)
    assert {code for code, pid in people.items()
            if _choice_columns(db, pid)[1] is not None} == stopped
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "reminders_stopped")).all()
    assert {(e.actor_type, e.actor_label, e.detail["via"]) for e in events} <= {
        ("system", "sms-inbound", "sms")}


def test_an_erased_patient_is_never_changed(db, people):
    pid = people["NT-3"]
    patient = db.get(Patient, pid)
    patient.erased_at = NOW
    db.add(patient)
    db.commit()
    assert stop_reminders_for_phone(db, "+447700900999", now=NOW) == 0
    assert stop_reminders(db, pid, now=NOW, actor=ME, via="link") is False
    assert _choice_columns(db, pid) == (None, None)


def test_coordinators_see_each_standing_choice(db, people):
    pause_reminders(db, people["NT-1"], now=NOW, actor=ME, via="link")
    stop_reminders(db, people["NT-2"], now=NOW, actor=ME, via="one-click")
    pause_reminders(db, people["NT-3"], now=NOW - timedelta(days=8), actor=ME, via="link")
    db.commit()
    assert reminder_choices(db, now=NOW) == {
        people["NT-1"]: ReminderChoice(people["NT-1"], "paused", until=NOW + PAUSE_FOR),
        people["NT-2"]: ReminderChoice(people["NT-2"], "stopped", since=NOW),
    }
    assert list(reminder_choices(db, now=NOW, patient_ids=[people["NT-2"], people["NT-4"]])) \
        == [people["NT-2"]]
    assert reminder_choices(db, now=NOW + PAUSE_FOR, patient_ids=[people["NT-1"]]) == {}
