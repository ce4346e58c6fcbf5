"""Helpers for the activity (PSFS) page tests: reach the page, read what it stored."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from tests.support.patient import answer_all, csrf_of, open_survey, sign_in
from webapp.models import Patient, SurveyAssignment, SurveyResponse, SurveyScore

PAIN_PAGES = [{"pain_now": "7", "pain_worst": "8"}, {"pain_now": "4", "pain_worst": "6"},
              {"paresthesia": "5"}, {"paresthesia": "2"}]
PSFS_PAGE = 5  # after two pain pages and two paresthesia pages
SLOT_RE = re.compile(r'id="activity-(\d)"')


def reach_activities(db: Session, client, assignment: SurveyAssignment | None = None) -> str:
    """Sign in, answer the pain and tingling pages, and return the activity page's path."""
    assignment = assignment or open_survey(db)
    sign_in(client, db, assignment)
    answer_all(client, assignment.id, PAIN_PAGES)
    return f"/p/a/{assignment.id}/{PSFS_PAGE}"


def send(client, path: str, fields: dict, token: str | None = None):
    """Post the activity page as the browser would: the fields plus the button pressed."""
    data = dict(fields)
    data["csrf_token"] = token or csrf_of(client, path.split("?")[0])
    return client.post(path.split("?")[0], data=data)


def stored_activities(db: Session, assignment_id: int) -> dict | None:
    """Return the stored activity answers of an assignment (None if none are stored)."""
    db.expire_all()
    row = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == assignment_id,
                                               SurveyResponse.instrument_id == "nt-psfs")).first()
    return None if row is None else dict(row.answers)


def activity_score(db: Session, assignment_id: int) -> float | None:
    """Return the stored PSFS score of an assignment."""
    db.expire_all()
    return db.exec(select(SurveyScore.value).where(SurveyScore.assignment_id == assignment_id,
                                                   SurveyScore.score_id == "psfs")).one()


def open_slots(html: str) -> list[int]:
    """Return the numbers of the slots shown with their questions (not summed up)."""
    return [int(n) for n in re.findall(r'<div class="activity" id="activity-(\d)"', html)]


def summed_slots(html: str) -> list[int]:
    """Return the numbers of the slots summed up in one line."""
    return [int(n) for n in re.findall(r'<p class="activity done" id="activity-(\d)"', html)]


def later_survey(db: Session, client, baseline: SurveyAssignment, activities: dict) -> str:
    """Complete the baseline naming `activities`, open the one-month survey; return its path."""
    path = reach_activities(db, client, baseline)
    assert send(client, path, activities).status_code == 303
    token = csrf_of(client, f"/p/a/{baseline.id}/review")
    assert client.post(f"/p/a/{baseline.id}/submit",
                       data={"csrf_token": token}).status_code == 303
    later = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "m1",
                                                   SurveyAssignment.course_id ==
                                                   baseline.course_id)).one()
    later.opens_at, later.closes_at = baseline.opens_at, baseline.closes_at
    db.add(later)
    db.commit()
    answer_all(client, later.id, PAIN_PAGES)
    return f"/p/a/{later.id}/{PSFS_PAGE}"


def speak(db: Session, assignment: SurveyAssignment, language: str) -> None:
    """Set the language of the assignment's patient."""
    patient = db.get(Patient, assignment.patient_id)
    patient.language = language
    db.add(patient)
    db.commit()
