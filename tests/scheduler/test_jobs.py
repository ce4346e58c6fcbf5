"""The scheduler's jobs: mark-missed, re-plan and the batched dispatch pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from scheduler.jobs import run_dispatch, run_mark_missed, run_once, run_replan
from tests.support.factories import add_weekly_sessions, make_course, planned_course
from webapp.models import AuditEvent, Reminder, SurveyAssignment, TreatmentCourse

BASELINE_ENDS = datetime(2026, 1, 13, 0, 0, tzinfo=UTC)


class Sink:
    def __init__(self):
        self.sent = []

    def send(self, message, to):
        self.sent.append(message.message_id)
        return ""


def assignment(db, slot: str) -> SurveyAssignment:
    db.expire_all()
    return db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == slot)).one()


@pytest.mark.parametrize(("status", "expected"), [
    ("pending", "missed"), ("open", "missed"), ("in_progress", "missed"),
    ("completed", "completed"), ("cancelled", "cancelled"),
])
def test_mark_missed_closes_unanswered_windows(app, db, status, expected):
    planned_course(db)
    row = assignment(db, "baseline")
    row.status = status
    db.add(row)
    db.commit()
    assert run_mark_missed(app, BASELINE_ENDS - timedelta(seconds=1)) == 0
    assert run_mark_missed(app, BASELINE_ENDS) == (1 if expected == "missed" else 0)
    assert assignment(db, "baseline").status == expected
    assert assignment(db, "after-session:1").status == "pending"
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "assignment_missed")).all()
    assert [e.record_id for e in events] == ([row.id] if expected == "missed" else [])
    if expected == "missed":
        assert events[0].detail == {"slot": "baseline"} and events[0].actor_type == "system"
        reminders = db.exec(select(Reminder).where(Reminder.assignment_id == row.id)).all()
        assert {r.status for r in reminders} == {"expired"}
    assert run_mark_missed(app, BASELINE_ENDS) == 0  # safe to re-run


def test_replan_job_picks_up_changed_courses(app, db):
    course = make_course(db)
    add_weekly_sessions(db, course, datetime(2026, 1, 12, 10, 0, tzinfo=UTC), 2)
    assert run_replan(app, datetime(2026, 1, 1, tzinfo=UTC)) == (1, 0)
    assert run_replan(app, datetime(2026, 1, 1, tzinfo=UTC)) == (0, 0)
    db.expire_all()
    stored = db.get(TreatmentCourse, course.id)
    assert stored.needs_replan is False
    assert db.exec(select(Reminder)).first() is not None


def test_dispatch_job_runs_batch_after_batch(app, db):
    for n in range(5):
        planned_course(db, study_code=f"NT-{n:04d}", email=f"p{n}@example.test")
    sink = Sink()
    report = run_dispatch(app, datetime(2026, 1, 5, 9, 0, tzinfo=UTC), batch_size=2,
                          channels={"email": sink})
    assert (report.sent, report.claimed) == (5, 5)
    assert len(set(sink.sent)) == 5


def test_run_once_does_replan_dispatch_and_mark_missed(app, db):
    course = planned_course(db)
    course.needs_replan = True
    db.add(course)
    db.commit()
    sink = Sink()
    # Down since 4 January: the baseline window has closed, after-session:1 opens today.
    report = run_once(app, datetime(2026, 1, 14, 9, 0, tzinfo=UTC), channels={"email": sink})
    assert (report.replanned, report.replan_errors, report.missed) == (1, 0, 1)
    assert (report.dispatch.sent, report.dispatch.expired, len(sink.sent)) == (1, 3, 1)
    assert assignment(db, "baseline").status == "missed"
    assert "replanned 1" in report.describe() and "missed 1" in report.describe()
