"""Data access for the care timeline: protocols, enrolment, treatment sessions and procedures.

Shared by the coordinator and clinician pages, the demo seeder and the tests. Functions add to
the session and flush; the caller commits (and audits, with the web request's actor).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, func, select

from scheduler.protocol import load_default_protocol, parse_protocol, protocol_to_dict
from surveys.catalogue import get_region
from webapp.models import (
    CHANNELS,
    CourseRegion,
    Patient,
    ProcedureRecord,
    Protocol,
    ProtocolVersion,
    TreatmentCourse,
    TreatmentSession,
)


class CareError(ValueError):
    """A request about care data that cannot be carried out, with a message for the person."""


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


def check_timezone(name: str) -> str:
    """Return the IANA zone name if it exists, else raise CareError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CareError(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/London.") from None
    return name


def check_regions(codes: list[str]) -> list[str]:
    """Return the region codes if they are all in the catalogue, else raise CareError."""
    if not codes:
        raise CareError("Choose at least one nerve region.")
    for code in codes:
        try:
            get_region(code)
        except KeyError:
            raise CareError(f"Unknown nerve region {code!r}.") from None
    return list(dict.fromkeys(codes))


def enrol_patient(session: Session, *, study_code: str, first_name: str, timezone: str,
                  regions: list[str], protocol_version_id: int, enrolled_on: date,
                  email: str | None = None, phone: str | None = None, language: str = "en",
                  preferred_channel: str = "email", consent_date: date | None = None,
                  synthetic: bool = False) -> TreatmentCourse:
    """Create a patient with a first treatment course over the given regions."""
    check_timezone(timezone)
    regions = check_regions(regions)
    if preferred_channel not in CHANNELS:
        raise CareError(f"Unknown channel {preferred_channel!r}.")
    if session.exec(select(Patient).where(Patient.study_code == study_code)).first():
        raise CareError(f"Study code {study_code} is already in use.")
    if session.get(ProtocolVersion, protocol_version_id) is None:
        raise CareError("Unknown protocol version.")
    patient = Patient(study_code=study_code, first_name=first_name, email=email, phone=phone,
                      timezone=timezone, language=language, preferred_channel=preferred_channel,
                      consent_date=consent_date, synthetic=synthetic)
    session.add(patient)
    session.flush()
    course = TreatmentCourse(patient_id=patient.id, enrolled_on=enrolled_on,
                             protocol_version_id=protocol_version_id)
    session.add(course)
    session.flush()
    set_course_regions(session, course, regions)
    return course


def set_course_regions(session: Session, course: TreatmentCourse, codes: list[str]) -> None:
    """Add the regions of a course that are not there yet (regions are never silently dropped)."""
    have = {r.region_code for r in session.exec(
        select(CourseRegion).where(CourseRegion.course_id == course.id)).all()}
    for code in check_regions(codes):
        if code in have:
            continue
        region = get_region(code)
        session.add(CourseRegion(course_id=course.id, region_code=code, nerve=region.nerve,
                                 side=region.side, site=region.site))
    course.needs_replan = True
    session.add(course)
    session.flush()


def add_treatment_session(session: Session, *, course: TreatmentCourse, scheduled_at: datetime,
                          performed_at: datetime | None = None, status: str = "scheduled",
                          notes: str | None = None) -> TreatmentSession:
    """Add a session to a course and mark the course for re-planning."""
    row = TreatmentSession(course_id=course.id, scheduled_at=scheduled_at,
                           performed_at=performed_at, status=status, notes=notes)
    session.add(row)
    course.needs_replan = True
    session.add(course)
    session.flush()
    return row


def record_procedure(session: Session, *, treatment_session: TreatmentSession, region_code: str,
                     injectate: str, **fields) -> ProcedureRecord:
    """Record what was done to one region in a session."""
    row = ProcedureRecord(session_id=treatment_session.id, region_code=region_code,
                          injectate=injectate, **fields)
    session.add(row)
    session.flush()
    return row


def course_of(session: Session, patient_id: int) -> TreatmentCourse | None:
    """Return the patient's newest treatment course."""
    return session.exec(select(TreatmentCourse).where(TreatmentCourse.patient_id == patient_id)
                        .order_by(TreatmentCourse.id.desc())).first()
