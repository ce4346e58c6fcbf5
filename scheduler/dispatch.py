"""The reminder dispatcher: claim due outbox rows, re-check them, render, send, record.

Claiming is a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two dispatchers
never claim the same row); sending happens outside it. A claimed row carries a lease: if the
dispatcher dies, the row is claimed again once the lease has passed. Finishing a row is fenced
on the lease it was claimed with, so a dispatcher that lost its lease cannot overwrite a newer
claim. Logs and audit details carry counts, ids and channels only: never text or addresses.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.channels import Channel, FileChannel, SmsHttpChannel, SmtpChannel
from scheduler.messages import Message, build_reminder
from scheduler.retry import PermanentFailure, TemporaryFailure, next_attempt_at, should_give_up
from scheduler.states import LIVE_ASSIGNMENT_STATUSES, MANUAL_PREFIXES, is_manual
from webapp.audit import add_event
from webapp.followup import outbox
from webapp.models import Patient, Reminder, SurveyAssignment
from webapp.survey.links import issue_link, link_url

log = logging.getLogger("nervetrack.dispatch")

NO_CONTACT = {"email": "no email address on file", "sms": "no phone number on file"}
ERROR_LIMIT = 200


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0

    @property
    def claimed(self) -> int:
        """Return how many rows this report accounts for."""
        return self.sent + self.retried + self.failed + self.expired + self.skipped

    def add(self, other: DispatchReport) -> None:
        """Add another report's counts to this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def describe(self) -> str:
        """Return the counts as one line (no patient data)."""
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


@dataclass(frozen=True)
class _Context:
    now: datetime
    lease_until: datetime
    channels: Mapping[str, Channel]
    base_url: str
    clinic_name: str
    domain: str


def default_worker_id() -> str:
    """Return host:pid, which names a dispatcher in the logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def channels_from_config(config: Mapping) -> dict[str, Channel]:
    """Build the delivery channels the configuration asks for (file outbox for the demo)."""
    if config.get("REMINDER_CHANNEL") == "file":
        outbox = FileChannel(config["OUTBOX_PATH"])
        return {"email": outbox, "sms": outbox}
    channels: dict[str, Channel] = {}
    if config.get("SMTP_URL"):
        channels["email"] = SmtpChannel.from_url(config["SMTP_URL"], sender=config["MAIL_SENDER"],
                                                 cafile=config.get("SMTP_CAFILE"))
    if config.get("SMS_URL"):
        channels["sms"] = SmsHttpChannel(config["SMS_URL"], config.get("SMS_TOKEN") or "",
                                         config.get("SMS_SENDER") or "NerveTrack")
    return channels


def dispatch_due(db: Session, *, now: datetime, channels: Mapping[str, Channel], config: Mapping,
                 batch_size: int = 200, lease: timedelta = timedelta(minutes=5),
                 worker_id: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> DispatchReport:
    """Claim one batch of due reminders and deliver each; return the counts.

    ``clock`` (the real clock, when given) stops sending before the lease runs out; the rows
    not reached are handed back as pending for the next pass.
    """
    worker_id = worker_id or default_worker_id()
    ids, lease_until = outbox.claim_due(db, now=now, batch_size=batch_size, lease=lease)
    ctx = _context(now, lease_until, channels, config)
    report = DispatchReport()
    safe_until = lease_until - lease / 5
    for position, reminder_id in enumerate(ids):
        if clock is not None and clock() >= safe_until:
            report.skipped += outbox.release(db, ids[position:], lease_until)
            break
        _count(report, _deliver_one(db, reminder_id, ctx))
    if ids:
        log.info("dispatch %s: claimed %d: %s", worker_id, len(ids), report.describe())
    return report


def _count(report: DispatchReport, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


def _context(now, lease_until, channels, config) -> _Context:
    base_url = str(config.get("BASE_URL") or "http://localhost")
    domain = urlsplit(base_url).hostname or "localhost"
    return _Context(now, lease_until, channels, base_url,
                    str(config.get("CLINIC_NAME") or "NerveTrack"), domain)


def _deliver_one(db: Session, reminder_id: int, ctx: _Context) -> str:
    """Deliver one claimed row; return the report field it counts towards."""
    found = _load(db, reminder_id)
    if found is None or found[0].status != "sending" or found[0].lease_until != ctx.lease_until:
        db.rollback()
        return "skipped"  # someone else holds it now
    reminder, assignment, patient = found
    verdict = _stale_verdict(db, reminder, assignment, patient, ctx.now)
    if verdict:
        if not outbox.mark_not_sent(db, reminder, ctx.lease_until, verdict=verdict):
            return "skipped"
        db.commit()
        return "expired"
    to = patient.email if reminder.channel == "email" else patient.phone
    if not to:
        return _give_up(db, reminder, ctx, NO_CONTACT.get(reminder.channel, "no address on file"))
    try:
        message = _render(db, reminder, assignment, patient, ctx)
        provider_id = _channel_for(ctx, reminder.channel).send(message, to)
    except PermanentFailure as exc:
        return _give_up(db, reminder, ctx, str(exc))
    except TemporaryFailure as exc:
        return _retry(db, reminder, ctx, str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the batch
        db.rollback()
        return _retry(db, reminder, ctx, f"unexpected error: {type(exc).__name__}")
    return _sent(db, reminder, ctx, provider_id or message.message_id)


def _load(db: Session, reminder_id: int):
    """Read a reminder with its assignment and patient, fresh, in one round trip."""
    return db.exec(select(Reminder, SurveyAssignment, Patient)
                   .join(SurveyAssignment, SurveyAssignment.id == Reminder.assignment_id)
                   .join(Patient, Patient.id == Reminder.patient_id)
                   .where(Reminder.id == reminder_id)
                   .execution_options(populate_existing=True)).first()


def _stale_verdict(db: Session, reminder: Reminder, assignment: SurveyAssignment,
                   patient: Patient, now: datetime) -> str | None:
    """Return "cancelled"/"expired" when the reminder must not be sent any more, else None."""
    if patient.status != "active":
        return "cancelled"
    if assignment.status in ("completed", "cancelled"):
        return "cancelled"
    if assignment.status not in LIVE_ASSIGNMENT_STATUSES or assignment.closes_at <= now:
        return "expired"
    if is_manual(reminder.slot_key):
        return None  # asked for by a person: always worth sending while the window is open
    return "expired" if _later_step_due(db, reminder, now) else None


def _later_step_due(db: Session, reminder: Reminder, now: datetime) -> bool:
    """Tell whether a later step of the same assignment is also due (catch-up: send the latest)."""
    later = sa.or_(Reminder.send_at > reminder.send_at,
                   sa.and_(Reminder.send_at == reminder.send_at, Reminder.id > reminder.id))
    found = db.exec(select(Reminder.id).where(
        Reminder.assignment_id == reminder.assignment_id, Reminder.id != reminder.id,
        Reminder.status.in_(("pending", "sending", "sent")), Reminder.send_at <= now, later,
        *[sa.not_(Reminder.slot_key.startswith(p)) for p in MANUAL_PREFIXES]).limit(1)).first()
    return found is not None


def _channel_for(ctx: _Context, kind: str) -> Channel:
    channel = ctx.channels.get(kind)
    if channel is None:
        # Configuration can be fixed; retrying keeps the reminder until the budget runs out.
        raise TemporaryFailure(f"no {kind} channel configured")
    return channel


def _render(db: Session, reminder: Reminder, assignment: SurveyAssignment, patient: Patient,
            ctx: _Context) -> Message:
    """Issue a fresh single-use link (committed with the "sent" mark) and build the message."""
    # Not flushed before sending: no write lock is held while the channel talks to the network.
    token = issue_link(db, patient_id=patient.id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=ctx.now)
    return build_reminder(patient.first_name, ctx.clinic_name, deadline_utc=assignment.closes_at,
                          tz=patient.timezone, link=link_url(ctx.base_url, token),
                          channel=reminder.channel, message_key=reminder.slot_key,
                          domain=ctx.domain, language=patient.language or "en")


def _audit(db: Session, action: str, reminder: Reminder, detail: dict) -> None:
    add_event(db, action, actor_type="system", actor_label="dispatcher",
              record_type="reminder", record_id=reminder.id, patient_id=reminder.patient_id,
              detail={"channel": reminder.channel, "reminder_id": reminder.id, **detail})


def _sent(db: Session, reminder: Reminder, ctx: _Context, message_id: str) -> str:
    if not outbox.mark_sent(db, reminder, ctx.lease_until, now=ctx.now, message_id=message_id):
        return "skipped"
    _audit(db, "reminder_sent", reminder, {})
    db.commit()
    return "sent"


def _give_up(db: Session, reminder: Reminder, ctx: _Context, error: str) -> str:
    db.rollback()
    if not outbox.mark_failed(db, reminder, ctx.lease_until, error=error[:ERROR_LIMIT]):
        return "skipped"
    _audit(db, "reminder_failed", reminder, {"error": error[:ERROR_LIMIT]})
    db.commit()
    return "failed"


def _retry(db: Session, reminder: Reminder, ctx: _Context, error: str) -> str:
    db.rollback()
    attempts = reminder.attempts + 1
    if should_give_up(attempts):
        return _give_up(db, reminder, ctx, f"gave up after {attempts} attempts: {error}")
    if not outbox.mark_retry(db, reminder, ctx.lease_until, attempts=attempts,
                             error=error[:ERROR_LIMIT],
                             next_at=next_attempt_at(attempts, ctx.now, reminder.slot_key)):
        return "skipped"
    db.commit()
    return "retried"
