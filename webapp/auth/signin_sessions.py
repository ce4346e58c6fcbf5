"""Server-side sessions for staff and patients: the cookie holds only a random id."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from webapp.db import DriverQuery
from webapp.models import AuthSession, Patient, StaffUser, SurveyAssignment, utcnow

# Write last_seen at most this often, so browsing does not write on every request.
_TOUCH_EVERY = timedelta(seconds=30)

_SESSIONS, _PATIENTS, _ASSIGNMENTS = (AuthSession.__table__, Patient.__table__,
                                      SurveyAssignment.__table__)
# What the patient pages read of an assignment (VisitAssignment's fields, in order).
_ASSIGNMENT_COLUMNS = ("id", "patient_id", "course_id", "status", "opens_at", "closes_at",
                       "instruments", "regions")
# A patient's page asks this once: the live session, its patient's language and, when the
# page is about one, the patient's own survey assignment. Built and compiled once, prepared
# on the server, sent through the driver's cursor (webapp.db.DriverQuery). Core columns, not ORM
# entities: building a mapped SurveyAssignment cost more than the rest of the query.
_PATIENT_VISIT = DriverQuery(
    sa.select(_SESSIONS.c.id, _SESSIONS.c.patient_id, _SESSIONS.c.kind, _SESSIONS.c.revoked_at,
              _SESSIONS.c.last_seen_at, _SESSIONS.c.expires_at, _PATIENTS.c.language,
              *(_ASSIGNMENTS.c[name].label(f"assignment_{name}") for name in _ASSIGNMENT_COLUMNS))
    .select_from(_SESSIONS.join(_PATIENTS, sa.and_(
        _PATIENTS.c.id == _SESSIONS.c.patient_id, _PATIENTS.c.status == "active",
        _PATIENTS.c.erased_at.is_(None))).outerjoin(_ASSIGNMENTS, sa.and_(
            _ASSIGNMENTS.c.id == sa.bindparam("assignment_id", type_=sa.Integer),
            _ASSIGNMENTS.c.patient_id == _SESSIONS.c.patient_id)))
    .where(_SESSIONS.c.sid_hash == sa.bindparam("sid_hash")))
_TOUCH = (sa.update(_SESSIONS).where(_SESSIONS.c.id == sa.bindparam("session_id"))
          .values(last_seen_at=sa.bindparam("now", type_=_SESSIONS.c.last_seen_at.type)))


@dataclass(frozen=True)
class VisitAssignment:
    """A survey assignment as a patient's page reads it with their session: a snapshot.

    It has the attributes of SurveyAssignment that the patient pages use; writes go through
    statements keyed by its id (webapp.survey.answers), never through this object.
    """

    id: int
    patient_id: int
    course_id: int
    status: str
    opens_at: datetime
    closes_at: datetime
    instruments: list
    regions: list


@dataclass(frozen=True)
class PatientVisit:
    """A live patient session: whose it is, their language, and the assignment asked for."""

    patient_id: int
    language: str
    assignment_id: int | None
    assignment: VisitAssignment | None  # the patient's own, whatever its status; else None


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


def _is_live(row, kind: str, idle: timedelta, now: datetime) -> bool:
    return (row is not None and row.kind == kind and row.revoked_at is None
            and now < row.expires_at and now - row.last_seen_at < idle)


def _touch(db: Session, row, now: datetime) -> None:
    if now - row.last_seen_at >= _TOUCH_EVERY:
        db.execute(_TOUCH, {"session_id": row.id, "now": now})
        db.commit()


def _live_row(db: Session, sid: str, kind: str, idle: timedelta, now: datetime):
    row = db.exec(select(AuthSession).where(AuthSession.sid_hash == hash_token(sid))).first()
    if not _is_live(row, kind, idle, now):
        return None
    _touch(db, row, now)
    return row


def load_staff(db: Session, sid: str, config, now: datetime | None = None) -> StaffUser | None:
    """Return the active staff user of a live session, or None if it ended."""
    idle = timedelta(minutes=int(config["STAFF_IDLE_MINUTES"]))
    row = _live_row(db, sid, "staff", idle, now or utcnow())
    if row is None:
        return None
    user = db.get(StaffUser, row.staff_user_id)
    return user if user is not None and user.is_active else None


def load_patient_visit(db: Session, sid: str, config, *, assignment_id: int | None = None,
                       now: datetime | None = None) -> PatientVisit | None:
    """Return a live patient session (active, not erased patient) in one query, or None.

    With `assignment_id`, the same query loads that survey assignment if it is the patient's.
    """
    now = now or utcnow()
    idle = timedelta(minutes=int(config["PATIENT_SESSION_MINUTES"]))
    rows = _PATIENT_VISIT.rows(db, {"sid_hash": hash_token(sid), "assignment_id": assignment_id})
    row = rows[0] if rows else None
    if not _is_live(row, "patient", idle, now):
        return None
    _touch(db, row, now)
    assignment = (VisitAssignment(*row[-len(_ASSIGNMENT_COLUMNS):])
                  if row.assignment_id is not None else None)
    return PatientVisit(row.patient_id, row.language, assignment_id, assignment)


def load_patient(db: Session, sid: str, config, now: datetime | None = None) -> int | None:
    """Return the patient id of a live patient session, or None."""
    visit = load_patient_visit(db, sid, config, now=now)
    return visit.patient_id if visit else None


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
