"""The reminder outbox: the one module that adds `Reminder` rows and changes their status.

Planned reminders come from the re-plan, manual ones from a patient's fresh-link request or a
coordinator's resend; the dispatcher claims due rows with a lease and marks each one sent,
retried, failed, cancelled or expired. Functions add and flush (or, for the dispatcher's fenced
updates, execute statements built once on a connection); the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.states import (
    LIVE_ASSIGNMENT_STATUSES,
    MANUAL_PREFIXES,
    relink_slot_key,
    resend_slot_key,
    retired_slot_key,
)
from webapp.models import Patient, Reminder, SurveyAssignment, UTCDateTime


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
                 now: datetime) -> bool:
    """Queue a patient's fresh-link request for now; tell whether a row was added.

    One INSERT ... SELECT, which adds the row only if the follow-up is this patient's and no
    request was queued this instant. For an address nobody has, the caller passes ids no row
    has: the same statement runs and writes nothing, so the timing says nothing.
    """
    slot_key = relink_slot_key(assignment_id, now)
    at = sa.literal(now, UTCDateTime())
    taken = sa.select(Reminder.id).where(Reminder.slot_key == slot_key).exists()
    source = (sa.select(sa.literal(slot_key), SurveyAssignment.id, SurveyAssignment.patient_id,
                        sa.literal(channel), at, at, sa.literal("pending"), sa.literal(0), at)
              .where(SurveyAssignment.id == assignment_id,
                     SurveyAssignment.patient_id == patient_id, ~taken))
    # preserve_rowcount: SQLAlchemy keeps an INSERT's row count only when asked to.
    result = db.execute(sa.insert(Reminder).from_select(
        ["slot_key", "assignment_id", "patient_id", "channel", "send_at", "next_attempt_at",
         "status", "attempts", "created_at"], source).execution_options(preserve_rowcount=True))
    return result.rowcount == 1


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


def load_claimed(conn, ids: list[int], *, lease_until: datetime, now: datetime) -> dict:
    """Read claimed rows still held by this lease, in one query; return {reminder id: row}.

    A row carries the reminder, its follow-up and patient fields the dispatcher needs (the
    patient's reminder choice among them), and ``later_due``: whether a later planned step of the
    same follow-up is due too (catch-up).
    """
    if not ids:
        return {}
    rows = conn.execute(_CLAIMED, {"ids": list(ids), "lease": lease_until, "now": now})
    return {row.id: row for row in rows}


def _claimed_query():
    r, a, p = Reminder.__table__, SurveyAssignment.__table__, Patient.__table__
    later = r.alias("later")
    later_due = sa.exists().where(
        later.c.assignment_id == r.c.assignment_id, later.c.id != r.c.id,
        later.c.status.in_(("pending", "sending", "sent")),
        later.c.send_at <= sa.bindparam("now", type_=UTCDateTime),
        sa.or_(later.c.send_at > r.c.send_at,
               sa.and_(later.c.send_at == r.c.send_at, later.c.id > r.c.id)),
        *[sa.not_(later.c.slot_key.startswith(prefix)) for prefix in MANUAL_PREFIXES])
    return (sa.select(r.c.id, r.c.slot_key, r.c.channel, r.c.attempts, r.c.patient_id,
                      r.c.assignment_id, a.c.status.label("assignment_status"), a.c.closes_at,
                      p.c.status.label("patient_status"), p.c.first_name, p.c.email, p.c.phone,
                      p.c.timezone, p.c.language, p.c.reminders_paused_until,
                      p.c.reminders_stopped_at, later_due.label("later_due"))
            .join_from(r, a, a.c.id == r.c.assignment_id).join(p, p.c.id == r.c.patient_id)
            .where(r.c.id.in_(sa.bindparam("ids", expanding=True)), r.c.status == "sending",
                   r.c.lease_until == sa.bindparam("lease", type_=UTCDateTime)))


def _fenced_update(**values):
    """Update one claimed row only while our lease holds it (built once, run with parameters)."""
    r = Reminder.__table__
    return (sa.update(r).where(r.c.id == sa.bindparam("rid"), r.c.status == "sending",
                               r.c.lease_until == sa.bindparam("lease", type_=UTCDateTime))
            .values(lease_until=None, **values))


# Statements built once: a dispatch pass runs them thousands of times, so SQLAlchemy's work
# per call is a compiled-cache hit and parameter binding, not building and compiling SQL.
_CLAIMED = _claimed_query()
_MARK_SENT = _fenced_update(status="sent", last_error=None,
                            sent_at=sa.bindparam("sent_at_", type_=UTCDateTime),
                            message_id=sa.bindparam("message_id_"))
_MARK_FAILED = _fenced_update(status="failed", attempts=sa.bindparam("attempts_"),
                              last_error=sa.bindparam("error_"))
_MARK_RETRY = _fenced_update(status="pending", attempts=sa.bindparam("attempts_"),
                             last_error=sa.bindparam("error_"),
                             next_attempt_at=sa.bindparam("next_at_", type_=UTCDateTime))
_MARK_NOT_SENT = _fenced_update(status=sa.bindparam("status_"))


def _finish(conn, statement, reminder_id: int, lease_until: datetime, **params) -> bool:
    """Run a fenced update; tell whether our lease still held the row (the caller commits)."""
    result = conn.execute(statement, {"rid": reminder_id, "lease": lease_until, **params})
    return result.rowcount == 1


def mark_sent(conn, reminder_id: int, lease_until: datetime, *, now: datetime,
              message_id: str) -> bool:
    """Record a delivery (fenced on the lease)."""
    return _finish(conn, _MARK_SENT, reminder_id, lease_until, sent_at_=now,
                   message_id_=message_id[:200])


def mark_failed(conn, reminder_id: int, lease_until: datetime, *, attempts: int,
                error: str) -> bool:
    """Record a permanent failure after `attempts` attempts (fenced on the lease)."""
    return _finish(conn, _MARK_FAILED, reminder_id, lease_until, attempts_=attempts,
                   error_=error)


def mark_retry(conn, reminder_id: int, lease_until: datetime, *, attempts: int,
               error: str, next_at: datetime) -> bool:
    """Put a row back as pending for another attempt (fenced on the lease)."""
    return _finish(conn, _MARK_RETRY, reminder_id, lease_until, attempts_=attempts,
                   error_=error, next_at_=next_at)


def mark_not_sent(conn, reminder_id: int, lease_until: datetime, *, verdict: str) -> bool:
    """Record that a claimed row must not be sent: "cancelled" or "expired" (fenced)."""
    if verdict not in ("cancelled", "expired"):
        raise ValueError(f"not a final state for an unsent reminder: {verdict!r}")
    return _finish(conn, _MARK_NOT_SENT, reminder_id, lease_until, status_=verdict)
