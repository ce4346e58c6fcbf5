"""The coordinator's actions on patients: enrol, preview, status, contact details, resend, log.

Data functions: they take `session`, add and flush, and return values; the views audit and
commit, so an action and its audit event land in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, func, select

from scheduler.localtime import local_instant
from scheduler.plan_model import CourseInfo, Plan, SessionInfo
from scheduler.planner import plan_followups
from scheduler.protocol import parse_protocol
from surveys.catalogue import Region, load_regions
from webapp.care.records import CareError, add_treatment_session, check_regions, enrol_patient
from webapp.followup.replan import Actor, ReplanResult, replan_course
from webapp.followup.worklist import LIVE
from webapp.models import (
    ContactLog,
    Patient,
    Protocol,
    ProtocolVersion,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
)

# action -> (statuses it may start from, status it leads to)
STATUS_ACTIONS = {
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "withdraw": (("active", "paused"), "withdrawn"),
    "discharge": (("active", "paused"), "discharged"),
}
CONTACT_FIELDS = ("email", "phone", "timezone", "language", "preferred_channel")
REPLAN_FIELDS = {"timezone", "preferred_channel"}
ZONES = sorted(available_timezones())


def regions_by_limb() -> dict[str, list[Region]]:
    """The region catalogue grouped by limb, in catalogue order."""
    groups: dict[str, list[Region]] = {}
    for region in load_regions():
        groups.setdefault(region.limb, []).append(region)
    return groups


def latest_versions(session: Session) -> list[tuple[Protocol, ProtocolVersion]]:
    """The newest version of each protocol that is not archived, by protocol name."""
    newest = (select(ProtocolVersion.protocol_id, func.max(ProtocolVersion.version).label("v"))
              .group_by(ProtocolVersion.protocol_id).subquery())
    rows = session.exec(
        select(Protocol, ProtocolVersion)
        .join(ProtocolVersion, ProtocolVersion.protocol_id == Protocol.id)
        .join(newest, (newest.c.protocol_id == ProtocolVersion.protocol_id)
              & (newest.c.v == ProtocolVersion.version))
        .where(Protocol.archived.is_(False)).order_by(Protocol.name)).all()
    return list(rows)


def preview_rows(plan: Plan, tz: ZoneInfo) -> list[dict]:
    """Planned assignments as local dates and reminder times, for the enrolment preview."""
    return [{"label": a.label, "due": a.due_local,
             "opens": a.opens_at.astimezone(tz).date(),
             "last_day": (a.closes_at.astimezone(tz) - timedelta(seconds=1)).date(),
             "instruments": a.instruments,
             "reminders": [(r.send_at.astimezone(tz), r.channel) for r in a.reminders]}
            for a in plan.assignments]


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment form asks for, already format-checked."""

    study_code: str
    first_name: str
    email: str | None
    phone: str | None
    timezone: str
    language: str
    preferred_channel: str
    consent_date: date
    regions: list[str]
    protocol_version_id: int
    enrolled_on: date
    first_session_local: datetime | None  # naive wall time in the patient's zone


def first_session_utc(enrolment: Enrolment) -> datetime | None:
    """The first session as an aware UTC instant (a DST-gap time moves past the gap)."""
    local = enrolment.first_session_local
    if local is None:
        return None
    return local_instant(local.date(), local.time(), ZoneInfo(enrolment.timezone))


def preview_plan(session: Session, enrolment: Enrolment, *, now: datetime) -> Plan:
    """Plan the follow-ups the enrolment would create, without storing anything."""
    version = session.get(ProtocolVersion, enrolment.protocol_version_id)
    if version is None:
        raise CareError("Unknown protocol version.")
    info = CourseInfo("preview", enrolment.enrolled_on, tuple(check_regions(enrolment.regions)))
    first = first_session_utc(enrolment)
    sessions = [SessionInfo("first", first, "scheduled")] if first else []
    return plan_followups(parse_protocol(version.definition), info, sessions, enrolment.timezone,
                          now, preferred_channel=enrolment.preferred_channel)


def enrol(session: Session, enrolment: Enrolment, *, now: datetime,
          actor: Actor) -> TreatmentCourse:
    """Store the patient, course, regions and first session, then plan the follow-ups."""
    fields = {k: v for k, v in enrolment.__dict__.items() if k != "first_session_local"}
    course = enrol_patient(session, **fields)
    first = first_session_utc(enrolment)
    if first is not None:
        add_treatment_session(session, course=course, scheduled_at=first)
    replan_course(session, course.id, now=now, actor=actor)
    return course


def replan_patient(session: Session, patient: Patient, *, now: datetime,
                   actor: Actor) -> list[ReplanResult]:
    """Mark every course of a patient for re-planning and re-plan it now."""
    courses = session.exec(select(TreatmentCourse)
                           .where(TreatmentCourse.patient_id == patient.id)).all()
    results = []
    for course in courses:
        course.needs_replan = True
        session.add(course)
        session.flush()
        results.append(replan_course(session, course.id, now=now, actor=actor))
    return results


def change_status(session: Session, patient: Patient, action: str, *, now: datetime,
                  actor: Actor) -> str:
    """Pause, resume, withdraw or discharge a patient, re-plan, and return the old status."""
    if action not in STATUS_ACTIONS:
        raise CareError("Unknown action.")
    allowed_from, target = STATUS_ACTIONS[action]
    if patient.status not in allowed_from:
        raise CareError(f"A patient who is {patient.status} cannot be set to {target}.")
    before = patient.status
    patient.status, patient.updated_at = target, now
    session.add(patient)
    session.flush()
    if action == "resume":
        _revive_future_reminders(session, patient, now)
    replan_patient(session, patient, now=now, actor=actor)
    return before


def _revive_future_reminders(session: Session, patient: Patient, now: datetime) -> None:
    """Un-cancel future reminders of live follow-ups so the re-plan can keep the wanted ones.

    Why: the re-plan never re-adds a reminder whose slot key already exists, even a cancelled
    one, so without this a paused-then-resumed patient would get no reminders for windows
    planned before the pause. The re-plan cancels again every revived row it does not want.
    """
    rows = session.exec(select(Reminder).join(SurveyAssignment).where(
        Reminder.patient_id == patient.id, Reminder.status == "cancelled",
        Reminder.send_at > now, SurveyAssignment.status.in_(LIVE))).all()
    for row in rows:
        row.status = "pending"
        session.add(row)
    session.flush()


def update_contact(session: Session, patient: Patient, values: dict, *, now: datetime,
                   actor: Actor) -> list[str]:
    """Apply changed contact details; re-plan when the zone or channel changed. Return fields."""
    changed = [f for f in CONTACT_FIELDS if values.get(f) != getattr(patient, f)]
    if not changed:
        return []
    for name in changed:
        setattr(patient, name, values.get(name))
    patient.updated_at = now
    session.add(patient)
    session.flush()
    if REPLAN_FIELDS & set(changed):
        _retire_future_reminders(session, patient, now)
        replan_patient(session, patient, now=now, actor=actor)
    return changed


def _retire_future_reminders(session: Session, patient: Patient, now: datetime) -> None:
    """Cancel the patient's future pending reminders under a new key, so the re-plan remakes them.

    Why: the re-plan keys a reminder by the UTC date its window opens, so after a time zone
    change that keeps that date it would keep the old zone's send time. Renaming frees the key
    and keeps the cancelled row as history.
    """
    rows = session.exec(select(Reminder).where(Reminder.patient_id == patient.id,
                                               Reminder.status == "pending",
                                               Reminder.send_at > now)).all()
    for row in rows:
        row.status = "cancelled"
        row.slot_key = f"{row.slot_key}~retired{now:%Y%m%d%H%M%S}"[:160]
        session.add(row)
    session.flush()


def request_resend(session: Session, assignment: SurveyAssignment, patient: Patient, *,
                   now: datetime) -> Reminder:
    """Queue one reminder for now on the patient's preferred channel (the dispatcher sends it)."""
    if patient.status != "active":
        raise CareError(f"The patient is {patient.status}: no reminder can be sent.")
    if assignment.status not in LIVE or not assignment.opens_at <= now < assignment.closes_at:
        raise CareError("This follow-up is not open now: there is nothing to remind about.")
    channel = patient.preferred_channel
    if not (patient.email if channel == "email" else patient.phone):
        raise CareError(f"No {'email address' if channel == 'email' else 'phone number'} "
                        "on file for the preferred channel.")
    slot_key = f"resend/{assignment.id}/{now:%Y%m%d%H%M%S}"
    if session.exec(select(Reminder.id).where(Reminder.slot_key == slot_key)).first():
        raise CareError("A reminder for this follow-up was queued a moment ago.")
    reminder = Reminder(slot_key=slot_key, assignment_id=assignment.id, patient_id=patient.id,
                        channel=channel, send_at=now, next_attempt_at=now, created_at=now)
    session.add(reminder)
    session.flush()
    return reminder


def add_contact(session: Session, patient: Patient, *, kind: str, note: str | None,
                staff_user_id: int, now: datetime,
                assignment_id: int | None = None) -> ContactLog:
    """Log a phone call, a note or a resend for a patient."""
    if assignment_id is not None:
        owner = session.get(SurveyAssignment, assignment_id)
        if owner is None or owner.patient_id != patient.id:
            raise CareError("Unknown follow-up for this patient.")
    row = ContactLog(patient_id=patient.id, assignment_id=assignment_id,
                     staff_user_id=staff_user_id, kind=kind, note=note or None, at=now)
    session.add(row)
    session.flush()
    return row
