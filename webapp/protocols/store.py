"""Stored protocols: the shipped default, versions (never rewritten), and moving courses.

Data functions: they add and flush; the views audit and commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from scheduler.protocol import load_default_protocol, parse_protocol, protocol_to_dict
from webapp.audit import Actor, add_event
from webapp.followup.replan import mark_for_replan, replan_course
from webapp.models import Patient, Protocol, ProtocolVersion, TreatmentCourse


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
