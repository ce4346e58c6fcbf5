"""Calendar-month offsets: month arithmetic, timepoint offset settings, planned dates."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.calendar_offsets import Offset, add_months
from scheduler.planner import CourseInfo, SessionInfo, plan_followups
from scheduler.protocol import (
    ProtocolError,
    load_default_protocol,
    parse_protocol,
    protocol_to_dict,
)

INSTRUMENTS = {"nt-pain", "nt-paresthesia", "nt-psfs", "nt-pgic", "nt-after-session"}
MONTHS_JSON = Path(__file__).with_name("default_protocol_months.json")
# a copy of the default as shipped before calendar months: what stored versions hold
DAYS_JSON = Path(__file__).with_name("stored_protocol_days.json")
DEFAULT_JSON = Path(__file__).parents[2] / "scheduler" / "default_protocol.json"
BEFORE = datetime(2025, 1, 1, tzinfo=UTC)


def months_protocol():
    return parse_protocol(json.loads(MONTHS_JSON.read_text(encoding="utf-8")), INSTRUMENTS)


def days_protocol():
    return parse_protocol(json.loads(DAYS_JSON.read_text(encoding="utf-8")), INSTRUMENTS)


def sessions_every(days: int, n: int, first: datetime) -> list[SessionInfo]:
    return [SessionInfo(f"s{i}", first + timedelta(days=days * i)) for i in range(n)]


def one_timepoint(**offset) -> dict:
    return {"name": "t", "timepoints": [
        {"key": "m1", "label": "1 month", "anchor": "last_session", **offset,
         "window": {"opens_days": -7, "closes_days": 14}, "instruments": ["nt-pain"],
         "reminders": [{"when": "open", "days": 0}]}]}


# --- month arithmetic ------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 2, 16), 1, date(2026, 3, 16)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2028, 2, 29), 48, date(2032, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 1, 31), 12, date(2027, 1, 31)),
    (date(2026, 1, 31), 0, date(2026, 1, 31)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),  # year end
    (date(2025, 12, 31), 2, date(2026, 2, 28)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
    (date(2026, 1, 15), -1, date(2025, 12, 15)),  # negative offsets
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2028, 3, 30), -1, date(2028, 2, 29)),
    (date(2026, 5, 31), -1, date(2026, 4, 30)),
    (date(2026, 1, 31), -13, date(2024, 12, 31)),
    (date(2026, 6, 15), -18, date(2024, 12, 15)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected
    assert Offset(months, "months").apply(start) == expected


@pytest.mark.parametrize(("start", "offset", "expected"), [
    (date(2026, 1, 5), Offset(1, "weeks"), date(2026, 1, 12)),
    (date(2025, 12, 29), Offset(1, "weeks"), date(2026, 1, 5)),
    (date(2028, 2, 22), Offset(1, "weeks"), date(2028, 2, 29)),
    (date(2026, 3, 2), Offset(-2, "weeks"), date(2026, 2, 16)),
    (date(2026, 1, 5), Offset(0, "weeks"), date(2026, 1, 5)),
    (date(2026, 1, 31), Offset(30, "days"), date(2026, 3, 2)),
    (date(2026, 1, 31), Offset(-31), date(2025, 12, 31)),
])
def test_weeks_and_days(start, offset, expected):
    assert offset.apply(start) == expected


@pytest.mark.parametrize(("start", "months"), [(date(9999, 12, 1), 1), (date(1, 1, 31), -1)])
def test_add_months_outside_the_calendar(start, months):
    with pytest.raises(OverflowError, match="outside the calendar"):
        add_months(start, months)


@pytest.mark.parametrize(("offset", "label", "days", "key"), [
    (Offset(1, "months"), "1 month", None, "offset_months"),
    (Offset(3, "months"), "3 months", None, "offset_months"),
    (Offset(2, "weeks"), "2 weeks", 14, "offset_weeks"),
    (Offset(-1, "weeks"), "-1 week", -7, "offset_weeks"),
    (Offset(-2), "-2 days", -2, "offset_days"),
])
def test_offset_describes_itself(offset, label, days, key):
    assert (offset.label, offset.days, offset.json_key) == (label, days, key)
    assert offset.to_dict() == {key: offset.amount}


def test_unknown_unit_refused():
    with pytest.raises(ValueError, match="Unknown offset unit 'years'"):
        Offset(1, "years")


# --- the offset settings of a timepoint ------------------------------------------------------

@pytest.mark.parametrize(("offset", "expected"), [
    ({"offset_days": 30}, Offset(30, "days")),
    ({"offset_weeks": 4}, Offset(4, "weeks")),
    ({"offset_months": 1}, Offset(1, "months")),
    ({"offset_months": -2}, Offset(-2, "months")),
    ({"offset_months": 0}, Offset(0, "months")),
    ({"offset_days": None, "offset_months": 3}, Offset(3, "months")),  # blank form field
])
def test_offset_forms_accepted(offset, expected):
    tp = parse_protocol(one_timepoint(**offset)).timepoints[0]
    assert tp.offset == expected
    assert tp.offset_days == expected.days


@pytest.mark.parametrize(("offset", "window", "fragment"), [
    ({"offset_days": 30, "offset_months": 1}, None,
     "Timepoint '1 month': the offset is given more than once (offset_days and offset_months)"),
    ({"offset_weeks": 4, "offset_months": 1}, None, "(offset_weeks and offset_months)"),
    ({}, None, "Timepoint '1 month': set how long after the anchor it is due with one of"),
    ({"offset_months": None}, None, "Timepoint '1 month': set how long after the anchor"),
    ({"offset_months": 1.5}, None, "Timepoint '1 month': offset_months must be a whole number of"),
    ({"offset_months": "1"}, None, "offset_months must be a whole number of months"),
    ({"offset_months": True}, None, "offset_months must be a whole number of months"),
    ({"offset_weeks": 0.5}, None, "offset_weeks must be a whole number of weeks"),
    ({"offset_days": 1.5}, None, "offset_days must be a whole number of days"),
    ({"offset_months": 1201}, None, "offset_months must be between -1200 and 1200"),
    ({"offset_weeks": -5201}, None, "offset_weeks must be between -5200 and 5200"),
    ({"offset_years": 1}, None, "Timepoint '1 month': unknown setting(s) offset_years"),
    ({"offset_months": 0}, {"opens_days": 3, "closes_days": 1},
     "Timepoint '1 month': the window closes before it opens."),
    ({"offset_months": 6}, {"opens_days": 2, "closes_days": 5}, "open on or before the due day"),
    ({"offset_months": 6}, {"opens_days": -5, "closes_days": -1}, "close on or after the due"),
])
def test_offset_forms_refused(offset, window, fragment):
    definition = one_timepoint(**offset)
    if window:
        definition["timepoints"][0]["window"] = window
    with pytest.raises(ProtocolError) as err:
        parse_protocol(definition)
    assert any(fragment in m for m in err.value.messages), err.value.messages


def test_stored_day_protocol_parses_and_serialises_as_before():
    stored = json.loads(DAYS_JSON.read_text(encoding="utf-8"))
    days = parse_protocol(stored, INSTRUMENTS)
    assert protocol_to_dict(days) == stored
    assert all(tp.offset.unit == "days" for tp in days.timepoints)
    assert [tp.offset_days for tp in days.timepoints] == [
        tp["offset_days"] for tp in stored["timepoints"]]


def test_shipped_default_round_trips_to_its_file():
    shipped = json.loads(DEFAULT_JSON.read_text(encoding="utf-8"))
    assert protocol_to_dict(load_default_protocol()) == shipped


@pytest.mark.parametrize(("protocol", "expected"), [
    # the day offsets 30/91/182/365 stored in earlier versions plan exactly as they always did
    ("days", [date(2026, 3, 18), date(2026, 5, 18), date(2026, 8, 17), date(2027, 2, 16)]),
    ("months", [date(2026, 3, 16), date(2026, 5, 16), date(2026, 8, 16), date(2027, 2, 16)]),
])
def test_stored_days_and_calendar_months_side_by_side(protocol, expected):
    chosen = days_protocol() if protocol == "days" else months_protocol()
    sessions = sessions_every(7, 7, datetime(2026, 1, 5, 10, tzinfo=UTC))
    plan = plan_followups(chosen, CourseInfo(1, date(2025, 12, 20)), sessions, "Europe/London",
                          BEFORE).by_slot()
    assert [plan[k].due_local for k in ("m1", "m3", "m6", "m12")] == expected


def test_months_fixture_differs_from_the_day_protocol_only_in_month_offsets():
    months, days = months_protocol(), days_protocol()
    assert parse_protocol(protocol_to_dict(months), INSTRUMENTS) == months
    changed = {a.key: a.offset for a, b in zip(months.timepoints, days.timepoints, strict=True)
               if a != b}
    assert changed == {"m1": Offset(1, "months"), "m3": Offset(3, "months"),
                       "m6": Offset(6, "months"), "m12": Offset(12, "months")}


def test_weeks_plan_like_the_same_number_of_days():
    sessions = sessions_every(7, 3, datetime(2026, 3, 20, 23, 30, tzinfo=UTC))
    course = CourseInfo(1, date(2026, 3, 1))
    plans = [plan_followups(parse_protocol(one_timepoint(**offset)), course, sessions,
                            "Europe/Berlin", BEFORE) for offset in
             ({"offset_weeks": 5}, {"offset_days": 35})]
    assert plans[0] == plans[1]


# --- planned dates -----------------------------------------------------------------------------

@pytest.mark.parametrize(("course", "sessions", "expected"), [
    ("six weekly sessions, the last on 31 Jan 2028",
     sessions_every(7, 6, datetime(2027, 12, 27, 10, tzinfo=UTC)),
     [date(2028, 2, 29), date(2028, 4, 30), date(2028, 7, 31), date(2029, 1, 31)]),
    ("weekly sessions weeks 0-6, the last on 16 Feb 2026",
     sessions_every(7, 7, datetime(2026, 1, 5, 10, tzinfo=UTC)),
     [date(2026, 3, 16), date(2026, 5, 16), date(2026, 8, 16), date(2027, 2, 16)]),
    ("six sessions 6 weeks apart, the last on 31 Aug 2026",
     sessions_every(42, 6, datetime(2026, 2, 2, 10, tzinfo=UTC)),
     [date(2026, 9, 30), date(2026, 11, 30), date(2027, 2, 28), date(2027, 8, 31)]),
    ("one session on 29 Feb 2028", sessions_every(7, 1, datetime(2028, 2, 29, 10, tzinfo=UTC)),
     [date(2028, 3, 29), date(2028, 5, 29), date(2028, 8, 29), date(2029, 2, 28)]),
])
def test_month_follow_ups_after_the_last_session(course, sessions, expected):
    c = CourseInfo(1, sessions[0].at.date() - timedelta(days=10), ("median-right-carpal",))
    plan = plan_followups(months_protocol(), c, sessions, "Europe/London", BEFORE).by_slot()
    assert [plan[k].due_local for k in ("m1", "m3", "m6", "m12")] == expected, course


def test_month_follow_up_window_and_reminders_across_dst():
    sessions = sessions_every(7, 7, datetime(2026, 1, 5, 10, tzinfo=UTC))
    c = CourseInfo(1, date(2025, 12, 20), ("median-right-carpal",))
    m1 = plan_followups(months_protocol(), c, sessions, "Europe/London", BEFORE).by_slot()["m1"]
    assert (m1.due_local, m1.opens_at, m1.closes_at) == (
        date(2026, 3, 16), datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 30, 23, tzinfo=UTC))  # closes at local midnight, BST
    assert [(r.key, r.send_at) for r in m1.reminders] == [
        ("m1/open+0/email", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("m1/open+2/email", datetime(2026, 3, 11, 9, tzinfo=UTC)),
        ("m1/close-1/email", datetime(2026, 3, 29, 8, tzinfo=UTC)),  # 09:00 BST, the DST day
    ]


def test_month_due_on_a_spring_forward_day():
    definition = one_timepoint(offset_months=1)
    definition["reminder_time"] = "02:30"
    definition["timepoints"][0]["window"] = {"opens_days": 0, "closes_days": 3}
    session = [SessionInfo("s0", datetime(2026, 2, 8, 15, tzinfo=UTC))]
    (a,) = plan_followups(parse_protocol(definition), CourseInfo(1, date(2026, 2, 1)), session,
                          "America/New_York", BEFORE).assignments
    assert (a.due_local, a.opens_at, a.closes_at) == (
        date(2026, 3, 8), datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 12, 4, tzinfo=UTC))
    assert [r.send_at for r in a.reminders] == [datetime(2026, 3, 8, 7, tzinfo=UTC)]  # 03:00 EDT


@pytest.mark.parametrize(("session_at", "tz", "due"), [
    # 31 Dec 12:00 UTC is already 1 January in the far east: 2 months later is 1 March there
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "UTC", date(2026, 2, 28)),
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "America/Los_Angeles", date(2026, 2, 28)),
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "Pacific/Pago_Pago", date(2026, 2, 28)),
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "Asia/Tokyo", date(2026, 2, 28)),
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "Pacific/Auckland", date(2026, 3, 1)),
    (datetime(2025, 12, 31, 12, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 3, 1)),
    # 31 Jan 03:00 UTC is still 30 January in the Americas
    (datetime(2026, 1, 31, 3, tzinfo=UTC), "UTC", date(2026, 3, 31)),
    (datetime(2026, 1, 31, 3, tzinfo=UTC), "America/Los_Angeles", date(2026, 3, 30)),
    (datetime(2026, 1, 31, 3, tzinfo=UTC), "Pacific/Honolulu", date(2026, 3, 30)),
    (datetime(2026, 1, 31, 3, tzinfo=UTC), "Asia/Kolkata", date(2026, 3, 31)),
])
def test_months_count_from_the_local_date_of_the_anchor(session_at, tz, due):
    protocol = parse_protocol(one_timepoint(offset_months=2))
    (a,) = plan_followups(protocol, CourseInfo(1, date(2025, 12, 1)),
                          [SessionInfo("s0", session_at)], tz, BEFORE).assignments
    assert a.due_local == due


def test_every_session_and_enrolment_anchors_take_months():
    definition = one_timepoint(offset_months=-1)
    definition["timepoints"][0]["anchor"] = "every_session"
    definition["timepoints"][0]["window"] = {"opens_days": 0, "closes_days": 0}
    enrolment = dict(one_timepoint(offset_months=3)["timepoints"][0], key="e3", anchor="enrolment")
    definition["timepoints"].append(enrolment)
    sessions = sessions_every(31, 2, datetime(2026, 3, 31, 10, tzinfo=UTC))
    plan = plan_followups(parse_protocol(definition), CourseInfo(1, date(2025, 11, 30)), sessions,
                          "Europe/Paris", BEFORE).by_slot()
    assert {slot: a.due_local for slot, a in plan.items()} == {
        "m1:s0": date(2026, 2, 28), "m1:s1": date(2026, 4, 1), "e3": date(2026, 2, 28)}


def test_calendar_offsets_module_is_pure():
    probe = ("import importlib, json, sys; before = set(sys.modules); "
             "importlib.import_module('scheduler.calendar_offsets'); "
             "print(json.dumps(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    roots = {m.split(".")[0] for m in json.loads(out)} - set(sys.stdlib_module_names)
    assert roots <= {"scheduler"}, roots

