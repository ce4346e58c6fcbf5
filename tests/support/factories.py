"""Builders for tests: a patient with a course, sessions and a plan, through the real functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from webapp.care.records import add_treatment_session
from webapp.followup.replan import replan_course
from webapp.models import TreatmentCourse
from webapp.patients.enrolment import enrol_patient
from webapp.protocols.store import ensure_default_protocol


def make_course(db: Session, *, study_code: str = "NT-0001", first_name: str = "Sam",
                timezone: str = "Europe/London", regions=("median-carpal-tunnel-right",),
                enrolled_on: date = date(2026, 1, 5), email: str = "sam@example.test",
                **extra) -> TreatmentCourse:
    """Enrol a patient on the default protocol and return the course (committed)."""
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name=first_name, timezone=timezone,
                           regions=list(regions), protocol_version_id=version.id,
                           enrolled_on=enrolled_on, email=email, **extra)
    db.commit()
    return course


def add_weekly_sessions(db: Session, course: TreatmentCourse, first: datetime, count: int,
                        *, performed: bool = False) -> list:
    """Add `count` weekly sessions starting at `first` (aware)."""
    rows = []
    for week in range(count):
        at = first + timedelta(weeks=week)
        rows.append(add_treatment_session(db, course=course, scheduled_at=at,
                                          performed_at=at if performed else None,
                                          status="performed" if performed else "scheduled"))
    db.commit()
    return rows


def planned_course(db: Session, *, now: datetime | None = None, sessions: int = 3,
                   first_session: datetime = datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
                   **kwargs) -> TreatmentCourse:
    """A course with weekly sessions, re-planned at `now` (default: before everything)."""
    course = make_course(db, **kwargs)
    add_weekly_sessions(db, course, first_session, sessions)
    replan_course(db, course.id, now=now or datetime(2026, 1, 1, tzinfo=UTC))
    db.commit()
    return course
