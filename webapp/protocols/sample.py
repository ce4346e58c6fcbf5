"""The builder's preview: a protocol planned for a sample course of six weekly sessions.

The sample patient is enrolled on the day of the first session, has six weekly sessions at
10:00 in the clinic's time zone, and answers nothing, so every follow-up and reminder shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.localtime import local_instant
from scheduler.plan_model import CourseInfo, Plan, SessionInfo
from scheduler.planner import plan_followups
from scheduler.protocol import Protocol

SAMPLE_SESSIONS = 6
SESSION_TIME = time(10, 0)
# Before any reminder of any sample course, so the planner drops none as stale.
_LONG_AGO = datetime(1, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class PreviewRow:
    key: str
    name: str
    due: date
    opens: date
    last_day: date
    questionnaires: tuple[str, ...]
    reminders: tuple[datetime, ...]  # local wall times in the clinic's zone


@dataclass(frozen=True)
class Preview:
    sessions: list[date]
    rows: list[PreviewRow]
    never: list[str]  # timepoints the sample course never asks for
    zone: str


def next_monday(today: date) -> date:
    """The first Monday after today: the default start of the sample course."""
    return today + timedelta(days=7 - today.weekday())


def sample_sessions(first_day: date, zone: ZoneInfo) -> list[SessionInfo]:
    """Six weekly sessions at 10:00 local, numbered 1 to 6."""
    return [SessionInfo(n, local_instant(first_day + timedelta(weeks=n - 1), SESSION_TIME, zone))
            for n in range(1, SAMPLE_SESSIONS + 1)]


def plan_sample(protocol: Protocol, first_day: date, zone_name: str) -> Plan:
    """Plan the sample course (OverflowError when a date falls outside the calendar)."""
    zone = ZoneInfo(zone_name)
    course = CourseInfo("sample", first_day, ())
    return plan_followups(protocol, course, sample_sessions(first_day, zone), zone_name,
                          _LONG_AGO)


def occurrence_name(label: str, slot: str, anchor: str) -> str:
    """Name one occurrence: "Check before each session (session 2)", "Weekly (3)"."""
    _key, _sep, suffix = slot.partition(":")
    if not suffix:
        return label
    return f"{label} (session {suffix})" if anchor == "every_session" else f"{label} ({suffix})"


def preview(protocol: Protocol, plan: Plan, first_day: date, zone_name: str,
            titles: dict[str, str]) -> Preview:
    """The sample course's schedule as local dates, with questionnaire names."""
    zone = ZoneInfo(zone_name)
    anchors = {tp.key: tp.anchor for tp in protocol.timepoints}
    rows = [PreviewRow(a.timepoint_key, occurrence_name(a.label, a.slot, anchors[a.timepoint_key]),
                       a.due_local, a.opens_at.astimezone(zone).date(),
                       (a.closes_at.astimezone(zone) - timedelta(seconds=1)).date(),
                       tuple(titles.get(i, i) for i in a.instruments),
                       tuple(r.send_at.astimezone(zone) for r in a.reminders))
            for a in plan.assignments]
    planned = {a.timepoint_key for a in plan.assignments}
    never = [tp.label for tp in protocol.timepoints if tp.key not in planned]
    sessions = [first_day + timedelta(weeks=n) for n in range(SAMPLE_SESSIONS)]
    return Preview(sessions, rows, never, zone_name)
