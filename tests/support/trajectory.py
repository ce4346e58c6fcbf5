"""A patient with two regions, sessions, answers and a missed check, built through the real code."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from surveys.loader import load_library
from tests.support.factories import add_weekly_sessions, make_course
from webapp.care.records import record_procedure
from webapp.followup.replan import replan_course
from webapp.models import SurveyAssignment
from webapp.survey.answers import complete_assignment, save_answers

MEDIAN, ULNAR = "median-carpal-tunnel-right", "ulnar-elbow-left"
FIRST = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
LIBRARY = load_library()
# slot -> (answered at, {region: (pain, paresthesia)}, PSFS rating); None = missed.
# Per-session slots are named by session id: "pre-session:{2}" is filled in per patient.
ANSWERS = {
    "baseline": (datetime(2026, 1, 10, 9, 0, tzinfo=UTC), {MEDIAN: (8, 5), ULNAR: (6, 4)}, 3),
    "pre-session:{2}": (datetime(2026, 1, 18, 9, 0, tzinfo=UTC), {MEDIAN: (6, 4), ULNAR: (5, 4)},
                      None),
    "pre-session:{3}": None,
    "m1": (datetime(2026, 2, 25, 9, 0, tzinfo=UTC), {MEDIAN: (3, 2), ULNAR: (5, 3)}, 7),
}



def answer(db, assignment, when, regions, psfs) -> None:
    """Store answers for one assignment through webapp.survey.answers and complete it."""
    for code, (pain, paresthesia) in regions.items():
        save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-pain"),
                     region_code=code, answers={"pain_now": pain, "pain_worst": pain + 1},
                     now=when)
        save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-paresthesia"),
                     region_code=code, answers={"paresthesia": paresthesia}, now=when)
    if psfs is not None:
        save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-psfs"),
                     region_code="", now=when,
                     answers={"activity_1": "Opening jars", "rating_1": psfs,
                              "activity_2": "Typing", "rating_2": psfs})
    complete_assignment(db, assignment=assignment, library=LIBRARY, now=when)


def build_patient(db, study_code: str = "NT-0100", synthetic: bool = False):
    """A patient with two regions, three performed weekly sessions, answers and a missed check."""
    course = make_course(db, study_code=study_code, regions=(MEDIAN, ULNAR), synthetic=synthetic)
    sessions = add_weekly_sessions(db, course, FIRST, 3, performed=True)
    for index, row in enumerate(sessions):
        record_procedure(db, treatment_session=row, region_code=MEDIAN, injectate="D5W",
                         concentration="5%", volume_ml=4.0, csa_mm2=14.0 - 2 * index)
    record_procedure(db, treatment_session=sessions[0], region_code=ULNAR, injectate="saline",
                     volume_ml=3.0)
    replan_course(db, course.id, now=datetime(2026, 1, 1, tzinfo=UTC))
    by_slot = {a.slot: a for a in db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course.id)).all()}
    session_ids = [None, *(row.id for row in sessions)]  # "{2}" -> id of session 2
    for template, plan in ANSWERS.items():
        slot = template.format(*session_ids)
        if plan is None:
            by_slot[slot].status = "missed"
            db.add(by_slot[slot])
        else:
            answer(db, by_slot[slot], *plan)
    db.commit()
    return course
