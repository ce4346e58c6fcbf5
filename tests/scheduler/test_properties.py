"""Planner properties over time zones, DST transitions, session sequences and `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.localtime import is_quiet
from scheduler.planner import (
    CourseInfo,
    ExistingAssignment,
    SessionInfo,
    plan_followups,
    reconcile,
)
from scheduler.protocol import load_default_protocol, parse_protocol, protocol_to_dict

ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/St_Johns",
    "America/Santiago", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Australia/Adelaide",
    "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Auckland", "Africa/Casablanca",
]
# DST transitions in 2026 for the zones above (northern spring/autumn, southern spring/autumn)
TRANSITIONS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 9, 6),
               date(2026, 9, 27), date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)]
DEFAULT = load_default_protocol()
TIMES = ["09:00", "02:30", "01:30", "00:00", "23:30", "02:00", "07:45", "21:15"]
QUIET = [None, ("21:00", "08:00"), ("22:00", "07:00"), ("12:00", "14:00"), ("00:00", "09:30")]


@st.composite
def protocols(draw):
    if draw(st.booleans()):
        return DEFAULT
    d = protocol_to_dict(DEFAULT)
    d["reminder_time"] = draw(st.sampled_from(TIMES))
    quiet = draw(st.sampled_from(QUIET))
    d.pop("quiet_hours")
    if quiet:
        d["quiet_hours"] = {"start": quiet[0], "end": quiet[1]}
    d["timepoints"][0]["reminders"].append({"when": "open", "days": 1,
                                            "time": draw(st.sampled_from(TIMES))})
    return parse_protocol(d)


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(ZONES))
    start_day = draw(st.sampled_from(TRANSITIONS)) + timedelta(days=draw(st.integers(-10, 10)))
    local = datetime.combine(start_day, time(draw(st.integers(0, 23)), draw(st.sampled_from(
        [0, 15, 30, 45]))), ZoneInfo(tz))
    at = local.astimezone(UTC)
    sessions = []
    for i in range(draw(st.integers(1, 8))):
        status = draw(st.sampled_from(["scheduled", "scheduled", "performed", "cancelled"]))
        sessions.append(SessionInfo(f"s{i}", at, status))
        at += timedelta(days=draw(st.integers(3, 14)), hours=draw(st.integers(-3, 3)))
    course = CourseInfo("c1", start_day - timedelta(days=draw(st.integers(0, 20))), ("r1",),
                        draw(st.sampled_from(["active", "active", "ended", "paused"])))
    now = sessions[0].at + timedelta(days=draw(st.integers(-30, 400)),
                                     minutes=draw(st.integers(0, 1439)))
    return draw(protocols()), course, sessions, tz, now


def _intended_local(protocol, assignment, key):
    tp = next(t for t in protocol.timepoints if t.key == assignment.timepoint_key)
    step = next(s for s in tp.reminders if s.label == key.rsplit("/", 2)[1])
    base = assignment.due_local + timedelta(
        days=tp.window.opens_days if step.when == "open" else tp.window.closes_days)
    return datetime.combine(base + timedelta(days=step.days), step.time or protocol.reminder_time)


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_reminders_are_valid(scenario):
    protocol, course, sessions, tz, now = scenario
    zone = ZoneInfo(tz)
    plan = plan_followups(protocol, course, sessions, tz, now)
    keys = [r.key for a in plan.assignments for r in a.reminders]
    assert len(keys) == len(set(keys))
    assert len({a.slot for a in plan.assignments}) == len(plan.assignments)
    for a in plan.assignments:
        assert a.opens_at < a.closes_at
        for r in a.reminders:
            assert a.opens_at <= r.send_at < a.closes_at
            assert r.send_at >= now
            assert not is_quiet(r.send_at, protocol.quiet_hours, zone)
            local = r.send_at.astimezone(zone).replace(tzinfo=None)
            intended = _intended_local(protocol, a, r.key)
            moved_by_quiet = protocol.quiet_hours and local.time() == protocol.quiet_hours.end
            moved_by_gap = not _exists(intended, zone) and local > intended
            assert local == intended or moved_by_quiet or moved_by_gap, (local, intended)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_planning_is_deterministic_and_replanning_is_empty(scenario):
    protocol, course, sessions, tz, now = scenario
    plan = plan_followups(protocol, course, sessions, tz, now)
    assert plan == plan_followups(protocol, course, list(reversed(sessions)), tz, now)
    existing = [ExistingAssignment(f"id-{a.slot}", a.slot, "pending", a.opens_at, a.closes_at)
                for a in plan.assignments]
    again = plan_followups(protocol, course, sessions, tz, now)
    assert reconcile(existing, again, now).is_empty


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_history_is_never_moved_or_cancelled(scenario, data):
    protocol, course, sessions, tz, now = scenario
    plan = plan_followups(protocol, course, sessions, tz, now)
    statuses = ["pending", "open", "in_progress", "completed", "missed", "cancelled"]
    existing = [ExistingAssignment(f"id-{a.slot}", a.slot, data.draw(st.sampled_from(statuses)),
                                   a.opens_at, a.closes_at) for a in plan.assignments]
    # the timeline changes: a session is dropped and the others shift by a day
    changed = [SessionInfo(s.session_id, s.at + timedelta(days=1), s.status)
               for s in sessions[:-1]] if len(sessions) > 1 else []
    result = reconcile(existing, plan_followups(protocol, course, changed, tz, now), now)
    frozen = {e.id for e in existing if e.status in ("in_progress", "completed", "missed")}
    touched = {i for i, _ in result.move} | set(result.cancel)
    assert not frozen & touched
    assert frozen <= set(result.keep)
    assert len(result.keep) + len(result.move) + len(result.cancel) == len(existing)
    assert {a.slot for a in result.create}.isdisjoint({e.slot for e in existing})
