"""The scheduler's jobs: thin shells that open a session, run one pass and return counts.

Each job takes the Flask app and ``now`` (None means the real clock), so the process, the
``nervetrack dispatch --once`` command and the tests run exactly the same code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from scheduler.dispatch import DispatchReport, channels_from_config, dispatch_due
from scheduler.states import LIVE_ASSIGNMENT_STATUSES
from webapp.audit import add_event
from webapp.db import get_engine
from webapp.followup import outbox
from webapp.followup.replan import replan_pending_courses
from webapp.models import SurveyAssignment, utcnow

log = logging.getLogger("nervetrack.jobs")

MAX_DISPATCH_BATCHES = 1000  # a guard: one pass never loops for ever
MISSED_BATCH = 500


@dataclass
class PassReport:
    """What one replan + dispatch + mark-missed pass did (counts only)."""

    replanned: int = 0
    replan_errors: int = 0
    missed: int = 0
    dispatch: DispatchReport = field(default_factory=DispatchReport)

    def describe(self) -> str:
        """Return the counts as one line."""
        return (f"replanned {self.replanned} (errors {self.replan_errors}), "
                f"{self.dispatch.describe()}, missed {self.missed}")


def _session(app) -> Session:
    return Session(get_engine(app), expire_on_commit=False)


def run_dispatch(app, now: datetime | None = None, *, batch_size: int = 200,
                 channels: dict | None = None) -> DispatchReport:
    """Deliver every due reminder, batch after batch, and return the total counts."""
    clock = utcnow if now is None else None
    total = DispatchReport()
    with app.app_context(), _session(app) as db:
        channels = channels if channels is not None else channels_from_config(app.config)
        for _ in range(MAX_DISPATCH_BATCHES):
            report = dispatch_due(db, now=now or utcnow(), channels=channels, config=app.config,
                                  batch_size=batch_size, clock=clock)
            total.add(report)
            if report.claimed < batch_size:
                break
    return total


def run_replan(app, now: datetime | None = None) -> tuple[int, int]:
    """Re-plan every course marked as changed; return (courses re-planned, errors)."""
    with app.app_context(), _session(app) as db:
        results = replan_pending_courses(db, now=now or utcnow())
    errors = sum(1 for r in results if r.error)
    if results:
        log.info("replan: %d courses, %d errors", len(results), errors)
    return len(results) - errors, errors


def mark_missed_assignments(db: Session, *, now: datetime, limit: int = MISSED_BATCH) -> int:
    """Mark live assignments whose window has closed "missed" and expire their reminders."""
    rows = db.exec(select(SurveyAssignment).where(
        SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES), SurveyAssignment.closes_at <= now)
        .order_by(SurveyAssignment.id).limit(limit)).all()
    for row in rows:
        row.status, row.updated_at = "missed", now
        db.add(row)
        outbox.expire_pending(db, row.id)
        add_event(db, "assignment_missed", actor_type="system", actor_label="scheduler",
                  record_type="survey_assignment", record_id=row.id, patient_id=row.patient_id,
                  detail={"slot": row.slot})
    return len(rows)


def run_mark_missed(app, now: datetime | None = None) -> int:
    """Mark every closed, unanswered assignment missed (committing per batch); return how many."""
    total = 0
    with app.app_context(), _session(app) as db:
        while True:
            count = mark_missed_assignments(db, now=now or utcnow())
            db.commit()
            total += count
            if count < MISSED_BATCH:
                break
    if total:
        log.info("mark-missed: %d assignments", total)
    return total


def run_once(app, now: datetime | None = None, *, channels: dict | None = None) -> PassReport:
    """Run one replan, dispatch and mark-missed pass (the cron-style entry point)."""
    replanned, errors = run_replan(app, now)
    report = PassReport(replanned=replanned, replan_errors=errors)
    report.dispatch = run_dispatch(app, now, channels=channels)
    report.missed = run_mark_missed(app, now)
    return report
