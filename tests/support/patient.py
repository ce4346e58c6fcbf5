"""Helpers shared by the patient tests: an open survey, a signed-in patient, page answers."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from tests.support.factories import planned_course
from webapp.models import SurveyAssignment, utcnow
from webapp.survey.links import issue_link, link_url

TWO_REGIONS = ("median-carpal-tunnel-right", "ulnar-elbow-left")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_survey(db: Session, *, slot: str = "baseline", regions=TWO_REGIONS, now=None,
                **course_kwargs) -> SurveyAssignment:
    """Plan a course and open one of its assignments around `now` (the real clock by default)."""
    now = now or utcnow()
    course = planned_course(db, regions=regions, **course_kwargs)
    assignment = db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course.id, SurveyAssignment.slot == slot)).one()
    assignment.opens_at, assignment.closes_at = now - timedelta(days=1), now + timedelta(days=3)
    db.add(assignment)
    db.commit()
    return assignment


def new_link(db: Session, assignment: SurveyAssignment, *, now=None, expires_at=None) -> str:
    """Issue a link for the assignment and return its path (/p/t/<token>)."""
    token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                       expires_at=expires_at or assignment.closes_at, now=now or utcnow())
    db.commit()
    return link_url("", token)


def sign_in(client, db: Session, assignment: SurveyAssignment):
    """Open a fresh link in `client`; return the response of the link request."""
    return client.get(new_link(db, assignment))


def csrf_of(client, path: str) -> str:
    """Return the CSRF token of the form on `path`."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no form on {path}"
    return match.group(1)


def post_page(client, path: str, answers: dict, token: str | None = None):
    """Post answers to a survey page with its CSRF token."""
    data = dict(answers)
    data["csrf_token"] = token if token is not None else csrf_of(client, path)
    return client.post(path, data=data)


FIRST_PSFS = {"activity_1": "Holding a cup", "activity_2": "Typing", "rating_1": "3",
              "rating_2": "5"}
AFTER_OK = {"bruising": "no", "swelling": "no", "pain_flare": "no",
            "new_weakness_numbness": "no", "infection_signs": "no", "other_problem": "no"}


def answer_all(client, assignment_id: int, pages: list[dict]) -> None:
    """Answer every page in order, checking each redirect."""
    for number, answers in enumerate(pages, start=1):
        response = post_page(client, f"/p/a/{assignment_id}/{number}", answers)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
