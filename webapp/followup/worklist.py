"""Read queries for the coordinator: the follow-up worklist, completion rates and patient pages.

The worklist starts with today: what is overdue (oldest planned date first), then what is due,
then what was missed in the last 30 days (most recent first). Other orders come from an
allow-list of sort keys. Functions take `session` and `now` and return plain values; nothing
here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES as LIVE
from webapp.models import (
    Patient,
    Reminder,
    SurveyAssignment,
)

CATEGORIES = ("due", "overdue", "missed")
OVERDUE_WITHIN = timedelta(days=2)
# Missed follow-ups stay on the worklist this long after their window closed.
MISSED_LOOKBACK = timedelta(days=30)
_RANK = {"overdue": 0, "due": 1, "missed": 2}
WORKLIST_PATIENT_STATUSES = ("active", "paused")


@dataclass(frozen=True)
class WorklistRow:
    assignment: SurveyAssignment
    patient: Patient
    category: str
    last_reminder: Reminder | None
    name: str = ""  # the follow-up's name for people, e.g. "Before session 3"

    @property
    def tz(self) -> ZoneInfo:
        """The patient's time zone."""
        return ZoneInfo(self.patient.timezone)

    @property
    def closes_local(self) -> datetime:
        """The window's (exclusive) end in the patient's own time zone."""
        return self.assignment.closes_at.astimezone(self.tz)

    @property
    def last_day(self):
        """The last local day on which the patient can still answer."""
        return (self.closes_local - timedelta(seconds=1)).date()


@dataclass(frozen=True)
class TimepointRate:
    timepoint_key: str
    completed: int
    missed: int
    closed_open: int

    @property
    def denominator(self) -> int:
        """Follow-ups whose outcome is known: completed, missed, or closed unanswered."""
        return self.completed + self.missed + self.closed_open

    @property
    def rate(self) -> float | None:
        """Completion rate in [0, 1], or None before any window has closed."""
        return self.completed / self.denominator if self.denominator else None


def classify(assignment: SurveyAssignment, now: datetime, has_failed: bool) -> str | None:
    """Return the worklist category of an assignment at `now`, or None if it is not listed."""
    live = assignment.status in LIVE
    if assignment.status == "missed" or (live and assignment.closes_at <= now):
        return "missed"
    if not live or assignment.opens_at > now:
        return None
    if has_failed:
        return "missed"
    not_started = assignment.status != "in_progress"
    if not_started and assignment.closes_at <= now + OVERDUE_WITHIN:
        return "overdue"
    return "due"


def _candidates(session: Session, now: datetime, timepoint: str | None):
    since = now - MISSED_LOOKBACK
    query = (select(SurveyAssignment, Patient)
             .join(Patient, Patient.id == SurveyAssignment.patient_id)
             .where(Patient.erased_at.is_(None),
                    Patient.status.in_(WORKLIST_PATIENT_STATUSES),
                    SurveyAssignment.closes_at >= since,
                    or_(SurveyAssignment.status == "missed",
                        and_(SurveyAssignment.status.in_(LIVE),
                             SurveyAssignment.opens_at <= now)))
             .order_by(SurveyAssignment.closes_at, Patient.study_code))
    if timepoint:
        query = query.where(SurveyAssignment.timepoint_key == timepoint)
    return session.exec(query).all()


def _reminders_by_assignment(session: Session, ids: list[int]) -> dict[int, list[Reminder]]:
    out: dict[int, list[Reminder]] = {}
    if not ids:
        return out
    rows = session.exec(select(Reminder).where(Reminder.assignment_id.in_(ids),
                                               Reminder.status.in_(("sent", "failed")))).all()
    for row in rows:
        out.setdefault(row.assignment_id, []).append(row)
    return out


def _last(reminders: list[Reminder]) -> Reminder | None:
    if not reminders:
        return None
    return max(reminders, key=lambda r: (r.sent_at or r.next_attempt_at, r.id))


def worklist_rows(session: Session, now: datetime, *, category: str | None = None,
                  timepoint: str | None = None) -> list[WorklistRow]:
    """Return due, overdue and missed follow-ups (optionally one category / timepoint)."""
    pairs = _candidates(session, now, timepoint)
    reminders = _reminders_by_assignment(session, [a.id for a, _p in pairs])
    rows = []
    for assignment, patient in pairs:
        sent = reminders.get(assignment.id, [])
        failed = any(r.status == "failed" for r in sent)
        kind = classify(assignment, now, failed)
        if kind is None or (category and kind != category):
            continue
        rows.append(WorklistRow(assignment, patient, kind, _last(sent), assignment.label))
    return sorted(rows, key=today_order)


def today_order(row: WorklistRow) -> tuple:
    """Overdue then due, oldest planned date first; then missed, most recently closed first."""
    a = row.assignment
    if row.category == "missed":
        return (_RANK["missed"], -a.closes_at.timestamp(), row.patient.study_code, a.id)
    return (_RANK[row.category], a.due_on, a.closes_at, row.patient.study_code, a.id)


def _reminder_time(row: WorklistRow) -> float:
    r = row.last_reminder
    return (r.sent_at or r.next_attempt_at).timestamp() if r else float("-inf")


SORT_KEYS = {
    "patient": lambda r: (r.patient.study_code, r.assignment.due_on),
    "timepoint": lambda r: (r.name.casefold(), r.assignment.due_on),
    "due": lambda r: (r.assignment.due_on, r.patient.study_code),
    "closes": lambda r: (r.assignment.closes_at, r.patient.study_code),
    "status": today_order,
    "reminder": lambda r: (_reminder_time(r), r.patient.study_code),
}


def sort_rows(rows: list[WorklistRow], sort: str, descending: bool = False) -> list[WorklistRow]:
    """Rows in an allow-listed order (SORT_KEYS); unknown keys raise KeyError."""
    return sorted(rows, key=SORT_KEYS[sort], reverse=descending)


def named(rows: list[WorklistRow], names: dict[int, str]) -> list[WorklistRow]:
    """The rows with each follow-up's name for people (see webapp.patients.naming)."""
    return [replace(r, name=names.get(r.assignment.id, r.name)) for r in rows]


def completion_rates(session: Session, now: datetime) -> list[TimepointRate]:
    """Completed / (completed + missed + closed-unanswered) for each timepoint key."""
    a = SurveyAssignment
    closed_open = and_(a.status.in_(LIVE), a.closes_at <= now)
    query = (select(a.timepoint_key,
                    func.sum(case((a.status == "completed", 1), else_=0)),
                    func.sum(case((a.status == "missed", 1), else_=0)),
                    func.sum(case((closed_open, 1), else_=0)))
             .join(Patient, Patient.id == a.patient_id)
             .where(Patient.erased_at.is_(None), a.status != "cancelled")
             .group_by(a.timepoint_key)
             .order_by(func.min(a.due_on), a.timepoint_key))
    return [TimepointRate(key, int(done or 0), int(missed or 0), int(left or 0))
            for key, done, missed, left in session.exec(query).all()]


def timepoint_keys(session: Session) -> list[str]:
    """Every timepoint key that has assignments (the worklist filter's allow-list)."""
    return sorted(session.exec(select(SurveyAssignment.timepoint_key).distinct()).all())


def timepoint_labels(session: Session) -> dict[str, str]:
    """{timepoint key: the name people read}: the label of its newest follow-up."""
    rows = session.exec(select(SurveyAssignment.timepoint_key, SurveyAssignment.label,
                               func.max(SurveyAssignment.id))
                        .group_by(SurveyAssignment.timepoint_key, SurveyAssignment.label)).all()
    labels: dict[str, tuple[int, str]] = {}
    for key, label, newest in rows:
        if key not in labels or newest > labels[key][0]:
            labels[key] = (newest, label)
    return {key: label for key, (_n, label) in sorted(labels.items(), key=lambda kv: kv[1][1])}

