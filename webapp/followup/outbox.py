"""The reminder outbox: the one module that adds `Reminder` rows and changes their status.

Planned reminders come from the re-plan, manual ones from a patient's fresh-link request or a
coordinator's resend; the dispatcher claims due rows with a lease and marks each one sent,
retried, failed, cancelled or expired. Functions add and flush (or, for the dispatcher's fenced
updates, execute); the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.states import (
    LIVE_ASSIGNMENT_STATUSES,
    relink_slot_key,
    resend_slot_key,
    retired_slot_key,
)
from webapp.models import Reminder, SurveyAssignment


def add_planned(db: Session, *, slot_key: str, assignment: SurveyAssignment, channel: str,
                send_at: datetime, now: datetime) -> Reminder:
    """Add a planned reminder for one step of a follow-up."""
    row = Reminder(slot_key=slot_key, assignment_id=assignment.id,
                   patient_id=assignment.patient_id, channel=channel, send_at=send_at,
                   next_attempt_at=send_at, created_at=now)
    db.add(row)
    return row


def revive(db: Session, reminder: Reminder, send_at: datetime) -> None:
    """Make a cancelled reminder pending again (planned again, e.g. after a pause)."""
    reminder.status, reminder.next_attempt_at, reminder.attempts = "pending", send_at, 0
    db.add(reminder)


def cancel(db: Session, reminder: Reminder) -> None:
    """Cancel one pending reminder (kept as history)."""
    reminder.status = "cancelled"
    db.add(reminder)


def queue_relink(db: Session, *, assignment_id: int, patient_id: int, channel: str,
                 now: datetime) -> Reminder | None:
    """Queue a patient's fresh-link request for now; None if one was queued this instant."""
    return _queue_manual(db, relink_slot_key(assignment_id, now), assignment_id, patient_id,
                         channel, now)


def queue_resend(db: Session, *, assignment_id: int, patient_id: int, channel: str,
                 now: datetime) -> Reminder | None:
    """Queue a coordinator's "send again" for now; None if one was queued this second."""
    return _queue_manual(db, resend_slot_key(assignment_id, now), assignment_id, patient_id,
                         channel, now)


def _queue_manual(db: Session, slot_key: str, assignment_id: int, patient_id: int,
                  channel: str, now: datetime) -> Reminder | None:
    if db.exec(select(Reminder.id).where(Reminder.slot_key == slot_key)).first():
        return None
    row = Reminder(slot_key=slot_key, assignment_id=assignment_id, patient_id=patient_id,
                   channel=channel, send_at=now, next_attempt_at=now, created_at=now)
    db.add(row)
    db.flush()
    return row


def _pending_of(db: Session, assignment_id: int) -> list[Reminder]:
    return list(db.exec(select(Reminder).where(Reminder.assignment_id == assignment_id,
                                               Reminder.status == "pending")).all())


def cancel_pending(db: Session, assignment_id: int) -> None:
    """Cancel a follow-up's pending reminders (it was answered)."""
    for reminder in _pending_of(db, assignment_id):
        cancel(db, reminder)


def expire_pending(db: Session, assignment_id: int) -> None:
    """Expire a follow-up's pending reminders (its window closed unanswered)."""
    for reminder in _pending_of(db, assignment_id):
        reminder.status = "expired"
        db.add(reminder)


def record_sent_history(db: Session, assignment_id: int, *, now: datetime) -> None:
    """Mark a follow-up's reminders due by `now` sent at their send time (demo history only)."""
    for reminder in _pending_of(db, assignment_id):
        if reminder.send_at <= now:
            reminder.status, reminder.sent_at, reminder.attempts = "sent", reminder.send_at, 1
            reminder.message_id = f"<demo-{reminder.id}@nervetrack.invalid>"
            db.add(reminder)


def revive_future(db: Session, patient_id: int, now: datetime) -> None:
    """Un-cancel a patient's future reminders of live follow-ups, for a re-plan to sort.

    Why: the re-plan never re-adds a reminder whose slot key already exists, even a cancelled
    one, so without this a paused-then-resumed patient would get no reminders for windows
    planned before the pause. The re-plan cancels again every revived row it does not want.
    """
    rows = db.exec(select(Reminder).join(SurveyAssignment).where(
        Reminder.patient_id == patient_id, Reminder.status == "cancelled",
        Reminder.send_at > now,
        SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES))).all()
    for row in rows:
        row.status = "pending"
        db.add(row)
    db.flush()


def retire_future(db: Session, patient_id: int, now: datetime) -> None:
    """Cancel a patient's future pending reminders under a new key, so a re-plan remakes them.

    Why: the re-plan keys a reminder by the UTC date its window opens, so after a time zone
    change that keeps that date it would keep the old zone's send time. Renaming frees the key
    and keeps the cancelled row as history.
    """
    rows = db.exec(select(Reminder).where(Reminder.patient_id == patient_id,
                                          Reminder.status == "pending",
                                          Reminder.send_at > now)).all()
    for row in rows:
        row.status = "cancelled"
        row.slot_key = retired_slot_key(row.slot_key, now)
        db.add(row)
    db.flush()


def _lock(db: Session, stmt):
    if db.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt  # SQLite: one dispatcher, and its write transaction serialises anyway


def claim_due(db: Session, *, now: datetime, batch_size: int,
              lease: timedelta) -> tuple[list[int], datetime]:
    """Mark up to batch_size due rows "sending" with a lease; commit; return (ids, lease_until)."""
    # Both queries walk ix_reminder_due (status, next_attempt_at): cost follows the due rows.
    stale = db.exec(_lock(db, select(Reminder.id).where(
        Reminder.status == "sending", Reminder.lease_until < now)
        .order_by(Reminder.next_attempt_at).limit(batch_size))).all()
    due = db.exec(_lock(db, select(Reminder.id).where(
        Reminder.status == "pending", Reminder.next_attempt_at <= now)
        .order_by(Reminder.next_attempt_at).limit(batch_size - len(stale)))).all() \
        if len(stale) < batch_size else []
    ids = list(stale) + list(due)
    lease_until = now + lease
    if ids:
        db.execute(sa.update(Reminder).where(Reminder.id.in_(ids))
                   .values(status="sending", lease_until=lease_until))
    db.commit()
    return ids, lease_until


def release(db: Session, ids: list[int], lease_until: datetime) -> int:
    """Hand claimed rows not reached back as pending; commit; return how many."""
    result = db.execute(sa.update(Reminder).where(
        Reminder.id.in_(ids), Reminder.status == "sending", Reminder.lease_until == lease_until)
        .values(status="pending", lease_until=None))
    db.commit()
    return result.rowcount


def _finish(db: Session, reminder: Reminder, lease_until: datetime, **values) -> bool:
    """Update a claimed row only if our lease still holds it; tell whether it did."""
    values.setdefault("lease_until", None)
    result = db.execute(sa.update(Reminder).where(
        Reminder.id == reminder.id, Reminder.status == "sending",
        Reminder.lease_until == lease_until).values(**values))
    if result.rowcount != 1:
        db.rollback()
        return False
    return True


def mark_sent(db: Session, reminder: Reminder, lease_until: datetime, *, now: datetime,
              message_id: str) -> bool:
    """Record a delivery (fenced on the lease)."""
    return _finish(db, reminder, lease_until, status="sent", sent_at=now,
                   message_id=message_id[:200], last_error=None)


def mark_failed(db: Session, reminder: Reminder, lease_until: datetime, *,
                error: str) -> bool:
    """Record a permanent failure (fenced on the lease)."""
    return _finish(db, reminder, lease_until, status="failed", last_error=error,
                   attempts=reminder.attempts + 1)


def mark_retry(db: Session, reminder: Reminder, lease_until: datetime, *, attempts: int,
               error: str, next_at: datetime) -> bool:
    """Put a row back as pending for another attempt (fenced on the lease)."""
    return _finish(db, reminder, lease_until, status="pending", attempts=attempts,
                   last_error=error, next_attempt_at=next_at)


def mark_not_sent(db: Session, reminder: Reminder, lease_until: datetime, *,
                  verdict: str) -> bool:
    """Record that a claimed row must not be sent: "cancelled" or "expired" (fenced)."""
    if verdict not in ("cancelled", "expired"):
        raise ValueError(f"not a final state for an unsent reminder: {verdict!r}")
    return _finish(db, reminder, lease_until, status=verdict)
