"""Follow-up planner: protocol + treatment timeline + patient time zone -> windows and reminders.

Rules (see also scheduler/__init__.py):
- Cancelled sessions never anchor anything. Once a course has ended (status "ended"), only
  performed sessions anchor; otherwise scheduled and performed sessions do.
- A due date is the anchor's local date in the patient's zone (the enrolment date, or a session's
  local date) plus the timepoint's offset in days, weeks or calendar months; a month keeps the day
  of the month, or takes the month's last day when that day does not exist (31 Jan + 1 = 28/29 Feb).
- first_session / last_session timepoints exist as soon as one usable session exists and follow the
  earliest / latest one, so re-planning after adding a session moves them.
- A timepoint with ``skip_near`` is dropped on a day when the named earlier timepoint already has a
  kept occurrence due within that many days (the default protocol drops the pre-session check of
  session 1, which the baseline covers, and a weekly check due within 2 days of a pre-session
  check).
- Windows run from 00:00 local on the opening day to 00:00 local after the closing day (exclusive).
- A reminder is sent at its intended local wall time; a time inside a DST gap moves to the first
  valid instant after the gap, a repeated time is sent once (the first one, fold=0). A reminder in
  quiet hours moves to the end of the quiet period. Reminders outside [opens_at, closes_at), earlier
  than ``now``, or at the same instant as an earlier step of the same assignment are dropped, so the
  dispatcher can send every returned reminder and never a stale one.
- First reminder at enrolment: when a window was already open at the instant the course was
  enrolled (``CourseInfo.enrolled_at``) and one of its steps fell before that instant, the patient
  gets an extra "enrolled" reminder at the next whole minute outside quiet hours, unless another
  step falls on that same local day. It depends on the enrolment instant only, never on ``now``,
  so every re-plan asks for the same reminder and it is sent once.
- "paused": assignments kept, no reminders. "withdrawn" and "discharged": no assignments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.localtime import after_quiet_hours, local_instant
from scheduler.plan_model import (
    COURSE_STATUSES,
    SESSION_STATUSES,
    CourseInfo,
    ExistingAssignment,
    Plan,
    PlanError,
    PlannedAssignment,
    PlannedReminder,
    Reconciliation,
    SessionInfo,
)
from scheduler.protocol import Protocol, Timepoint
from scheduler.reconcile import reconcile

__all__ = [
    "CourseInfo", "ExistingAssignment", "Plan", "PlanError", "PlannedAssignment",
    "PlannedReminder", "Reconciliation", "SessionInfo", "load_zone", "plan_followups",
    "reconcile",
]

_NO_ASSIGNMENTS = ("withdrawn", "discharged")
CATCH_UP_STEP = "enrolled"  # the step label of the first reminder at enrolment
_NO_REMINDERS = ("paused", "withdrawn", "discharged")


@dataclass(frozen=True)
class _Occurrence:
    slot: str
    timepoint: Timepoint
    due: date


def load_zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name or raise ``PlanError`` with a readable message."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PlanError(f"Unknown time zone '{name}': use an IANA name such as "
                        "'Europe/London'.") from None


def _check_inputs(course: CourseInfo, sessions: Sequence[SessionInfo], now: datetime) -> None:
    if now.tzinfo is None:
        raise PlanError("'now' must be a timezone-aware datetime.")
    if course.enrolled_at is not None and course.enrolled_at.tzinfo is None:
        raise PlanError("The enrolment instant must be a timezone-aware datetime.")
    if course.status not in COURSE_STATUSES:
        raise PlanError(f"Unknown course status '{course.status}'.")
    for s in sessions:
        if s.status not in SESSION_STATUSES:
            raise PlanError(f"Session {s.session_id}: unknown status '{s.status}'.")
        if s.at.tzinfo is None:
            raise PlanError(f"Session {s.session_id}: the time must be timezone-aware.")


def session_days(course: CourseInfo, sessions: Iterable[SessionInfo],
                 tz: ZoneInfo) -> list[tuple[object, date]]:
    """Return (session_id, local date) of the sessions that anchor timepoints, in time order."""
    wanted = ("performed",) if course.status == "ended" else ("scheduled", "performed")
    usable = sorted((s for s in sessions if s.status in wanted),
                    key=lambda s: (s.at, str(s.session_id)))
    return [(s.session_id, s.at.astimezone(tz).date()) for s in usable]


def _repeats(tp: Timepoint, start: date, until: date) -> list[_Occurrence]:
    out, n, due = [], 1, tp.offset.apply(start)
    while due <= until:
        out.append(_Occurrence(f"{tp.key}:{n}", tp, due))
        n, due = n + 1, due + timedelta(days=tp.repeat_every_days)
    return out


def _occurrences(tp: Timepoint, enrolled_on: date,
                 days: list[tuple[object, date]]) -> list[_Occurrence]:
    if tp.anchor == "every_session":
        return [_Occurrence(f"{tp.key}:{sid}", tp, tp.offset.apply(d)) for sid, d in days]
    if tp.anchor == "enrolment":
        start = enrolled_on
    elif not days:
        return []
    else:
        start = days[0][1] if tp.anchor == "first_session" else days[-1][1]
    if tp.repeat_every_days:
        return _repeats(tp, start, days[-1][1]) if days else []
    return [_Occurrence(tp.key, tp, tp.offset.apply(start))]


def _planned_occurrences(protocol: Protocol, course: CourseInfo,
                         days: list[tuple[object, date]]) -> list[_Occurrence]:
    kept: dict[str, list[date]] = {}
    out: list[_Occurrence] = []
    for tp in protocol.timepoints:
        mine = _occurrences(tp, course.enrolled_on, days)
        if tp.skip_near:
            near, gap = kept.get(tp.skip_near.timepoint, []), tp.skip_near.days
            mine = [o for o in mine if all(abs((o.due - d).days) > gap for d in near)]
        kept[tp.key] = [o.due for o in mine]
        out.extend(mine)
    return out


def choose_channel(protocol: Protocol, preferred_channel: str | None) -> str:
    """Return the preferred channel if the protocol allows it, else the protocol's first one."""
    if preferred_channel in protocol.channels:
        return preferred_channel
    return protocol.channels[0]


def _step_instants(occ: _Occurrence, protocol: Protocol, tz: ZoneInfo,
                   window: tuple) -> list[tuple[str, datetime]]:
    """(step label, send instant) of every reminder step, moved out of quiet hours."""
    open_day, close_day = window[0], window[1]
    out = []
    for step in occ.timepoint.reminders:
        day = (open_day if step.when == "open" else close_day) + timedelta(days=step.days)
        at = local_instant(day, step.time or protocol.reminder_time, tz)
        out.append((step.label, after_quiet_hours(at, protocol.quiet_hours, tz)))
    return out


def _next_minute(instant: datetime) -> datetime:
    whole = instant.replace(second=0, microsecond=0)
    return whole if whole == instant else whole + timedelta(minutes=1)


def catch_up_reminder(steps: list[tuple[str, datetime]], window: tuple,
                      enrolled_at: datetime | None, protocol: Protocol,
                      tz: ZoneInfo) -> datetime | None:
    """The first reminder of a window already open at enrolment, or None when none is owed."""
    opens_at, closes_at = window[2], window[3]
    if enrolled_at is None or not opens_at <= enrolled_at < closes_at:
        return None
    if not any(opens_at <= at < enrolled_at for _label, at in steps):
        return None  # no step was missed: the first one still comes at its planned time
    at = after_quiet_hours(_next_minute(enrolled_at), protocol.quiet_hours, tz)
    day = at.astimezone(tz).date()
    same_day = any(enrolled_at <= step_at < closes_at and step_at.astimezone(tz).date() == day
                   for _label, step_at in steps)
    return None if same_day or at >= closes_at else at


def _reminders(occ: _Occurrence, protocol: Protocol, tz: ZoneInfo, window: tuple,
               channel: str, now: datetime,
               enrolled_at: datetime | None) -> tuple[PlannedReminder, ...]:
    opens_at, closes_at = window[2], window[3]
    steps = _step_instants(occ, protocol, tz, window)
    catch_up = catch_up_reminder(steps, window, enrolled_at, protocol, tz)
    if catch_up is not None:
        steps.append((CATCH_UP_STEP, catch_up))
    out: list[PlannedReminder] = []
    for label, at in steps:
        if not opens_at <= at < closes_at or at < now or any(r.send_at == at for r in out):
            continue
        out.append(PlannedReminder(f"{occ.slot}/{label}/{channel}", at, channel))
    return tuple(sorted(out, key=lambda r: (r.send_at, r.key)))


def _assignment(occ: _Occurrence, protocol: Protocol, course: CourseInfo, tz: ZoneInfo,
                channel: str, now: datetime) -> PlannedAssignment:
    tp = occ.timepoint
    open_day = occ.due + timedelta(days=tp.window.opens_days)
    close_day = occ.due + timedelta(days=tp.window.closes_days)
    opens_at = local_instant(open_day, time(0), tz)
    closes_at = local_instant(close_day + timedelta(days=1), time(0), tz)
    reminders: tuple[PlannedReminder, ...] = ()
    if course.status not in _NO_REMINDERS:
        window = (open_day, close_day, opens_at, closes_at)
        reminders = _reminders(occ, protocol, tz, window, channel, now, course.enrolled_at)
    return PlannedAssignment(occ.slot, tp.key, tp.label, occ.due, opens_at, closes_at,
                             tp.instruments, tuple(course.regions), reminders)


def plan_followups(protocol: Protocol, course: CourseInfo, sessions: Sequence[SessionInfo],
                   patient_tz: str, now: datetime,
                   preferred_channel: str | None = None) -> Plan:
    """Plan every follow-up assignment of a course with its window and future reminders."""
    tz = load_zone(patient_tz)
    _check_inputs(course, sessions, now)
    if course.status in _NO_ASSIGNMENTS:
        return Plan([])
    channel = choose_channel(protocol, preferred_channel)
    occurrences = _planned_occurrences(protocol, course, session_days(course, sessions, tz))
    assignments = [_assignment(o, protocol, course, tz, channel, now) for o in occurrences]
    assignments.sort(key=lambda a: (a.due_local, a.opens_at, a.slot))
    return Plan(assignments)
