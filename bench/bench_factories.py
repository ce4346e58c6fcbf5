"""Builders for benchmarks: patients with an open survey and a signed-in link session.

Everything goes through NerveTrack's own functions (enrolment, sessions, re-plan, links, the
link-redeeming view), as tests/support/factories.py does for the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from webapp.care.records import add_treatment_session
from webapp.followup.replan import replan_course
from webapp.models import SurveyAssignment, utcnow
from webapp.patients.enrolment import enrol_patient
from webapp.protocols.store import ensure_default_protocol
from webapp.survey.links import issue_link, link_url

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIRST_SESSION = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SignedInPatient:
    """A patient's open survey page and the cookie and CSRF token of their link session."""

    patient_id: int
    assignment_id: int
    page_path: str
    cookie: str
    csrf_token: str


def open_survey(db: Session, *, study_code: str, regions=("median-carpal-tunnel-right",),
                slot: str = "baseline") -> SurveyAssignment:
    """Enrol a patient, plan their follow-ups and open one survey window around now."""
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name="Sam", timezone="Europe/London",
                           regions=list(regions), protocol_version_id=version.id,
                           enrolled_on=date(2026, 1, 5), email=f"{study_code}@example.test",
                           synthetic=True)
    db.commit()
    for week in range(3):
        add_treatment_session(db, course=course, scheduled_at=FIRST_SESSION + timedelta(weeks=week),
                              status="scheduled")
    db.commit()
    replan_course(db, course.id, now=datetime(2026, 1, 1, tzinfo=UTC))
    db.commit()
    assignment = db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course.id, SurveyAssignment.slot == slot)).one()
    now = utcnow()
    assignment.opens_at, assignment.closes_at = now - timedelta(days=1), now + timedelta(days=3)
    db.add(assignment)
    db.commit()
    return assignment


def sign_in(app, db: Session, assignment: SurveyAssignment, page: int = 1) -> SignedInPatient:
    """Redeem a fresh link in a test client; return the session cookie and the page's token."""
    token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=utcnow())
    db.commit()
    client = app.test_client()
    redeemed = client.get(link_url("", token))
    if redeemed.status_code != 303:
        raise RuntimeError(f"link not redeemed: HTTP {redeemed.status_code}")
    path = f"/p/a/{assignment.id}/{page}"
    shown = client.get(path)
    match = CSRF_RE.search(shown.get_data(as_text=True))
    if shown.status_code != 200 or match is None:
        raise RuntimeError(f"survey page not shown: HTTP {shown.status_code}")
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    return SignedInPatient(assignment.patient_id, assignment.id, path,
                           f"{name}={cookie.value}", match.group(1))
