"""The schedule grid: every follow-up as a row, with its planned date, window, status, reminders.

Per patient (the coordinator's patient page) and for the clinic (``/coordinate/schedule``), like
a study's event grid. Dates are the patient's local dates. Functions only read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES as LIVE
from webapp.models import Patient, Reminder, SurveyAssignment
from webapp.patients.naming import occurrence_names

GRID_STATUSES = ("planned", "open", "completed", "missed", "cancelled")
SPANS = {"now": "two weeks back to four weeks ahead", "past": "closed in the last 90 days",
         "all": "every follow-up"}
GRID_LIMIT = 300


def grid_status(a: SurveyAssignment, now: datetime) -> str:
    """planned, open, completed, missed or cancelled, as the grid shows it at `now`."""
    if a.status not in LIVE:
        return a.status
    if a.closes_at <= now:
        return "missed"  # closed unanswered: the dispatcher marks it so at its next pass
    return "planned" if a.opens_at > now else "open"


def _status_clause(status: str, now: datetime):
    a, live = SurveyAssignment, SurveyAssignment.status.in_(LIVE)
    return {"planned": sa.and_(live, a.opens_at > now),
            "open": sa.and_(live, a.opens_at <= now, a.closes_at > now),
            "missed": sa.or_(a.status == "missed", sa.and_(live, a.closes_at <= now)),
            "completed": a.status == "completed", "cancelled": a.status == "cancelled"}[status]


@dataclass(frozen=True)
class GridRow:
    assignment: SurveyAssignment
    patient: Patient
    name: str
    status: str
    opens: date
    last_day: date
    reminders: Counter  # by reminder status: sent, pending, failed...

    @property
    def started(self) -> bool:
        """The patient has begun answering."""
        return self.assignment.status == "in_progress"


def _reminder_counts(db: Session, ids: list[int]) -> dict[int, Counter]:
    out: dict[int, Counter] = {}
    if not ids:
        return out
    rows = db.exec(select(Reminder.assignment_id, Reminder.status, sa.func.count())
                   .where(Reminder.assignment_id.in_(ids))
                   .group_by(Reminder.assignment_id, Reminder.status)).all()
    for assignment_id, status, count in rows:
        out.setdefault(assignment_id, Counter())[status] = count
    return out


def _rows(db: Session, pairs, now: datetime) -> list[GridRow]:
    names = occurrence_names(db, (a for a, _p in pairs))
    counts = _reminder_counts(db, [a.id for a, _p in pairs])
    out = []
    for a, patient in pairs:
        tz = ZoneInfo(patient.timezone)
        out.append(GridRow(a, patient, names.get(a.id, a.label), grid_status(a, now),
                           a.opens_at.astimezone(tz).date(),
                           (a.closes_at.astimezone(tz) - timedelta(seconds=1)).date(),
                           counts.get(a.id, Counter())))
    return out


def patient_grid(db: Session, patient: Patient, now: datetime) -> list[GridRow]:
    """Every follow-up of one patient, in window order."""
    rows = db.exec(select(SurveyAssignment).where(SurveyAssignment.patient_id == patient.id)
                   .order_by(SurveyAssignment.opens_at, SurveyAssignment.id)).all()
    return _rows(db, [(a, patient) for a in rows], now)


def clinic_grid(db: Session, now: datetime, *, status: str | None = None,
                timepoint: str | None = None, span: str = "now") -> tuple[list[GridRow], bool]:
    """The clinic's follow-ups in a span (allow-listed filters); (rows, whether cut short)."""
    a = SurveyAssignment
    query = (select(a, Patient).join(Patient, Patient.id == a.patient_id)
             .where(Patient.erased_at.is_(None))
             .order_by(a.opens_at, Patient.study_code, a.id))
    if span == "now":
        query = query.where(a.closes_at > now - timedelta(days=14),
                            a.opens_at < now + timedelta(days=28))
    elif span == "past":
        query = query.where(a.closes_at <= now, a.closes_at > now - timedelta(days=90))
    if status:
        query = query.where(_status_clause(status, now))
    if timepoint:
        query = query.where(a.timepoint_key == timepoint)
    pairs = db.exec(query.limit(GRID_LIMIT + 1)).all()
    return _rows(db, pairs[:GRID_LIMIT], now), len(pairs) > GRID_LIMIT


@dataclass(frozen=True)
class TimepointCounts:
    key: str
    label: str
    by_status: dict[str, int]
    reminders_sent: int


def timepoint_counts(db: Session, now: datetime, labels: dict[str, str]) -> list[TimepointCounts]:
    """For each timepoint: how many follow-ups are planned, open, completed, missed, cancelled."""
    a = SurveyAssignment
    sums = [sa.func.sum(sa.case((_status_clause(s, now), 1), else_=0)) for s in GRID_STATUSES]
    rows = db.exec(select(a.timepoint_key, *sums).join(Patient, Patient.id == a.patient_id)
                   .where(Patient.erased_at.is_(None)).group_by(a.timepoint_key)
                   .order_by(sa.func.min(a.due_on), a.timepoint_key)).all()
    sent = dict(db.exec(select(a.timepoint_key, sa.func.count(Reminder.id))
                        .join(Reminder, Reminder.assignment_id == a.id)
                        .join(Patient, Patient.id == a.patient_id)
                        .where(Reminder.status == "sent", Patient.erased_at.is_(None))
                        .group_by(a.timepoint_key)).all())
    return [TimepointCounts(key, labels.get(key, key),
                            {s: int(n or 0) for s, n in zip(GRID_STATUSES, counts, strict=True)},
                            int(sent.get(key, 0)))
            for key, *counts in rows]
