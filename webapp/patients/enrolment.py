"""Enrolment: a patient, a first treatment course and its nerve regions.

Functions add to the session and flush; the caller commits (and audits).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from surveys.catalogue import get_region
from webapp.care.records import CareError
from webapp.followup.replan import mark_for_replan
from webapp.models import CHANNELS, CourseRegion, Patient, ProtocolVersion, TreatmentCourse


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
    mark_for_replan(session, course)
    session.flush()
