"""Stored protocols: the shipped default, versions (never rewritten), and moving courses.

Data functions: they add and flush; the views audit and commit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from scheduler.plan_model import ExistingAssignment, PlanError
from scheduler.planner import plan_followups
from scheduler.protocol import load_default_protocol, parse_protocol, protocol_to_dict
from scheduler.reconcile import reconcile
from webapp.audit import Actor, add_event
from webapp.followup.replan import course_timeline, mark_for_replan, replan_course
from webapp.models import Patient, Protocol, ProtocolVersion, SurveyAssignment, TreatmentCourse


def ensure_default_protocol(session: Session) -> ProtocolVersion:
    """Return the newest version of the shipped default protocol, creating it if absent."""
    default = load_default_protocol()
    proto = session.exec(select(Protocol).where(Protocol.name == default.name)).first()
    if proto is None:
        proto = Protocol(name=default.name)
        session.add(proto)
        session.flush()
        return add_protocol_version(session, proto, protocol_to_dict(default))
    return latest_version(session, proto.id)


def latest_version(session: Session, protocol_id: int) -> ProtocolVersion:
    """Return the newest version of a protocol."""
    return session.exec(select(ProtocolVersion).where(ProtocolVersion.protocol_id == protocol_id)
                        .order_by(ProtocolVersion.version.desc())).first()


def add_protocol_version(session: Session, proto: Protocol, definition: dict,
                         created_by_id: int | None = None) -> ProtocolVersion:
    """Validate a definition and store it as the protocol's next version (never rewrites one)."""
    parse_protocol(definition)  # raises ProtocolError with the coordinator's messages
    newest = session.exec(select(func.max(ProtocolVersion.version))
                          .where(ProtocolVersion.protocol_id == proto.id)).one()
    version = ProtocolVersion(protocol_id=proto.id, version=(newest or 0) + 1,
                              definition=definition, created_by_id=created_by_id)
    session.add(version)
    session.flush()
    return version


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


def older_courses(db: Session,
                  version: ProtocolVersion) -> list[tuple[TreatmentCourse, Patient, int]]:
    """Active courses of live patients on older versions of this version's protocol."""
    rows = db.exec(
        select(TreatmentCourse, Patient, ProtocolVersion.version)
        .join(Patient, Patient.id == TreatmentCourse.patient_id)
        .join(ProtocolVersion, ProtocolVersion.id == TreatmentCourse.protocol_version_id)
        .where(ProtocolVersion.protocol_id == version.protocol_id,
               ProtocolVersion.version < version.version,
               TreatmentCourse.status == "active", Patient.erased_at.is_(None))
        .order_by(Patient.study_code)).all()
    return list(rows)


def move_courses(db: Session, version: ProtocolVersion, courses: list[TreatmentCourse], *,
                 now: datetime, actor: Actor) -> None:
    """Move courses to a protocol version, audit each move and re-plan it; the caller commits."""
    for course in courses:
        before = course.protocol_version_id
        course.protocol_version_id, course.updated_at = version.id, now
        mark_for_replan(db, course)
        db.flush()
        add_event(db, "course_protocol_changed", actor_type=actor.actor_type,
                  actor_id=actor.actor_id, actor_label=actor.actor_label, ip=actor.ip,
                  record_type="treatment_course", record_id=course.id,
                  patient_id=course.patient_id,
                  detail={"from_version_id": before, "to_version_id": version.id})
        replan_course(db, course.id, now=now, actor=actor)


def name_problem(session: Session, name: str) -> str | None:
    """Why a new protocol cannot have this name (empty, unreadable, taken), or None."""
    if not name:
        return "Give the protocol a name."
    if len(name) > 120 or any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "The protocol's name: at most 120 characters, no control characters."
    if session.exec(select(Protocol).where(Protocol.name == name)).first():
        return f"A protocol called {name!r} already exists: edit it to add a version."
    return None


@dataclass(frozen=True)
class MovePreview:
    """What moving one course to a version would do to its follow-ups (nothing stored)."""

    course: TreatmentCourse
    patient: Patient
    from_version: int
    added: list[str]
    moved: list[str]
    cancelled: list[str]
    error: str | None = None


def _preview_move(db: Session, protocol, course, patient, from_version: int,
                  now: datetime) -> MovePreview:
    info, sessions = course_timeline(db, course, patient)
    try:
        plan = plan_followups(protocol, info, sessions, patient.timezone, now,
                              preferred_channel=patient.preferred_channel)
    except PlanError as exc:
        return MovePreview(course, patient, from_version, [], [], [], str(exc))
    stored = {a.id: a for a in db.exec(select(SurveyAssignment)
                                       .where(SurveyAssignment.course_id == course.id)).all()}
    changes = reconcile([ExistingAssignment(a.id, a.slot, a.status, a.opens_at, a.closes_at)
                         for a in stored.values()], plan, now)
    return MovePreview(course, patient, from_version, [p.label for p in changes.create],
                       [p.label for _id, p in changes.move],
                       [stored[i].label for i in changes.cancel])


def preview_moves(db: Session, version: ProtocolVersion, chosen: list[tuple], *,
                  now: datetime) -> list[MovePreview]:
    """For each (course, patient, version number): the follow-ups a move adds, moves, cancels."""
    protocol = parse_protocol(version.definition)
    return [_preview_move(db, protocol, course, patient, old, now)
            for course, patient, old in chosen]
