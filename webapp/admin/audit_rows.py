"""Audit events as an admin reads them: who, what in plain words, which record, clinic time.

Records are named by what they are ("a session on 12 March 2026", protocol "CTS single
injection" version 2) with one query per record type for a whole page of events, never one per
event. A record that no longer exists (an erased patient) is named by its type and number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from webapp.admin.audit_words import SYSTEM_ACTORS, action_words, record_noun
from webapp.models import (
    AuditEvent,
    ContactLog,
    Patient,
    Protocol,
    ProtocolVersion,
    Reminder,
    SafetyFlag,
    StaffUser,
    SurveyAssignment,
    TreatmentCourse,
    TreatmentSession,
)


@dataclass(frozen=True)
class EventRow:
    """One audit event with its words beside the raw codes."""

    event: AuditEvent
    when: str  # in the clinic's time zone
    who: str
    what: str
    record: str
    study_code: str


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _local_day(instant: datetime, tz: ZoneInfo) -> str:
    return _day(instant.astimezone(tz).date())


def clinic_time(instant: datetime, tz: ZoneInfo) -> str:
    """Return an instant as the clinic's wall-clock time, with the zone's abbreviation."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _patients(db, ids, _tz):
    rows = db.exec(select(Patient.id, Patient.study_code).where(Patient.id.in_(ids))).all()
    return {pid: f"patient {code}" for pid, code in rows}


def _staff(db, ids, _tz):
    rows = db.exec(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids))).all()
    return {uid: f"staff user {email}" for uid, email in rows}


def _sessions(db, ids, tz):
    rows = db.exec(select(TreatmentSession).where(TreatmentSession.id.in_(ids))).all()
    return {r.id: f"a session on {_local_day(r.performed_at or r.scheduled_at, tz)}"
            for r in rows}


def _versions(db, ids, _tz):
    rows = db.exec(select(ProtocolVersion.id, Protocol.name, ProtocolVersion.version)
                   .join(Protocol, Protocol.id == ProtocolVersion.protocol_id)
                   .where(ProtocolVersion.id.in_(ids))).all()
    return {vid: f'protocol "{name}" version {version}' for vid, name, version in rows}


def _assignments(db, ids, _tz):
    rows = db.exec(select(SurveyAssignment.id, SurveyAssignment.label, SurveyAssignment.due_on)
                   .where(SurveyAssignment.id.in_(ids))).all()
    return {aid: f'the "{label}" follow-up due {_day(due)}' for aid, label, due in rows}


def _courses(db, ids, _tz):
    rows = db.exec(select(TreatmentCourse.id, TreatmentCourse.enrolled_on)
                   .where(TreatmentCourse.id.in_(ids))).all()
    return {cid: f"the course enrolled on {_day(day)}" for cid, day in rows}


def _reminders(db, ids, tz):
    rows = db.exec(select(Reminder.id, Reminder.channel, Reminder.send_at)
                   .where(Reminder.id.in_(ids))).all()
    return {rid: f"the {channel} reminder of {_local_day(at, tz)}" for rid, channel, at in rows}


def _flags(db, ids, tz):
    rows = db.exec(select(SafetyFlag.id, SafetyFlag.kind, SafetyFlag.raised_at)
                   .where(SafetyFlag.id.in_(ids))).all()
    return {fid: f"a {kind.replace('_', ' ')} flag raised {_local_day(at, tz)}"
            for fid, kind, at in rows}


def _contacts(db, ids, tz):
    rows = db.exec(select(ContactLog.id, ContactLog.kind, ContactLog.at)
                   .where(ContactLog.id.in_(ids))).all()
    return {cid: f"a contact-log {kind} of {_local_day(at, tz)}" for cid, kind, at in rows}


LOADERS = {
    "patient": _patients,
    "staff_user": _staff,
    "treatment_session": _sessions,
    "protocol_version": _versions,
    "survey_assignment": _assignments,
    "treatment_course": _courses,
    "reminder": _reminders,
    "safety_flag": _flags,
    "contact_log": _contacts,
}


def _wanted(events) -> dict[str, set[int]]:
    wanted = defaultdict(set)
    for e in events:
        if e.record_type in LOADERS and e.record_id is not None:
            wanted[e.record_type].add(e.record_id)
        if e.patient_id is not None:
            wanted["patient"].add(e.patient_id)
        if e.actor_type == "patient" and e.actor_id is not None:
            wanted["patient"].add(e.actor_id)
    return wanted


def _names(db: Session, events, tz: ZoneInfo) -> dict[tuple[str, int], str]:
    names = {}
    for record_type, ids in _wanted(events).items():
        for record_id, text in LOADERS[record_type](db, sorted(ids), tz).items():
            names[(record_type, record_id)] = text
    return names


def _record(event: AuditEvent, names) -> str:
    if not event.record_type:
        return ""
    if event.record_id is None:
        return record_noun(event.record_type)
    return names.get((event.record_type, event.record_id),
                     f"{record_noun(event.record_type)} #{event.record_id}")


def _who(event: AuditEvent, names) -> str:
    if event.actor_type == "staff":
        return event.actor_label or f"staff user #{event.actor_id}"
    if event.actor_type == "patient":
        if event.actor_id is None:
            return "someone on the patient pages"
        return names.get(("patient", event.actor_id), f"patient #{event.actor_id}")
    label = event.actor_label or ""
    # Failed sign-ins have no actor yet: the label is the email address that was typed.
    return SYSTEM_ACTORS.get(label) or label or "NerveTrack"


def describe_events(db: Session, events: list[AuditEvent], tz: ZoneInfo) -> list[EventRow]:
    """Return the events as rows of plain words, looking records up once per type."""
    names = _names(db, events, tz)
    rows = []
    for e in events:
        patient = names.get(("patient", e.patient_id), f"patient #{e.patient_id}")
        rows.append(EventRow(
            event=e, when=clinic_time(e.at, tz), who=_who(e, names), what=action_words(e.action),
            record=_record(e, names),
            study_code=patient.removeprefix("patient ") if e.patient_id is not None else ""))
    return rows
