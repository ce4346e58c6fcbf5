"""Protocol schema: round trip, default protocol, and a table of refused definitions."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from scheduler.planner import CourseInfo, PlanError, plan_followups
from scheduler.protocol import (
    ProtocolError,
    load_default_protocol,
    parse_protocol,
    protocol_to_dict,
)

INSTRUMENTS = {"nt-pain", "nt-paresthesia", "nt-psfs", "nt-pgic", "nt-after-session"}


def good() -> dict:
    return {
        "name": "Test", "channels": ["sms", "email"], "reminder_time": "09:00",
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "timepoints": [
            {"key": "month-1", "label": "1 month", "anchor": "last_session", "offset_days": 30,
             "window": {"opens_days": -7, "closes_days": 14}, "instruments": ["nt-pain"],
             "reminders": [{"when": "open", "days": 0}, {"when": "close", "days": -1,
                                                          "time": "18:30"}]},
            {"key": "pre", "label": "Before", "anchor": "every_session", "offset_days": -2,
             "window": {"opens_days": -1, "closes_days": 0}, "instruments": ["nt-pain"],
             "reminders": []},
        ],
    }


def with_(path: str, value) -> dict:
    d = copy.deepcopy(good())
    *parents, last = path.split(".")
    target = d
    for p in parents:
        target = target[int(p)] if p.isdigit() else target[p]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return d


DELETE = object()


def repeating(anchor: str) -> dict:
    d = with_(f"{TP}.anchor", anchor)
    d["timepoints"][0].update(repeat_every_days=7, repeat_until="last_session")
    return d
TP = "timepoints.0"


def test_good_protocol_round_trips():
    p = parse_protocol(good(), INSTRUMENTS)
    assert p.channels == ("sms", "email")
    assert parse_protocol(protocol_to_dict(p)) == p


def test_default_protocol_is_valid_and_round_trips():
    p = load_default_protocol()
    assert [tp.key for tp in p.timepoints] == [
        "baseline", "pre-session", "after-session", "weekly", "m1", "m3", "m6", "m12"]
    assert {i for tp in p.timepoints for i in tp.instruments} == INSTRUMENTS
    assert parse_protocol(protocol_to_dict(p), INSTRUMENTS) == p


def test_optional_settings_default():
    d = good()
    del d["quiet_hours"], d["reminder_time"], d["channels"]
    p = parse_protocol(d)
    assert p.quiet_hours is None and p.channels == ("email",)
    assert p.reminder_time.hour == 9


@pytest.mark.parametrize(("definition", "fragment"), [
    (with_(f"{TP}.window", {"opens_days": 3, "closes_days": 1}),
     "Timepoint '1 month': the window closes before it opens."),
    (with_(f"{TP}.window", {"opens_days": 2, "closes_days": 5}), "open on or before the due"),
    (with_(f"{TP}.window", {"opens_days": -5, "closes_days": -1}), "close on or after the due"),
    (with_(f"{TP}.window", {"opens_days": -5}), '"opens_days" and "closes_days"'),
    (with_("quiet_hours", {"start": "08:00", "end": "08:00"}), "cover the whole day"),
    (with_("quiet_hours", {"start": "25:00", "end": "08:00"}), "HH:MM"),
    (with_(f"{TP}.reminders", [{"when": "open", "days": -1}]), "negative number of days"),
    (with_(f"{TP}.reminders", [{"when": "close", "days": 1}]), "after the window has closed"),
    (with_(f"{TP}.reminders", [{"when": "open", "days": 30}]), "outside the window"),
    (with_(f"{TP}.reminders", [{"when": "close", "days": -22}]), "outside the window"),
    (with_(f"{TP}.reminders", [{"when": "open", "days": 0, "at": "09:00"}]), "reminder needs"),
    (with_(f"{TP}.reminders", [{"when": "soon", "days": 0}]), 'must be "open" or "close"'),
    (with_(f"{TP}.reminders", [{"when": "open", "days": 0, "time": "9am"}]), "HH:MM"),
    (with_(f"{TP}.anchor", "surgery"), "anchor must be one of"),
    (with_(f"{TP}.instruments", []), "at least one questionnaire"),
    (with_(f"{TP}.instruments", ["nt-unknown"]), "unknown instrument(s) nt-unknown"),
    (with_(f"{TP}.offset_days", 1.5), "offset_days must be a whole number"),
    (with_(f"{TP}.key", "Month 1"), "lowercase slug"),
    (with_(f"{TP}.colour", "red"), "unknown setting(s) colour"),
    (with_("timepoints.1.key", "month-1"), "used twice"),
    (with_("timepoints", []), "at least one timepoint"),
    (with_("channels", ["fax"]), "Unknown channel(s): fax"),
    (with_("channels", []), "non-empty list"),
    (with_("reminder_time", "9"), "reminder time"),
    (with_("name", DELETE), "needs a name"),
    (with_("extra", 1), "Unknown protocol setting(s): extra"),
    (with_(f"{TP}.repeat_every_days", 0), "at least 1"),
    (with_(f"{TP}.repeat_every_days", 7), 'repeat_until must be "last_session"'),
    (repeating(anchor="last_session"), "only enrolment or first_session"),
    (with_(f"{TP}.skip_near", {"timepoint": "pre", "days": 2}), "listed before this one"),
])
def test_bad_protocols(definition, fragment):
    with pytest.raises(ProtocolError) as err:
        parse_protocol(definition, INSTRUMENTS)
    assert any(fragment in m for m in err.value.messages), err.value.messages


def test_all_problems_reported_at_once():
    d = with_(f"{TP}.anchor", "surgery")
    d["channels"] = ["fax"]
    with pytest.raises(ProtocolError) as err:
        parse_protocol(d)
    assert len(err.value.messages) == 2


def test_not_a_dict():
    with pytest.raises(ProtocolError):
        parse_protocol(["nope"])  # type: ignore[arg-type]


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe/"])
def test_unknown_time_zone(tz):
    c = CourseInfo(1, date(2026, 1, 1))
    with pytest.raises(PlanError, match="Unknown time zone"):
        plan_followups(load_default_protocol(), c, [], tz, datetime(2026, 1, 1, tzinfo=UTC))


def test_naive_now_refused():
    c = CourseInfo(1, date(2026, 1, 1))
    with pytest.raises(PlanError, match="timezone-aware"):
        plan_followups(load_default_protocol(), c, [], "UTC", datetime(2026, 1, 1))
