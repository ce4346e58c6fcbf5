"""Enrolling a patient whose baseline window is open: the first reminder goes at once.

The clock is injected (``enrol(..., now=...)``), so the cases walk across quiet hours: the
default protocol's quiet hours run from 21:00 to 08:00 in the patient's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from webapp.audit import Actor
from webapp.followup.replan import replan_course
from webapp.models import Reminder, SurveyAssignment
from webapp.patients.actions import Enrolment, enrol
from webapp.protocols.store import ensure_default_protocol


def _enrol(db, now: datetime, first_session: datetime):
    version = ensure_default_protocol(db)
    enrolment = Enrolment(study_code="NT-0300", first_name="Lou", email="lou@example.test",
                          phone=None, timezone="Europe/London", language="en",
                          preferred_channel="email", consent_date=date(2026, 3, 1),
                          regions=["median-carpal-tunnel-right"],
                          protocol_version_id=version.id, enrolled_on=now.date(),
                          first_session_local=first_session)
    course = enrol(db, enrolment, now=now, actor=Actor())
    db.commit()
    return course


def _baseline_reminders(db, course) -> list[tuple[str, datetime]]:
    db.expire_all()
    baseline = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course.id,
                                                      SurveyAssignment.slot == "baseline")).one()
    rows = db.exec(select(Reminder).where(Reminder.assignment_id == baseline.id,
                                          Reminder.status == "pending")
                   .order_by(Reminder.send_at)).all()
    return [(r.slot_key.split("/")[2], r.send_at) for r in rows]


FIRST = datetime(2026, 3, 5, 10, 0)  # first session, London time; baseline opens 26 Feb
CLOSE_1 = ("close-1", datetime(2026, 3, 4, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(("now", "expected"), [
    # mid-morning, 4 days into the window: at the next whole minute, not on 4 March
    (datetime(2026, 3, 2, 10, 17, 30, tzinfo=UTC),
     [("enrolled", datetime(2026, 3, 2, 10, 18, tzinfo=UTC)), CLOSE_1]),
    # late evening, in quiet hours: 08:00 the next morning
    (datetime(2026, 3, 2, 22, 30, tzinfo=UTC),
     [("enrolled", datetime(2026, 3, 3, 8, 0, tzinfo=UTC)), CLOSE_1]),
    # early morning, in quiet hours: 08:00 the same morning
    (datetime(2026, 3, 2, 5, 45, tzinfo=UTC),
     [("enrolled", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)), CLOSE_1]),
    # before the window opens: the planned steps, the first on the opening day at 09:00
    (datetime(2026, 2, 20, 12, 0, tzinfo=UTC),
     [("open+0", datetime(2026, 2, 26, 9, 0, tzinfo=UTC)),
      ("open+2", datetime(2026, 2, 28, 9, 0, tzinfo=UTC)), CLOSE_1]),
])
def test_the_first_reminder_goes_at_the_next_allowed_time(db, now, expected):
    course = _enrol(db, now, FIRST)
    assert _baseline_reminders(db, course) == expected


def test_later_re_plans_keep_that_one_reminder(db):
    now = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    course = _enrol(db, now, FIRST)
    for later in (timedelta(minutes=10), timedelta(hours=12), timedelta(days=1)):
        replan_course(db, course.id, now=now + later)
        db.commit()
    db.expire_all()
    keys = db.exec(select(Reminder.slot_key).where(Reminder.slot_key.contains("/enrolled/"))
                   ).all()
    assert len(keys) == 1  # one outbox row, whatever the number of re-plans
