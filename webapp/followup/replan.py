"""Bring a course's stored assignments and outbox in line with a fresh plan (the DB shell).

The planner decides; this module reads the course from the database, asks the planner, and
applies the reconciliation: create, move or cancel pending assignments, keep history, and keep
each live assignment's pending reminders equal to the planned ones. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from scheduler.plan_model import (
    CourseInfo,
    ExistingAssignment,
    PlanError,
    PlannedAssignment,
    SessionInfo,
)
from scheduler.planner import plan_followups
from scheduler.protocol import Protocol, ProtocolError, parse_protocol
from scheduler.reconcile import reconcile
from scheduler.states import LIVE_ASSIGNMENT_STATUSES, is_manual, reminder_slot_key
from webapp.audit import Actor, add_event
from webapp.followup import outbox
from webapp.models import (
    CourseRegion,
    Patient,
    ProtocolVersion,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    TreatmentSession,
)


@dataclass
class ReplanResult:
    course_id: int
    created: int = 0
    moved: int = 0
    cancelled: int = 0
    reminders_added: int = 0
    reminders_cancelled: int = 0
    error: str | None = None
    changes: list[str] = field(default_factory=list)


def planning_status(patient: Patient, course: TreatmentCourse) -> str:
    """Combine the patient's and the course's status into the planner's course status."""
    if patient.status != "active":
        return patient.status
    return "ended" if course.status == "ended" else "active"


def course_timeline(session: Session, course: TreatmentCourse, patient: Patient):
    """Return the planner's inputs (CourseInfo, sessions) for a stored course."""
    regions = tuple(course_region_codes(session, course.id))
    info = CourseInfo(course.id, course.enrolled_on, regions,
                      planning_status(patient, course), course.ended_on,
                      enrolled_at=course.created_at)
    rows = session.exec(select(TreatmentSession).where(
        TreatmentSession.course_id == course.id)).all()
    sessions = [SessionInfo(r.id, r.performed_at or r.scheduled_at, r.status) for r in rows]
    return info, sessions


def course_region_codes(session: Session, course_id: int) -> list[str]:
    """Return the region codes under treatment in a course, in the order they were added."""
    rows = session.exec(select(CourseRegion).where(CourseRegion.course_id == course_id)
                        .order_by(CourseRegion.id)).all()
    return [r.region_code for r in rows]


def course_protocol(session: Session, course: TreatmentCourse) -> Protocol:
    """Return the parsed protocol version a course follows."""
    version = session.get(ProtocolVersion, course.protocol_version_id)
    return parse_protocol(version.definition)


def mark_for_replan(session: Session, course: TreatmentCourse) -> None:
    """Flag a course whose timeline or protocol changed; the next re-plan pass picks it up."""
    course.needs_replan = True
    session.add(course)


def replan_course(session: Session, course_id: int, *, now: datetime,
                  actor: Actor | None = None) -> ReplanResult:
    """Re-plan one course against its real timeline; the caller commits."""
    actor = actor or Actor()
    result = ReplanResult(course_id)
    course = session.get(TreatmentCourse, course_id)
    patient = session.get(Patient, course.patient_id)
    try:
        protocol = course_protocol(session, course)
        info, sessions = course_timeline(session, course, patient)
        plan = plan_followups(protocol, info, sessions, patient.timezone, now,
                              preferred_channel=patient.preferred_channel)
    except (PlanError, ProtocolError) as exc:
        result.error = str(exc)
        course.needs_replan = False  # a later change to the course triggers a new attempt
        session.add(course)
        _audit(session, actor, "replan_failed", course, None, {"reason": result.error[:200]})
        return result
    stored = {a.id: a for a in session.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course.id)).all()}
    existing = [ExistingAssignment(a.id, a.slot, a.status, a.opens_at, a.closes_at)
                for a in stored.values()]
    changes = reconcile(existing, plan, now)
    _apply(session, course, patient, stored, changes, plan, now, actor, result)
    course.needs_replan = False
    course.replanned_at = now
    session.add(course)
    return result


def _apply(session, course, patient, stored, changes, plan, now, actor, result) -> None:
    for planned in changes.create:
        row = _new_assignment(course, patient, planned, now)
        session.add(row)
        session.flush()
        stored[row.id] = row
        result.created += 1
        _audit(session, actor, "assignment_created", course, row, {"slot": row.slot})
    for assignment_id, planned in changes.move:
        row = stored[assignment_id]
        before = row.opens_at.isoformat()
        _copy_window(row, planned, now)
        session.add(row)
        result.moved += 1
        _audit(session, actor, "assignment_moved", course, row,
               {"slot": row.slot, "opens_before": before, "opens_after": row.opens_at.isoformat()})
    for assignment_id in changes.cancel:
        row = stored[assignment_id]
        row.status, row.updated_at = "cancelled", now
        session.add(row)
        result.cancelled += 1
        _audit(session, actor, "assignment_cancelled", course, row, {"slot": row.slot})
    by_slot = plan.by_slot()
    for row in stored.values():
        _sync_reminders(session, course, row, by_slot.get(row.slot), now, result)


def _new_assignment(course, patient, planned: PlannedAssignment, now) -> SurveyAssignment:
    row = SurveyAssignment(patient_id=patient.id, course_id=course.id, slot=planned.slot,
                           timepoint_key=planned.timepoint_key, label=planned.label,
                           due_on=planned.due_local, opens_at=planned.opens_at,
                           closes_at=planned.closes_at, instruments=list(planned.instruments),
                           regions=list(planned.regions), created_at=now, updated_at=now)
    return row


def _copy_window(row: SurveyAssignment, planned: PlannedAssignment, now: datetime) -> None:
    row.due_on = planned.due_local
    row.opens_at, row.closes_at = planned.opens_at, planned.closes_at
    row.instruments, row.regions = list(planned.instruments), list(planned.regions)
    row.label = planned.label
    row.updated_at = now


def _sync_reminders(session, course, row: SurveyAssignment, planned, now, result) -> None:
    """Make the pending reminders of one assignment equal to the planned ones."""
    rows = {r.slot_key: r for r in session.exec(select(Reminder).where(
        Reminder.assignment_id == row.id)).all()}
    live = row.status in LIVE_ASSIGNMENT_STATUSES and planned is not None
    wanted = {}
    if live:
        for r in planned.reminders:
            wanted[reminder_slot_key(course.id, r.key, r.send_at)] = r
    for key, reminder in rows.items():
        if reminder.status != "pending" or key in wanted or _left_alone(reminder, live, now):
            continue
        outbox.cancel(session, reminder)
        result.reminders_cancelled += 1
    for key, r in wanted.items():
        existing = rows.get(key)
        if existing is None:
            outbox.add_planned(session, slot_key=key, assignment=row, channel=r.channel,
                               send_at=r.send_at, now=now)
            result.reminders_added += 1
        elif existing.status == "cancelled" and r.send_at > now:
            # Planned again (e.g. after a pause): revive it; a sent one is never sent twice.
            outbox.revive(session, existing, r.send_at)
            result.reminders_added += 1


def _left_alone(reminder: Reminder, live: bool, now: datetime) -> bool:
    """Pending rows a re-plan must not cancel while the assignment is live."""
    if not live:
        return False
    if is_manual(reminder.slot_key):
        return True  # a coordinator's "send again" or a patient's fresh-link request
    return reminder.send_at <= now  # already due: the dispatcher's to send or expire


def _audit(session, actor: Actor, action: str, course, row, detail: dict) -> None:
    add_event(session, action, actor_type=actor.actor_type, actor_id=actor.actor_id,
              actor_label=actor.actor_label, ip=actor.ip,
              record_type="survey_assignment" if row is not None else "treatment_course",
              record_id=row.id if row is not None else course.id,
              patient_id=course.patient_id, detail=detail)


def replan_pending_courses(session: Session, *, now: datetime,
                           limit: int = 500) -> list[ReplanResult]:
    """Re-plan every course marked as changed (the scheduler's re-plan job); commits per course."""
    ids = session.exec(select(TreatmentCourse.id).where(TreatmentCourse.needs_replan.is_(True))
                       .order_by(TreatmentCourse.id).limit(limit)).all()
    results = []
    for course_id in ids:
        results.append(replan_course(session, course_id, now=now))
        session.commit()
    return results
