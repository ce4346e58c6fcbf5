"""The first reminder at enrolment: a window already open gets a reminder at once, not days later.

The clock is injected: ``enrolled_at`` is the instant the course was enrolled and ``now`` the
instant of the re-plan, so the cases walk across quiet hours and DST without freezing time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scheduler.planner import CourseInfo, SessionInfo, plan_followups
from scheduler.protocol import parse_protocol

# Baseline: due on the first session (5 March 2026, 10:00 UTC), window 26 Feb - 5 Mar,
# reminders on opening (26 Feb), two days later (28 Feb) and the day before closing (4 Mar).
BASELINE = parse_protocol({
    "name": "t", "channels": ["email"], "reminder_time": "09:00",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "timepoints": [{"key": "baseline", "label": "Baseline", "anchor": "first_session",
                    "offset_days": 0, "window": {"opens_days": -7, "closes_days": 0},
                    "instruments": ["nt-pain"],
                    "reminders": [{"when": "open", "days": 0}, {"when": "open", "days": 2},
                                  {"when": "close", "days": -1}]}]})
SESSION = [SessionInfo("s1", datetime(2026, 3, 5, 10, 0, tzinfo=UTC))]


def _utc(month, day, hour, minute=0, second=0):
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def _reminders(enrolled_at, now=None, tz="Europe/London", sessions=SESSION):
    course = CourseInfo(1, enrolled_at.date() if enrolled_at else date(2026, 2, 1), (),
                        enrolled_at=enrolled_at)
    plan = plan_followups(BASELINE, course, sessions, tz, now or enrolled_at or _utc(2, 1, 0))
    (assignment,) = plan.assignments
    return [(r.key.split("/")[1], r.send_at) for r in assignment.reminders]


CLOSE_1 = ("close-1", _utc(3, 4, 9))


@pytest.mark.parametrize(("case", "enrolled_at", "expected"), [
    ("mid-morning, steps of 26 and 28 Feb missed: at once (next whole minute)",
     _utc(3, 2, 10, 17, 30), [("enrolled", _utc(3, 2, 10, 18)), CLOSE_1]),
    ("on the minute: that very minute", _utc(3, 2, 10, 17), [("enrolled", _utc(3, 2, 10, 17)),
                                                             CLOSE_1]),
    ("late evening, in quiet hours: 08:00 the next morning",
     _utc(3, 2, 22, 30), [("enrolled", _utc(3, 3, 8)), CLOSE_1]),
    ("early morning, in quiet hours: 08:00 the same morning",
     _utc(3, 2, 6, 0), [("enrolled", _utc(3, 2, 8)), CLOSE_1]),
    ("before the opening day's 09:00 step: nothing missed, first step as planned",
     _utc(2, 26, 8, 30), [("open+0", _utc(2, 26, 9)), ("open+2", _utc(2, 28, 9)), CLOSE_1]),
    ("the 09:00 step of today was missed: at once",
     _utc(2, 28, 10, 0), [("enrolled", _utc(2, 28, 10)), CLOSE_1]),
    ("quiet hours push it to a day with a step anyway: that step is the first",
     _utc(2, 27, 22, 0), [("open+2", _utc(2, 28, 9)), CLOSE_1]),
    ("last evening of the window: the next allowed time is after it closes",
     _utc(3, 5, 22, 30), []),
    ("before the window opens: the planned steps only",
     _utc(2, 20, 12, 0), [("open+0", _utc(2, 26, 9)), ("open+2", _utc(2, 28, 9)), CLOSE_1]),
])
def test_first_reminder_at_enrolment(case, enrolled_at, expected):
    assert _reminders(enrolled_at) == expected, case


def test_unknown_enrolment_instant_plans_the_steps_only():
    assert _reminders(None, now=_utc(3, 2, 10)) == [CLOSE_1]


def test_the_next_allowed_time_is_local_time_across_a_dst_change():
    # New York springs forward on 8 March 2026; enrolled at 22:30 EST on 7 March -> 08:00 EDT.
    sessions = [SessionInfo("s1", datetime(2026, 3, 10, 15, 0, tzinfo=UTC))]
    got = _reminders(_utc(3, 8, 3, 30), tz="America/New_York", sessions=sessions)
    assert got[0] == ("enrolled", _utc(3, 8, 12))  # 08:00 EDT


@pytest.mark.parametrize("later", [timedelta(minutes=5), timedelta(hours=3), timedelta(days=1)])
def test_a_re_plan_never_asks_for_a_second_one(later):
    enrolled_at = _utc(3, 2, 22, 30)  # deferred to 08:00 the next morning
    first = _reminders(enrolled_at)
    again = _reminders(enrolled_at, now=enrolled_at + later)
    catch_up = first[0]
    if enrolled_at + later <= catch_up[1]:
        assert again[0] == catch_up  # same step, same instant: the outbox keeps one row
    else:
        assert all(step != "enrolled" for step, _at in again)  # past: not planned again
