"""Single-use survey links: issue, redeem, and queue a fresh one on request.

Only the SHA-256 of a token is stored, so a leaked database cannot be turned into links.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.states import LIVE_ASSIGNMENT_STATUSES, RELINK_PREFIX
from webapp.audit import add_event
from webapp.auth.signin_sessions import hash_token
from webapp.followup import outbox
from webapp.models import Patient, PatientToken, Reminder, SurveyAssignment

RELINK_LIMIT = 3  # fresh-link requests queued per patient per RELINK_WINDOW
NOBODY = 0  # an id no row has (ids start at 1): unknown addresses run the same statements
RELINK_WINDOW = timedelta(hours=1)
MIN_PHONE_DIGITS = 6


def issue_link(db: Session, *, patient_id: int, assignment_id: int | None,
               expires_at: datetime, now: datetime) -> str:
    """Create a single-use link token (stored only as a hash) and return the raw token."""
    token = secrets.token_urlsafe(32)
    db.add(PatientToken(token_hash=hash_token(token), patient_id=patient_id,
                        assignment_id=assignment_id, created_at=now, expires_at=expires_at))
    return token


def link_url(base_url: str, token: str) -> str:
    """Return the address a patient taps: ``{base_url}/p/t/<token>``."""
    return f"{base_url.rstrip('/')}/p/t/{token}"


def redeem_link(db: Session, token: str, now: datetime) -> tuple[str, PatientToken | None]:
    """Use a token once; return ("ok", row) or ("used" | "expired" | "unknown", row or None)."""
    if not token or len(token) > 200:
        return "unknown", None
    row = db.exec(select(PatientToken).where(
        PatientToken.token_hash == hash_token(token))).first()
    if row is None:
        return "unknown", None
    if row.used_at is not None:
        return "used", row
    patient = db.get(Patient, row.patient_id)
    if now >= row.expires_at or patient is None or patient.status != "active":
        return "expired", row
    # A conditional UPDATE, so two taps racing on the same link cannot both win.
    claimed = db.execute(sa.update(PatientToken)
                         .where(PatientToken.id == row.id, PatientToken.used_at.is_(None))
                         .values(used_at=now))
    if claimed.rowcount != 1:
        return "used", row
    db.refresh(row)
    return "ok", row


def open_assignments(db: Session, patient_id: int, now: datetime) -> list[SurveyAssignment]:
    """Return the patient's assignments whose window is open now, soonest deadline first."""
    return list(db.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient_id,
        SurveyAssignment.status.in_(LIVE_ASSIGNMENT_STATUSES),
        SurveyAssignment.opens_at <= now, SurveyAssignment.closes_at > now)
        .order_by(SurveyAssignment.closes_at, SurveyAssignment.id)).all())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def find_patient_by_address(db: Session, address: str) -> Patient | None:
    """Return the active patient with this email or phone number, or None."""
    address = address.strip()
    active = [Patient.status == "active", Patient.erased_at.is_(None)]
    if "@" in address:
        return db.exec(select(Patient).where(
            sa.func.lower(Patient.email) == address.lower(), *active)).first()
    wanted = _digits(address)
    if len(wanted) < MIN_PHONE_DIGITS:
        return None
    # Phone numbers are stored as typed ("+44 7700 900123"), so compare digits only; every row
    # is compared, so a number found early answers no sooner than one never found.
    rows = db.exec(select(Patient).where(Patient.phone.is_not(None), *active)).all()
    matches = [p for p in rows if _digits(p.phone or "") == wanted]
    return matches[0] if matches else None


def _recent_relinks(db: Session, patient_id: int, now: datetime) -> int:
    return db.exec(select(sa.func.count(Reminder.id)).where(
        Reminder.patient_id == patient_id, Reminder.slot_key.startswith(RELINK_PREFIX),
        Reminder.created_at > now - RELINK_WINDOW)).one()


def _channel(patient: Patient | None) -> str:
    if patient is None:
        return "email"
    if patient.preferred_channel == "sms" and patient.phone:
        return "sms"
    return "email" if patient.email else "sms"


def request_fresh_link(db: Session, address: str, now: datetime) -> bool:
    """Queue a fresh link for the owner of `address` if they have a survey open; tell if queued.

    The same statements run whatever the address: an unknown one, a patient with no survey
    open and one who asked too often all look up and insert with ids no row has (NOBODY), so
    neither the answer nor its timing says whether we know the address. The dispatcher issues
    the link itself when it sends the reminder (a raw token is never stored).
    """
    patient = find_patient_by_address(db, address)
    patient_id = patient.id if patient is not None else NOBODY
    due = open_assignments(db, patient_id, now)
    recent = _recent_relinks(db, patient_id, now)
    target = due[0].id if due and recent < RELINK_LIMIT else NOBODY
    queued = outbox.queue_relink(db, assignment_id=target, patient_id=patient_id,
                                 channel=_channel(patient), now=now)
    known = patient.id if patient is not None else None
    add_event(db, "patient_relink_queued" if queued else "patient_relink_refused",
              actor_type="patient", actor_id=known, patient_id=known,
              record_type="survey_assignment" if queued else None,
              record_id=target if queued else None)
    return queued
