"""A patient with treatments and answers around today, for the "My progress" tests."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from tests.support.factories import add_weekly_sessions, make_course
from tests.support.trajectory import answer
from webapp.followup.replan import replan_course
from webapp.models import Patient, SurveyAssignment, utcnow
from webapp.survey.links import issue_link, link_url


def patient_with_progress(db: Session, code: str, *, region: str, zone: str, answers,
                          first_name: str = "Ann", phone: str | None = None) -> Patient:
    """Three weekly treatments from 20 days ago, (pain, tingling) answers before each of them,
    and check-ins planned for the year ahead."""
    now = utcnow()
    course = make_course(db, study_code=code, first_name=first_name, timezone=zone,
                         email=f"{code.lower()}@example.test", phone=phone, regions=(region,),
                         enrolled_on=(now - timedelta(days=30)).date())
    sessions = add_weekly_sessions(db, course, now - timedelta(days=20), 3, performed=True)
    replan_course(db, course.id, now=now - timedelta(days=30))
    slots = {a.slot: a for a in db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course.id)).all()}
    for (slot, days_ago), values in zip(
            [("baseline", 22), (f"pre-session:{sessions[1].id}", 14),
             (f"pre-session:{sessions[2].id}", 7)], answers, strict=True):
        answer(db, slots[slot], now - timedelta(days=days_ago), {region: values}, None)
    db.commit()
    return db.get(Patient, course.patient_id)


def progress_link(db: Session, patient: Patient) -> str:
    """Open one of the patient's follow-ups for a day and return a fresh link's path to it."""
    assignment = db.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient.id, SurveyAssignment.status == "pending")
        .order_by(SurveyAssignment.opens_at)).first()
    assignment.closes_at = utcnow() + timedelta(days=1)  # a link needs a live window to open
    db.add(assignment)
    token = issue_link(db, patient_id=patient.id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=utcnow())
    db.commit()
    return link_url("", token)


def patient_with_long_follow_up(db: Session, code: str, regions: tuple[str, ...],
                                sessions: int = 12) -> Patient:
    """A year of follow-up: weekly treatments, and every check-in with questions answered."""
    now = utcnow()
    course = make_course(db, study_code=code, timezone="Europe/London", regions=regions,
                         email=f"{code.lower()}@example.test",
                         enrolled_on=(now - timedelta(days=400)).date())
    add_weekly_sessions(db, course, now - timedelta(days=390), sessions, performed=True)
    replan_course(db, course.id, now=now - timedelta(days=400))
    rows = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course.id)
                   .order_by(SurveyAssignment.opens_at)).all()
    asked = [a for a in rows if "nt-pain" in a.instruments and a.closes_at < now]
    for n, assignment in enumerate(asked):
        answer(db, assignment, assignment.opens_at + timedelta(hours=10),
               {region: (8 - n % 7, 6 - n % 5) for region in regions}, None)
    db.commit()
    return db.get(Patient, course.patient_id)
