"""Planner and reconcile: table-driven cases on the default protocol and small custom ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.planner import (
    CourseInfo,
    ExistingAssignment,
    SessionInfo,
    plan_followups,
    reconcile,
)
from scheduler.protocol import load_default_protocol, parse_protocol

DEFAULT = load_default_protocol()
MONDAY = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
BEFORE = datetime(2025, 12, 1, tzinfo=UTC)


def weekly_sessions(n: int = 7, start: datetime = MONDAY, every: int = 7,
                    status: str = "scheduled") -> list[SessionInfo]:
    return [SessionInfo(f"s{i}", start + timedelta(days=every * i), status) for i in range(n)]


def course(status: str = "active") -> CourseInfo:
    return CourseInfo(1, date(2025, 12, 20), ("median-right-carpal",), status)


def one_timepoint(reminder_time="09:00", quiet=None, window=(0, 5), steps=None, offset=10):
    d = {"name": "t", "reminder_time": reminder_time, "channels": ["email", "sms"],
         "timepoints": [{"key": "tp", "label": "TP", "anchor": "enrolment", "offset_days": offset,
                         "window": {"opens_days": window[0], "closes_days": window[1]},
                         "instruments": ["nt-pain"],
                         "reminders": steps or [{"when": "open", "days": 0}]}]}
    if quiet:
        d["quiet_hours"] = {"start": quiet[0], "end": quiet[1]}
    return parse_protocol(d)


def slots(plan) -> list[str]:
    return [a.slot for a in plan.assignments]


SCLERODERMA = (["baseline"] + [f"pre-session:s{i}" for i in range(1, 7)]
               + [f"after-session:s{i}" for i in range(7)] + ["m1", "m3", "m6", "m12"])
ONE_SESSION = ["baseline", "after-session:s0", "m1", "m3", "m6", "m12"]
CANCELLED_3 = (["baseline"] + [f"pre-session:s{i}" for i in (1, 2, 4, 5, 6)]
               + [f"after-session:s{i}" for i in (0, 1, 2, 4, 5, 6)] + ["weekly:3"]
               + ["m1", "m3", "m6", "m12"])
TWO_APART = (["baseline", "pre-session:s1", "after-session:s0", "after-session:s1"]
             + [f"weekly:{n}" for n in range(1, 13)] + ["m1", "m3", "m6", "m12"])


def _cancel_third(sessions):
    return [SessionInfo(s.session_id, s.at, "cancelled" if s.session_id == "s3" else s.status)
            for s in sessions]


@pytest.mark.parametrize(("name", "sessions", "status", "expected"), [
    ("7 weekly sessions", weekly_sessions(), "active", SCLERODERMA),
    ("one session", weekly_sessions(1), "active", ONE_SESSION),
    ("session 3 cancelled", _cancel_third(weekly_sessions()), "active", CANCELLED_3),
    ("two sessions 13 weeks apart", weekly_sessions(2, every=91), "active", TWO_APART),
    ("no sessions yet", [], "active", []),
    ("paused keeps assignments", weekly_sessions(1), "paused", ONE_SESSION),
    ("withdrawn", weekly_sessions(), "withdrawn", []),
    ("discharged", weekly_sessions(), "discharged", []),
])
def test_slots(name, sessions, status, expected):
    plan = plan_followups(DEFAULT, course(status), sessions, "Europe/London", BEFORE)
    assert sorted(slots(plan)) == sorted(expected), name


@pytest.mark.parametrize(("slot", "due", "opens", "closes"), [
    ("baseline", date(2026, 1, 5), datetime(2025, 12, 29, tzinfo=UTC),
     datetime(2026, 1, 6, tzinfo=UTC)),
    ("pre-session:s1", date(2026, 1, 12), datetime(2026, 1, 10, tzinfo=UTC),
     datetime(2026, 1, 13, tzinfo=UTC)),
    ("after-session:s6", date(2026, 2, 18), datetime(2026, 2, 18, tzinfo=UTC),
     datetime(2026, 2, 24, tzinfo=UTC)),
    # calendar months after the last session (16 Feb): 16 March, 16 May
    ("m1", date(2026, 3, 16), datetime(2026, 3, 9, tzinfo=UTC),
     datetime(2026, 3, 30, 23, tzinfo=UTC)),  # closes at local midnight, BST
    ("m3", date(2026, 5, 16), datetime(2026, 5, 8, 23, tzinfo=UTC),
     datetime(2026, 5, 30, 23, tzinfo=UTC)),
    ("m12", date(2027, 2, 16), datetime(2027, 2, 9, tzinfo=UTC),
     datetime(2027, 3, 3, tzinfo=UTC)),
])
def test_scleroderma_windows(slot, due, opens, closes):
    plan = plan_followups(DEFAULT, course(), weekly_sessions(), "Europe/London", BEFORE)
    a = plan.by_slot()[slot]
    assert (a.due_local, a.opens_at, a.closes_at) == (due, opens, closes)
    assert a.regions == ("median-right-carpal",)


def test_scleroderma_reminders_and_instruments():
    plan = plan_followups(DEFAULT, course(), weekly_sessions(), "Europe/London", BEFORE)
    m1 = plan.by_slot()["m1"]
    assert m1.instruments == ("nt-pain", "nt-paresthesia", "nt-psfs", "nt-pgic")
    assert [(r.key, r.send_at) for r in m1.reminders] == [
        ("m1/open+0/email", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("m1/open+2/email", datetime(2026, 3, 11, 9, tzinfo=UTC)),
        ("m1/close-1/email", datetime(2026, 3, 29, 8, tzinfo=UTC)),  # 09:00 BST
    ]


def test_moving_a_session_moves_its_slots():
    before = weekly_sessions()
    after = before[:-1] + [SessionInfo("s6", before[-1].at + timedelta(days=7), "scheduled")]
    old = plan_followups(DEFAULT, course(), before, "Europe/London", BEFORE)
    new = plan_followups(DEFAULT, course(), after, "Europe/London", BEFORE)
    assert new.by_slot()["pre-session:s6"].due_local == date(2026, 2, 23)
    existing = [ExistingAssignment(a.slot, a.slot, "pending", a.opens_at, a.closes_at)
                for a in old.assignments]
    result = reconcile(existing, new, BEFORE)
    moved = sorted(slot for slot, _ in result.move)
    assert moved == ["after-session:s6", "m1", "m12", "m3", "m6", "pre-session:s6"]
    assert not result.cancel
    # the gap week now gets a weekly check (due 2026-02-16, no pre-session within 2 days)
    assert [a.slot for a in result.create] == ["weekly:6"]


def test_ended_course_anchors_on_last_performed_session():
    sessions = weekly_sessions(5, status="performed") + weekly_sessions(7)[5:]
    plan = plan_followups(DEFAULT, course("ended"), sessions, "Europe/London", BEFORE)
    assert plan.by_slot()["m1"].due_local == date(2026, 3, 2)  # 2 Feb + 1 month
    assert "pre-session:s5" not in plan.by_slot()
    active = plan_followups(DEFAULT, course("active"), sessions, "Europe/London", BEFORE)
    assert active.by_slot()["m1"].due_local == date(2026, 3, 16)  # 16 Feb + 1 month


def test_paused_course_has_no_reminders():
    plan = plan_followups(DEFAULT, course("paused"), weekly_sessions(), "Europe/London", BEFORE)
    assert plan.assignments and all(a.reminders == () for a in plan.assignments)


@pytest.mark.parametrize(("tz", "due", "utc"), [
    ("Europe/London", date(2026, 1, 15), datetime(2026, 1, 15, 9, tzinfo=UTC)),
    ("Europe/London", date(2026, 7, 15), datetime(2026, 7, 15, 8, tzinfo=UTC)),
    ("America/New_York", date(2026, 1, 15), datetime(2026, 1, 15, 14, tzinfo=UTC)),
    ("America/New_York", date(2026, 7, 15), datetime(2026, 7, 15, 13, tzinfo=UTC)),
    ("Asia/Kolkata", date(2026, 1, 15), datetime(2026, 1, 15, 3, 30, tzinfo=UTC)),
    ("Australia/Adelaide", date(2026, 1, 15), datetime(2026, 1, 14, 22, 30, tzinfo=UTC)),
    ("Australia/Adelaide", date(2026, 7, 15), datetime(2026, 7, 14, 23, 30, tzinfo=UTC)),
    ("Asia/Kathmandu", date(2026, 1, 15), datetime(2026, 1, 15, 3, 15, tzinfo=UTC)),
])
def test_reminder_at_nine_local(tz, due, utc):
    protocol = one_timepoint(offset=0)
    c = CourseInfo(1, due, (), "active")
    (a,) = plan_followups(protocol, c, [], tz, BEFORE).assignments
    (r,) = a.reminders
    assert r.send_at == utc
    assert r.send_at.astimezone(ZoneInfo(tz)).time() == time(9)


def _single_reminder(protocol, due, tz, now=BEFORE):
    c = CourseInfo(1, due, (), "active")
    (a,) = plan_followups(protocol, c, [], tz, now).assignments
    return a.reminders


def test_spring_forward_gap_moves_to_first_valid_time():
    (r,) = _single_reminder(one_timepoint("02:30", offset=0), date(2026, 3, 8), "America/New_York")
    assert r.send_at == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert r.send_at.astimezone(ZoneInfo("America/New_York")).time() == time(3)


def test_repeated_autumn_hour_sent_once():
    (r,) = _single_reminder(one_timepoint("01:30", offset=0), date(2026, 11, 1), "America/New_York")
    assert r.send_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30 (EDT)


@pytest.mark.parametrize(("reminder_time", "quiet", "steps", "expected"), [
    # 22:00 falls in quiet hours -> 08:00 the next morning
    ("22:00", ("21:00", "08:00"), [{"when": "open", "days": 0}],
     [datetime(2026, 1, 16, 8, tzinfo=UTC)]),
    # 06:00 -> 08:00 the same morning
    ("06:00", ("21:00", "08:00"), [{"when": "open", "days": 0}],
     [datetime(2026, 1, 15, 8, tzinfo=UTC)]),
    # on the closing day, the next morning is outside the window -> dropped
    ("22:00", ("21:00", "08:00"), [{"when": "close", "days": 0}], []),
    # a daytime quiet period that does not wrap midnight
    ("13:00", ("12:00", "14:00"), [{"when": "open", "days": 0}],
     [datetime(2026, 1, 15, 14, tzinfo=UTC)]),
    # two steps landing on the same instant are sent once
    ("22:00", ("21:00", "08:00"), [{"when": "open", "days": 0}, {"when": "open", "days": 1,
                                                                   "time": "07:00"}],
     [datetime(2026, 1, 16, 8, tzinfo=UTC)]),
])
def test_quiet_hours(reminder_time, quiet, steps, expected):
    protocol = one_timepoint(reminder_time, quiet, steps=steps, offset=0)
    reminders = _single_reminder(protocol, date(2026, 1, 15), "Europe/London")
    assert [r.send_at for r in reminders] == expected


def test_step_time_overrides_default_time():
    protocol = one_timepoint(steps=[{"when": "open", "days": 1, "time": "18:15"}], offset=0)
    (r,) = _single_reminder(protocol, date(2026, 1, 15), "Europe/London")
    assert r.send_at == datetime(2026, 1, 16, 18, 15, tzinfo=UTC)


def test_stale_reminders_are_dropped():
    now = datetime(2026, 3, 10, tzinfo=UTC)  # m1 opened on 9 March
    plan = plan_followups(DEFAULT, course(), weekly_sessions(), "Europe/London", now)
    assert [r.key for r in plan.by_slot()["m1"].reminders] == ["m1/open+2/email",
                                                                "m1/close-1/email"]
    assert all(r.send_at >= now for a in plan.assignments for r in a.reminders)


def test_every_reminder_inside_its_window():
    plan = plan_followups(DEFAULT, course(), weekly_sessions(), "Asia/Kathmandu", BEFORE)
    for a in plan.assignments:
        assert all(a.opens_at <= r.send_at < a.closes_at for r in a.reminders)


@pytest.mark.parametrize(("preferred", "channel"), [
    ("sms", "sms"), ("email", "email"), (None, "email"), ("whatsapp", "email"),
])
def test_channel_choice(preferred, channel):
    plan = plan_followups(DEFAULT, course(), weekly_sessions(1), "Europe/London", BEFORE,
                          preferred_channel=preferred)
    reminders = [r for a in plan.assignments for r in a.reminders]
    assert reminders and all(r.channel == channel and r.key.endswith("/" + channel)
                             for r in reminders)


# --- reconcile -------------------------------------------------------------------------------

NOW = datetime(2026, 1, 8, tzinfo=UTC)
PLAN = plan_followups(DEFAULT, course(), weekly_sessions(2), "Europe/London", BEFORE)
P = PLAN.by_slot()
SHIFT = timedelta(days=1)


def ex(slot, status, shift=timedelta(0), id_=None):
    a = P.get(slot)
    opens = (a.opens_at if a else NOW) + shift
    closes = (a.closes_at if a else NOW + timedelta(days=3)) + shift
    return ExistingAssignment(id_ or slot, slot, status, opens, closes)


@pytest.mark.parametrize(("existing", "create", "move", "cancel", "keep"), [
    # nothing stored yet: create every slot whose window is still open
    ([], [s for s, a in P.items() if a.closes_at > NOW], [], [], []),
    # history is never moved or cancelled
    ([ex("baseline", "completed", SHIFT), ex("m1", "in_progress", SHIFT),
      ex("after-session:s0", "missed", SHIFT), ex("gone", "completed")],
     None, [], [], ["after-session:s0", "baseline", "gone", "m1"]),
    # pending/open ones follow the plan
    ([ex("m3", "pending", SHIFT), ex("m6", "open", SHIFT), ex("m12", "pending"),
      ex("gone", "pending"), ex("gone-too", "open")],
     None, ["m3", "m6"], ["gone", "gone-too"], ["m12"]),
    # a pending window already closed is left for the dispatcher to mark missed
    ([ex("baseline", "pending", -SHIFT)], None, [], [], ["baseline"]),
    # cancelled stays cancelled and is not recreated
    ([ex("m1", "cancelled", SHIFT)], None, [], [], ["m1"]),
    # a duplicate row for one slot is cancelled
    ([ex("m1", "pending", id_="a"), ex("m1", "pending", id_="b")], None, [], ["b"], ["a"]),
])
def test_reconcile(existing, create, move, cancel, keep):
    result = reconcile(existing, PLAN, NOW)
    stored = {e.slot for e in existing}
    expected_create = create if create is not None else [
        s for s, a in P.items() if s not in stored and a.closes_at > NOW]
    assert sorted(a.slot for a in result.create) == sorted(expected_create)
    assert sorted(i for i, _ in result.move) == move
    assert sorted(result.cancel) == cancel
    assert sorted(result.keep) == keep
    for _, planned in result.move:
        assert planned is P[planned.slot]


def test_replanning_same_input_is_empty():
    existing = [ExistingAssignment(i, a.slot, "pending", a.opens_at, a.closes_at)
                for i, a in enumerate(PLAN.assignments)]
    again = plan_followups(DEFAULT, course(), weekly_sessions(2), "Europe/London", BEFORE)
    assert reconcile(existing, again, NOW).is_empty
