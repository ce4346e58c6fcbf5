"""The dispatcher's batch: one read per claimed batch, one commit per reminder, crash-safe."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from scheduler import dispatch as dispatcher
from scheduler.dispatch import dispatch_due
from tests.support.factories import planned_course
from webapp.db import get_engine
from webapp.models import AuditEvent, PatientToken, Reminder, SurveyAssignment

CONFIG = {"BASE_URL": "https://clinic.example.org", "CLINIC_NAME": "Riverside Clinic"}
BASELINE_OPEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # each course's first reminder is due


class Crash(BaseException):
    """The process dying after the channel accepted a message (not an error it could catch)."""


class Channel:
    """Records what it sends; can run a hook after a send, or crash after the n-th one."""

    def __init__(self, crash_after: int | None = None, after_send=None):
        self.sent: list[str] = []
        self.crash_after, self.after_send = crash_after, after_send

    def send(self, message, to):
        self.sent.append(message.message_id)
        if self.after_send is not None:
            self.after_send(len(self.sent))
        if self.crash_after is not None and len(self.sent) == self.crash_after:
            raise Crash
        return ""


def patients(db, count: int) -> list[int]:
    """Plan `count` patients whose first reminder is due at BASELINE_OPEN; return course ids."""
    return [planned_course(db, study_code=f"NT-{n:04d}", email=f"p{n}@example.test").id
            for n in range(count)]


def statuses(db) -> Counter:
    db.expire_all()
    return Counter(r.status for r in db.exec(select(Reminder)).all())


def run(db, channel, now=BASELINE_OPEN):
    return dispatch_due(db, now=now, channels={"email": channel}, config=CONFIG)


@pytest.mark.parametrize("due", [1, 6])
def test_one_read_per_batch_and_three_writes_per_reminder(app, db, due):
    patients(db, due)
    seen: Counter = Counter()

    def count(conn, cursor, statement, parameters, context, executemany):
        seen[statement.lstrip().split()[0].upper()] += 1

    event.listen(get_engine(app), "before_cursor_execute", count)
    try:
        report = run(db, Channel())
    finally:
        event.remove(get_engine(app), "before_cursor_execute", count)
    assert report.sent == due
    # claim: stale rows + due rows, then one read of the whole batch, whatever its size
    assert seen["SELECT"] == 3
    assert seen["UPDATE"] == 1 + due  # the claim, then each reminder's fenced update
    assert seen["INSERT"] == 2 * due  # each reminder's link token and audit row
    assert len(db.exec(select(PatientToken)).all()) == due
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "reminder_sent")).all()) \
        == due


def test_a_crash_after_the_channel_accepted_repeats_only_that_reminder(app, db):
    patients(db, 5)
    crashing = Channel(crash_after=3)
    with pytest.raises(Crash):
        run(db, crashing)
    # Sends 1 and 2 were committed one by one; the 3rd was accepted but never recorded.
    assert statuses(db)["sent"] == 2
    assert len(db.exec(select(PatientToken)).all()) == 2
    after_lease = Channel()
    report = run(db, after_lease, BASELINE_OPEN + timedelta(minutes=6))
    assert report.sent == 3 and statuses(db)["sent"] == 5
    every = crashing.sent + after_lease.sent
    assert len(every) == 6 and len(set(every)) == 5
    [(repeated, times)] = [(m, n) for m, n in Counter(every).items() if n > 1]
    assert repeated == crashing.sent[-1] and times == 2  # the same Message-ID: one duplicate


@pytest.mark.parametrize(("fresh_for", "reminded"), [
    (-1.0, 1),  # read again before every row: the answered follow-up is not reminded
    (3600.0, 2),  # a read younger than FRESH_FOR is trusted (the bound on staleness)
])
def test_a_batch_read_is_renewed_when_old(app, db, monkeypatch, fresh_for, reminded):
    course_ids = patients(db, 2)
    second = db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course_ids[1], SurveyAssignment.slot == "baseline")).one()

    def answered_meanwhile(sent_so_far: int) -> None:
        if sent_so_far == 1:  # the second patient answers while the first is being reminded
            second.status = "completed"
            db.add(second)
            db.commit()

    monkeypatch.setattr(dispatcher, "FRESH_FOR", fresh_for)
    channel = Channel(after_send=answered_meanwhile)
    report = run(db, channel)
    assert (report.sent, report.expired) == (reminded, 2 - reminded)
    assert statuses(db)["cancelled"] == 2 - reminded


@pytest.mark.parametrize("taken_over", [False, True])
def test_a_lost_lease_records_nothing(app, db, taken_over):
    patients(db, 1)

    def another_dispatcher_reclaims(_sent_so_far: int) -> None:
        if taken_over:  # our lease ran out mid-send and another dispatcher claimed the row
            row = db.exec(select(Reminder).where(Reminder.status == "sending")).one()
            row.lease_until = BASELINE_OPEN + timedelta(hours=1)
            db.add(row)
            db.commit()

    report = run(db, Channel(after_send=another_dispatcher_reclaims))
    assert (report.sent, report.skipped) == ((0, 1) if taken_over else (1, 0))
    assert statuses(db)["sending"] == (1 if taken_over else 0)
    assert len(db.exec(select(PatientToken)).all()) == (0 if taken_over else 1)
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "reminder_sent")).all()) \
        == (0 if taken_over else 1)
