"""The reminder dispatcher: claim due outbox rows, re-check them, render, send, record.

Claiming is a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two dispatchers
never claim the same row); sending happens outside it. A claimed row carries a lease: if the
dispatcher dies, the row is claimed again once the lease has passed. Finishing a row is fenced
on the lease it was claimed with, so a dispatcher that lost its lease cannot overwrite a newer
claim. Logs and audit details carry counts, ids and channels only: never text or addresses.

The claimed batch (reminder, follow-up, patient, and whether a later step is due) is read in
one query, and the rest of it read again whenever that read is older than ``FRESH_FOR`` seconds
when a row's turn comes (a slow channel): a follow-up answered or a patient withdrawn while a
batch is being sent stops its reminder if the change is at least that old. Each
reminder is then one transaction of statements built once: its fenced update, its link token
and its audit row, committed after the channel accepted it. A crash between the channel's
acceptance and that commit can repeat that one reminder (with the same Message-ID), never more.

Patients control their reminders: while a patient's pause runs, or after they stopped them, each
due reminder is cancelled unsent, except a fresh link they asked for themselves. Every email
carries a signed link to pause or stop (and its List-Unsubscribe headers), every SMS the stop word.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlmodel import Session

from scheduler.channels import Channel, FileChannel, SmsHttpChannel, SmtpChannel
from scheduler.messages import Message, build_reminder
from scheduler.retry import PermanentFailure, TemporaryFailure, next_attempt_at, should_give_up
from scheduler.states import LIVE_ASSIGNMENT_STATUSES, RELINK_PREFIX, is_manual
from webapp.auth.signin_sessions import hash_token
from webapp.followup import outbox
from webapp.models import AuditEvent, PatientToken, utcnow
from webapp.survey.links import link_url
from webapp.survey.stop_links import make_stop_token, stop_url

log = logging.getLogger("nervetrack.dispatch")

NO_CONTACT = {"email": "no email address on file", "sms": "no phone number on file"}
ERROR_LIMIT = 200
FRESH_FOR = 10.0  # seconds a batch read stays trusted before the rest is read again

# Built once (see webapp.followup.outbox): the link token and the audit row of each send;
# inline: nothing reads their new ids back, so PostgreSQL is not asked to return them.
_ADD_TOKEN = sa.insert(PatientToken.__table__).inline()
_ADD_AUDIT = sa.insert(AuditEvent.__table__).inline()


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
    secret_key: str | None  # signs each email's stop link; without one, no link is offered


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
    report = DispatchReport()
    if not ids:
        return report
    ctx = _context(now, lease_until, channels, config)
    safe_until = lease_until - lease / 5
    # One connection for the batch: one pool checkout, then one transaction per reminder.
    with db.get_bind().connect() as conn:
        batch = _ClaimedBatch(conn, ids, lease_until, now)
        for position in range(len(ids)):
            if clock is not None and clock() >= safe_until:
                report.skipped += outbox.release(db, ids[position:], lease_until)
                break
            _count(report, _deliver_one(conn, batch.row(position), ctx))
    log.info("dispatch %s: claimed %d: %s", worker_id, len(ids), report.describe())
    return report


class _ClaimedBatch:
    """The claimed rows, read in one query, and the rest read again once older than FRESH_FOR."""

    def __init__(self, conn: Connection, ids: list[int], lease_until: datetime, now: datetime):
        self.conn, self.ids, self.lease_until, self.now = conn, ids, lease_until, now
        self._read(0)

    def _read(self, position: int) -> None:
        self.rows = outbox.load_claimed(self.conn, self.ids[position:],
                                        lease_until=self.lease_until, now=self.now)
        self.conn.rollback()  # end the read: no transaction stays open while a channel talks
        self.read_at = time.monotonic()

    def row(self, position: int) -> Row | None:
        """Return the row at `position` of the claim, or None if our lease no longer holds it."""
        if time.monotonic() - self.read_at > FRESH_FOR:
            self._read(position)
        return self.rows.get(self.ids[position])


def _count(report: DispatchReport, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


def _context(now, lease_until, channels, config) -> _Context:
    base_url = str(config.get("BASE_URL") or "http://localhost")
    domain = urlsplit(base_url).hostname or "localhost"
    return _Context(now, lease_until, channels, base_url,
                    str(config.get("CLINIC_NAME") or "NerveTrack"), domain,
                    config.get("SECRET_KEY") or None)


def _deliver_one(conn: Connection, row: Row | None, ctx: _Context) -> str:
    """Deliver one claimed row; return the report field it counts towards."""
    if row is None:
        return "skipped"  # someone else holds it now
    verdict = _stale_verdict(row, ctx.now)
    if verdict:
        done = outbox.mark_not_sent(conn, row.id, ctx.lease_until, verdict=verdict)
        return _commit_if(conn, done, "expired")
    to = row.email if row.channel == "email" else row.phone
    if not to:
        return _give_up(conn, row, ctx, NO_CONTACT.get(row.channel, "no address on file"))
    # A fresh single-use link; only its hash is stored, with the "sent" mark.
    token = secrets.token_urlsafe(32)
    try:
        message = _render(row, ctx, token)
        provider_id = _channel_for(ctx, row.channel).send(message, to)
    except PermanentFailure as exc:
        return _give_up(conn, row, ctx, str(exc))
    except TemporaryFailure as exc:
        return _retry(conn, row, ctx, str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the batch
        return _retry(conn, row, ctx, f"unexpected error: {type(exc).__name__}")
    return _sent(conn, row, ctx, token, provider_id or message.message_id)


def _stale_verdict(row: Row, now: datetime) -> str | None:
    """Return "cancelled"/"expired" when the reminder must not be sent any more, else None."""
    if row.patient_status != "active":
        return "cancelled"
    if row.assignment_status in ("completed", "cancelled"):
        return "cancelled"
    if row.assignment_status not in LIVE_ASSIGNMENT_STATUSES or row.closes_at <= now:
        return "expired"
    if _held_by_patient(row, now):
        return "cancelled"
    if is_manual(row.slot_key):
        return None  # asked for by a person: always worth sending while the window is open
    return "expired" if row.later_due else None  # catch-up: only the latest due step goes


def _held_by_patient(row: Row, now: datetime) -> bool:
    """Tell whether the patient paused or stopped reminders; a fresh link they asked for goes."""
    if row.slot_key.startswith(RELINK_PREFIX):
        return False
    if row.reminders_stopped_at is not None:
        return True
    return row.reminders_paused_until is not None and row.reminders_paused_until > now


def _channel_for(ctx: _Context, kind: str) -> Channel:
    channel = ctx.channels.get(kind)
    if channel is None:
        # Configuration can be fixed; retrying keeps the reminder until the budget runs out.
        raise TemporaryFailure(f"no {kind} channel configured")
    return channel


def _render(row: Row, ctx: _Context, token: str) -> Message:
    stop_link = None
    if row.channel == "email" and ctx.secret_key:
        signed = make_stop_token(ctx.secret_key, row.patient_id, now=ctx.now)
        stop_link = stop_url(ctx.base_url, signed)
    return build_reminder(row.first_name, ctx.clinic_name, deadline_utc=row.closes_at,
                          tz=row.timezone, link=link_url(ctx.base_url, token),
                          channel=row.channel, message_key=row.slot_key,
                          domain=ctx.domain, language=row.language or "en",
                          stop_link=stop_link, stop_hint=row.channel == "sms")


def _commit_if(conn: Connection, done: bool, outcome: str) -> str:
    """Commit when the fenced update held, else roll back and count the row as skipped."""
    if not done:
        conn.rollback()
        return "skipped"
    conn.commit()
    return outcome


def _audit(conn: Connection, action: str, row: Row, detail: dict) -> None:
    conn.execute(_ADD_AUDIT, {
        "at": utcnow(), "action": action, "actor_type": "system", "actor_label": "dispatcher",
        "record_type": "reminder", "record_id": row.id, "patient_id": row.patient_id,
        "detail": {"channel": row.channel, "reminder_id": row.id, **detail}})


def _sent(conn: Connection, row: Row, ctx: _Context, token: str, message_id: str) -> str:
    if not outbox.mark_sent(conn, row.id, ctx.lease_until, now=ctx.now, message_id=message_id):
        return _commit_if(conn, False, "sent")
    conn.execute(_ADD_TOKEN, {"token_hash": hash_token(token), "patient_id": row.patient_id,
                              "assignment_id": row.assignment_id, "created_at": ctx.now,
                              "expires_at": row.closes_at})
    _audit(conn, "reminder_sent", row, {})
    return _commit_if(conn, True, "sent")


def _give_up(conn: Connection, row: Row, ctx: _Context, error: str) -> str:
    error = error[:ERROR_LIMIT]
    if not outbox.mark_failed(conn, row.id, ctx.lease_until, error=error,
                              attempts=row.attempts + 1):
        return _commit_if(conn, False, "failed")
    _audit(conn, "reminder_failed", row, {"error": error})
    return _commit_if(conn, True, "failed")


def _retry(conn: Connection, row: Row, ctx: _Context, error: str) -> str:
    attempts = row.attempts + 1
    if should_give_up(attempts):
        return _give_up(conn, row, ctx, f"gave up after {attempts} attempts: {error}")
    done = outbox.mark_retry(conn, row.id, ctx.lease_until, attempts=attempts,
                             error=error[:ERROR_LIMIT],
                             next_at=next_attempt_at(attempts, ctx.now, row.slot_key))
    return _commit_if(conn, done, "retried")
