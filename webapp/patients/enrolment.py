"""Enrolment: a patient, a first treatment course and its nerve regions.

Functions add to the session and flush; the caller commits (and audits).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from surveys.catalogue import get_region
from webapp.care.records import CareError
from webapp.followup.replan import mark_for_replan
from webapp.models import CHANNELS, CourseRegion, Patient, ProtocolVersion, TreatmentCourse


def check_timezone(name: str) -> str:
    """Return the IANA zone name if it exists, else raise CareError."""
    try:
        if len(name) > 64:  # longer than any zone; the file lookup would fail on its length
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CareError(f"Unknown time zone {name[:64]!r}: use an IANA name such as "
                        "Europe/London.") from None
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


# A tag is the clinic's own word for a subgroup: letters, digits, spaces, . _ + - only.
TAG_RE = re.compile(r"^[^\W_][\w .+-]{0,39}$")
MAX_TAGS = 12


def parse_tags(text: str | None) -> list[str]:
    """Comma-separated tags as a list (trimmed, each once); CareError on a character not allowed."""
    tags: dict[str, str] = {}
    for raw in (text or "").split(","):
        tag = " ".join(raw.split())
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise CareError(f"Tag {tag[:40]!r}: use letters, digits, spaces and . _ + - only, "
                            "at most 40 characters, starting with a letter or digit.")
        tags.setdefault(tag.casefold(), tag)
    if len(tags) > MAX_TAGS:
        raise CareError(f"At most {MAX_TAGS} tags.")
    return list(tags.values())


def check_index_region(code: str | None, regions: list[str]) -> str:
    """The region the patient came for: one of the course's regions, by default the first."""
    if not code:
        return regions[0]
    if code not in regions:
        raise CareError("The index region must be one of the regions treated.")
    return code


def _check_new_patient(session: Session, study_code: str, timezone: str, channel: str,
                       protocol_version_id: int) -> None:
    check_timezone(timezone)
    if channel not in CHANNELS:
        raise CareError(f"Unknown channel {channel!r}.")
    if session.exec(select(Patient).where(Patient.study_code == study_code)).first():
        raise CareError(f"Study code {study_code} is already in use.")
    if session.get(ProtocolVersion, protocol_version_id) is None:
        raise CareError("Unknown protocol version.")


def enrol_patient(session: Session, *, study_code: str, first_name: str, timezone: str,
                  regions: list[str], protocol_version_id: int, enrolled_on: date,
                  email: str | None = None, phone: str | None = None, language: str = "en",
                  preferred_channel: str = "email", consent_date: date | None = None,
                  synthetic: bool = False, tags: list[str] | None = None,
                  index_region: str | None = None,
                  enrolled_at: datetime | None = None) -> TreatmentCourse:
    """Create a patient with a first treatment course over the given regions.

    `enrolled_at` is the instant of enrolment (the caller's clock, default the database's): a
    follow-up window already open then gets its first reminder at once (see the planner).
    """
    _check_new_patient(session, study_code, timezone, preferred_channel, protocol_version_id)
    regions = check_regions(regions)
    index_region = check_index_region(index_region, regions)
    patient = Patient(study_code=study_code, first_name=first_name, email=email, phone=phone,
                      timezone=timezone, language=language, preferred_channel=preferred_channel,
                      consent_date=consent_date, synthetic=synthetic, tags=list(tags or []))
    session.add(patient)
    session.flush()
    course = TreatmentCourse(patient_id=patient.id, enrolled_on=enrolled_on,
                             protocol_version_id=protocol_version_id,
                             index_region_code=index_region)
    if enrolled_at is not None:
        course.created_at = course.updated_at = enrolled_at
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
