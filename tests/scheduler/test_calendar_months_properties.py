"""Calendar-month properties: arithmetic, local due dates in every zone, JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scheduler.calendar_offsets import OFFSET_UNITS, Offset, add_months, days_in_month
from scheduler.localtime import is_quiet
from scheduler.planner import CourseInfo, SessionInfo, plan_followups
from scheduler.protocol import ANCHORS, parse_protocol, protocol_to_dict

# DST both ways, half- and quarter-hour offsets, and the far east and west of the date line
ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/St_Johns",
    "America/Santiago", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran",
    "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Auckland",
    "Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Honolulu", "Africa/Casablanca",
]
MONTHS_JSON = Path(__file__).with_name("default_protocol_months.json")
MONTHS = parse_protocol(json.loads(MONTHS_JSON.read_text(encoding="utf-8")))
BEFORE = datetime(1999, 1, 1, tzinfo=UTC)

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)
# both the listed zones and any zone Hypothesis can find, so rare rules get a chance too
zones = st.one_of(st.sampled_from(ZONES), st.timezones().map(lambda z: z.key))
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31),
                        timezones=st.just(UTC))


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@given(days, month_counts)
def test_day_of_month_kept_or_last_day(start, months):
    end = add_months(start, months)
    assert month_index(end) - month_index(start) == months
    assert end.day == min(start.day, days_in_month(end.year, end.month))


@given(days, st.integers(-600, 600), st.integers(-600, 600))
def test_adding_n_then_m_is_adding_n_plus_m_without_clamping(start, n, m):
    assume(add_months(start, n).day == start.day)
    assert add_months(add_months(start, n), m) == add_months(start, n + m)


@given(days, month_counts)
def test_going_back_undoes_going_forward_without_clamping(start, months):
    assume(start.day <= 28)
    assert add_months(add_months(start, months), -months) == start


@given(days, days, month_counts)
def test_later_start_never_gives_an_earlier_date(a, b, months):
    early, late = sorted((a, b))
    assert add_months(early, months) <= add_months(late, months)


@given(days, st.integers(-5200, 5200))
def test_a_week_is_seven_days(start, weeks):
    end = Offset(weeks, "weeks").apply(start)
    assert (end - start).days == 7 * weeks and end.weekday() == start.weekday()


@given(days)
def test_twelve_months_is_the_same_date_next_year(start):
    end = add_months(start, 12)
    if (start.month, start.day) == (2, 29):
        assert end == date(start.year + 1, 2, 28)
    else:
        assert end == start.replace(year=start.year + 1)


def one_timepoint(anchor: str, months: int, window: tuple[int, int]) -> dict:
    return {"name": "p", "reminder_time": "02:30",
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "timepoints": [{"key": "tp", "label": "TP", "anchor": anchor, "offset_months": months,
                            "window": {"opens_days": window[0], "closes_days": window[1]},
                            "instruments": ["nt-pain"],
                            "reminders": [{"when": "open", "days": 0},
                                          {"when": "close", "days": 0, "time": "23:30"}]}]}


@settings(max_examples=300, deadline=None)
@given(zones, instants, st.integers(-24, 36), st.integers(-10, 0), st.integers(0, 10))
def test_local_due_date_is_local_anchor_date_plus_months(tz, at, months, opens, closes):
    zone = ZoneInfo(tz)
    protocol = parse_protocol(one_timepoint("last_session", months, (opens, closes)))
    (a,) = plan_followups(protocol, CourseInfo(1, date(1999, 6, 1)), [SessionInfo("s0", at)], tz,
                          BEFORE).assignments
    due = add_months(at.astimezone(zone).date(), months)
    assert a.due_local == due
    # the window opens on its local opening day (later that day only if midnight is in a DST gap)
    assert a.opens_at.astimezone(zone).date() == due + timedelta(days=opens)
    assert a.opens_at < a.closes_at
    for r in a.reminders:
        assert a.opens_at <= r.send_at < a.closes_at
        assert not is_quiet(r.send_at, protocol.quiet_hours, zone)


@st.composite
def month_courses(draw):
    first = draw(instants)
    sessions, at = [], first
    for i in range(draw(st.integers(1, 8))):
        status = draw(st.sampled_from(["scheduled", "performed", "cancelled"]))
        sessions.append(SessionInfo(f"s{i}", at, status))
        at += timedelta(days=draw(st.integers(3, 45)), hours=draw(st.integers(-3, 3)))
    course = CourseInfo("c1", first.date() - timedelta(days=draw(st.integers(0, 20))), ("r1",),
                        draw(st.sampled_from(["active", "ended", "paused"])))
    return course, sessions, draw(zones)


@settings(max_examples=200, deadline=None)
@given(month_courses())
def test_months_protocol_plans_valid_follow_ups(scenario):
    course, sessions, tz = scenario
    zone = ZoneInfo(tz)
    plan = plan_followups(MONTHS, course, sessions, tz, BEFORE)
    by_slot = plan.by_slot()
    assert len(by_slot) == len(plan.assignments)
    for a in plan.assignments:
        assert a.opens_at < a.closes_at
        assert all(a.opens_at <= r.send_at < a.closes_at for r in a.reminders)
        assert not any(is_quiet(r.send_at, MONTHS.quiet_hours, zone) for r in a.reminders)
    if "m1" in by_slot:
        wanted = ("performed",) if course.status == "ended" else ("scheduled", "performed")
        last = max(s.at for s in sessions if s.status in wanted).astimezone(zone).date()
        due = [by_slot[k].due_local for k in ("m1", "m3", "m6", "m12")]
        assert due == [add_months(last, n) for n in (1, 3, 6, 12)]


@st.composite
def definitions(draw):
    timepoints = []
    for i in range(draw(st.integers(1, 5))):
        unit = draw(st.sampled_from(OFFSET_UNITS))
        opens, closes = draw(st.integers(-30, 0)), draw(st.integers(0, 30))
        timepoints.append({
            "key": f"tp-{i}", "label": draw(st.text(min_size=1, max_size=12)),
            "anchor": draw(st.sampled_from(ANCHORS)),
            f"offset_{unit}": draw(st.integers(-1200, 1200)),
            "window": {"opens_days": opens, "closes_days": closes},
            "instruments": ["nt-pain"],
            "reminders": [{"when": "open", "days": draw(st.integers(0, closes - opens))}],
        })
    return {"name": "Round trip", "channels": ["email"], "reminder_time": "09:00",
            "timepoints": timepoints}


@given(definitions())
def test_json_round_trip(definition):
    protocol = parse_protocol(definition)
    stored = json.loads(json.dumps(protocol_to_dict(protocol)))
    assert parse_protocol(stored) == protocol
    assert protocol_to_dict(parse_protocol(stored)) == stored
    for raw, tp in zip(definition["timepoints"], stored["timepoints"], strict=True):
        offset_keys = {k for k in raw if k.startswith("offset_")}
        assert offset_keys == {k for k in tp if k.startswith("offset_")}
