"""Patients' own reminder choices: pause for a week, or stop; and what the coordinator sees.

A choice changes the patient's two reminder columns and nothing else, through one conditional
UPDATE, so a repeated or racing request changes nothing twice; each change is audited with the
same transaction. The dispatcher reads the columns and cancels reminders while paused or after a
stop (scheduler/dispatch.py); the follow-ups stay open, so links already sent still work.
Functions add to the session; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from webapp.audit import Actor, add_event
from webapp.models import Patient

PAUSE_FOR = timedelta(days=7)
MIN_PHONE_DIGITS = 6  # shorter "numbers" are gateway short codes or junk: never a patient
SMS_GATEWAY = Actor("system", None, "sms-inbound")


@dataclass(frozen=True)
class ReminderChoice:
    """A patient's standing choice: "paused" (until `until`) or "stopped" (since `since`)."""

    patient_id: int
    choice: str
    until: datetime | None = None
    since: datetime | None = None


def reminder_state(paused_until: datetime | None, stopped_at: datetime | None,
                   now: datetime) -> str | None:
    """Return "stopped", "paused" or None (reminders go) for a patient's two columns."""
    if stopped_at is not None:
        return "stopped"
    if paused_until is not None and paused_until > now:
        return "paused"
    return None


def _change(db: Session, patient_id: int, condition, values: dict) -> bool:
    result = db.execute(sa.update(Patient).where(Patient.id == patient_id,
                                                 Patient.erased_at.is_(None), condition)
                        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _audit(db: Session, action: str, patient_id: int, actor: Actor, detail: dict) -> None:
    add_event(db, action, actor_type=actor.actor_type, actor_id=actor.actor_id,
              actor_label=actor.actor_label, ip=actor.ip, record_type="patient",
              record_id=patient_id, patient_id=patient_id, detail=detail)


def pause_reminders(db: Session, patient_id: int, *, now: datetime, actor: Actor,
                    via: str) -> datetime | None:
    """Pause a patient's reminders for PAUSE_FOR from now; return the end, None if stopped."""
    until = now + PAUSE_FOR
    if not _change(db, patient_id, Patient.reminders_stopped_at.is_(None),
                   {"reminders_paused_until": until}):
        return None
    _audit(db, "reminders_paused", patient_id, actor, {"via": via, "until": until.isoformat()})
    return until


def stop_reminders(db: Session, patient_id: int, *, now: datetime, actor: Actor,
                   via: str) -> bool:
    """Stop a patient's reminders; tell whether this changed anything (not already stopped)."""
    if not _change(db, patient_id, Patient.reminders_stopped_at.is_(None),
                   {"reminders_stopped_at": now}):
        return False
    _audit(db, "reminders_stopped", patient_id, actor, {"via": via})
    return True


def resume_reminders(db: Session, patient_id: int, *, actor: Actor) -> bool:
    """Send reminders again (say, after the patient asked the clinic by phone); tell if changed."""
    held = sa.or_(Patient.reminders_stopped_at.is_not(None),
                  Patient.reminders_paused_until.is_not(None))
    if not _change(db, patient_id, held,
                   {"reminders_stopped_at": None, "reminders_paused_until": None}):
        return False
    _audit(db, "reminders_resumed", patient_id, actor, {})
    return True


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def stop_reminders_for_phone(db: Session, phone: str, *, now: datetime) -> int:
    """Stop the reminders of every patient with this phone number; return how many changed.

    Phone numbers are stored as typed, so digits are compared; a phone shared by two patients
    (a parent answering for two children) stops both, since STOP means "no more texts here".
    """
    wanted = _digits(phone)
    if len(wanted) < MIN_PHONE_DIGITS:
        return 0
    rows = db.exec(select(Patient.id, Patient.phone).where(
        Patient.phone.is_not(None), Patient.erased_at.is_(None))).all()
    ids = [pid for pid, number in rows if _digits(number or "") == wanted]
    return sum(stop_reminders(db, pid, now=now, actor=SMS_GATEWAY, via="sms") for pid in ids)


def reminder_choices(db: Session, *, now: datetime,
                     patient_ids: list[int] | None = None) -> dict[int, ReminderChoice]:
    """Return {patient id: choice} for patients who stopped reminders or paused them until
    after `now` (only those in `patient_ids`, when given): the worklist and patient page show it.
    """
    query = select(Patient.id, Patient.reminders_paused_until, Patient.reminders_stopped_at).where(
        Patient.erased_at.is_(None),
        sa.or_(Patient.reminders_stopped_at.is_not(None), Patient.reminders_paused_until > now))
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    choices = {}
    for pid, paused_until, stopped_at in db.exec(query).all():
        state = reminder_state(paused_until, stopped_at, now)
        choices[pid] = ReminderChoice(pid, state, until=paused_until if state == "paused"
                                      else None, since=stopped_at)
    return choices
