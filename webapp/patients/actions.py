"""The coordinator's actions on patients: enrol, preview, status, contact details, resend, log.

Data functions: they take `session`, add and flush, and return values; the views audit and
commit, so an action and its audit event land in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, select

from scheduler.localtime import local_instant
from scheduler.plan_model import CourseInfo, Plan, SessionInfo
from scheduler.planner import plan_followups
from scheduler.protocol import parse_protocol
from scheduler.states import LIVE_ASSIGNMENT_STATUSES
from surveys.catalogue import Region, load_regions
from webapp.audit import Actor
from webapp.care.records import CareError, add_treatment_session
from webapp.followup import outbox
from webapp.followup.replan import ReplanResult, mark_for_replan, replan_course
from webapp.models import (
    ContactLog,
    CourseRegion,
    Patient,
    ProtocolVersion,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
)
from webapp.patients.enrolment import check_regions, enrol_patient

# action -> (statuses it may start from, status it leads to)
STATUS_ACTIONS = {
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "withdraw": (("active", "paused"), "withdrawn"),
    "discharge": (("active", "paused"), "discharged"),
}
CONTACT_FIELDS = ("email", "phone", "timezone", "language", "preferred_channel", "tags")
REPLAN_FIELDS = {"timezone", "preferred_channel"}
ZONES = sorted(available_timezones() - {"localtime"})


def zones_first(clinic_zone: str) -> list[str]:
    """Every IANA zone for the searchable list, the clinic's own first."""
    return [clinic_zone] + [z for z in ZONES if z != clinic_zone]


def regions_by_limb() -> dict[str, list[Region]]:
    """The region catalogue grouped by limb, in catalogue order."""
    groups: dict[str, list[Region]] = {}
    for region in load_regions():
        groups.setdefault(region.limb, []).append(region)
    return groups


def preview_rows(plan: Plan, tz: ZoneInfo, titles: dict[str, str]) -> list[dict]:
    """Planned assignments as local dates and reminder times, questionnaires by name."""
    return [{"label": a.label, "due": a.due_local,
             "opens": a.opens_at.astimezone(tz).date(),
             "last_day": (a.closes_at.astimezone(tz) - timedelta(seconds=1)).date(),
             "instruments": [titles.get(i, i) for i in a.instruments],
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
    tags: tuple[str, ...] = ()
    index_region: str | None = None


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
    info = CourseInfo("preview", enrolment.enrolled_on, tuple(check_regions(enrolment.regions)),
                      enrolled_at=now)
    first = first_session_utc(enrolment)
    sessions = [SessionInfo("first", first, "scheduled")] if first else []
    return plan_followups(parse_protocol(version.definition), info, sessions, enrolment.timezone,
                          now, preferred_channel=enrolment.preferred_channel)


def enrol(session: Session, enrolment: Enrolment, *, now: datetime,
          actor: Actor) -> TreatmentCourse:
    """Store the patient, course, regions and first session, then plan the follow-ups."""
    fields = {k: v for k, v in enrolment.__dict__.items() if k != "first_session_local"}
    fields["tags"] = list(enrolment.tags)
    course = enrol_patient(session, **fields, enrolled_at=now)
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
        mark_for_replan(session, course)
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
        outbox.revive_future(session, patient.id, now)
    replan_patient(session, patient, now=now, actor=actor)
    return before


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
        outbox.retire_future(session, patient.id, now)
        replan_patient(session, patient, now=now, actor=actor)
    return changed


def set_index_region(session: Session, course: TreatmentCourse, code: str, *,
                     now: datetime) -> bool:
    """Choose the region a course is analysed by; False if it was already that one."""
    regions = [r.region_code for r in session.exec(
        select(CourseRegion).where(CourseRegion.course_id == course.id)
        .order_by(CourseRegion.id)).all()]
    if code not in regions:
        raise CareError("Choose one of the regions treated in this course.")
    if course.index_region_code == code:
        return False
    course.index_region_code, course.updated_at = code, now
    session.add(course)
    session.flush()
    return True


def request_resend(session: Session, assignment: SurveyAssignment, patient: Patient, *,
                   now: datetime) -> Reminder:
    """Queue one reminder for now on the patient's preferred channel (the dispatcher sends it)."""
    if patient.status != "active":
        raise CareError(f"The patient is {patient.status}: no reminder can be sent.")
    if assignment.status not in LIVE_ASSIGNMENT_STATUSES \
            or not assignment.opens_at <= now < assignment.closes_at:
        raise CareError("This follow-up is not open now: there is nothing to remind about.")
    channel = patient.preferred_channel
    if not (patient.email if channel == "email" else patient.phone):
        raise CareError(f"No {'email address' if channel == 'email' else 'phone number'} "
                        "on file for the preferred channel.")
    reminder = outbox.queue_resend(session, assignment_id=assignment.id, patient_id=patient.id,
                                   channel=channel, now=now)
    if reminder is None:
        raise CareError("A reminder for this follow-up was queued a moment ago.")
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
