"""Server-side sessions for staff and patients: the cookie holds only a random id."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from webapp.models import AuthSession, StaffUser, utcnow

# Write last_seen at most this often, so browsing does not write on every request.
_TOUCH_EVERY = timedelta(seconds=30)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of a session id or a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Session, *, kind: str, lifetime: timedelta, ip: str | None,
          staff_user_id: int | None = None, patient_id: int | None = None,
          now: datetime | None = None) -> str:
    """Create a session row and return the random id to put in the cookie."""
    now = now or utcnow()
    sid = secrets.token_urlsafe(32)
    db.add(AuthSession(sid_hash=hash_token(sid), kind=kind, staff_user_id=staff_user_id,
                       patient_id=patient_id, created_at=now, last_seen_at=now,
                       expires_at=now + lifetime, ip=ip))
    return sid


def _live_row(db: Session, sid: str, kind: str, idle: timedelta, now: datetime):
    row = db.exec(select(AuthSession).where(AuthSession.sid_hash == hash_token(sid))).first()
    if row is None or row.kind != kind or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
        db.commit()
    return row


def load_staff(db: Session, sid: str, config, now: datetime | None = None) -> StaffUser | None:
    """Return the active staff user of a live session, or None if it ended."""
    idle = timedelta(minutes=int(config["STAFF_IDLE_MINUTES"]))
    row = _live_row(db, sid, "staff", idle, now or utcnow())
    if row is None:
        return None
    user = db.get(StaffUser, row.staff_user_id)
    return user if user is not None and user.is_active else None


def load_patient(db: Session, sid: str, config, now: datetime | None = None) -> int | None:
    """Return the patient id of a live patient session, or None."""
    idle = timedelta(minutes=int(config["PATIENT_SESSION_MINUTES"]))
    row = _live_row(db, sid, "patient", idle, now or utcnow())
    return row.patient_id if row else None


def revoke(db: Session, sid: str, now: datetime | None = None) -> None:
    """End one session on the server."""
    row = db.exec(select(AuthSession).where(AuthSession.sid_hash == hash_token(sid))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        db.add(row)


def revoke_all_for_staff(db: Session, user_id: int, now: datetime | None = None) -> int:
    """End every session of a staff user (deactivation, password reset); return how many."""
    rows = db.exec(select(AuthSession).where(AuthSession.staff_user_id == user_id,
                                             AuthSession.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now or utcnow()
        db.add(row)
    return len(rows)
