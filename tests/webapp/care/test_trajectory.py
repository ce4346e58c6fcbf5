"""trajectory_data and the outcome summary on a hand-built patient, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from charts.trajectory import build_csa_figure, build_trajectory_figures
from surveys.loader import load_library
from tests.factories import add_weekly_sessions, make_course
from webapp.care.records import record_procedure
from webapp.care.trajectory import outcome_summary, region_label, trajectory_data
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


def _series(data, outcome, code):
    return [(o.day, o.value, o.missed) for o in data.observations
            if o.outcome == outcome and o.region_code == code]


def test_days_values_and_gaps_per_region(db):
    course = build_patient(db)
    data = trajectory_data(db, course.patient_id, LIBRARY)
    assert _series(data, "pain", MEDIAN) == [(-2, 8, False), (6, 6, False), (14, None, True),
                                            (44, 3, False)]
    assert _series(data, "pain", ULNAR) == [(-2, 6, False), (6, 5, False), (14, None, True),
                                           (44, 5, False)]
    assert _series(data, "paresthesia", MEDIAN)[-1] == (44, 2, False)
    # PSFS is asked once (not per region); it was not part of the missed pre-session check.
    assert _series(data, "function", "") == [(-2, 3, False), (44, 7, False)]
    labels = {o.region_label for o in data.observations if o.region_code == MEDIAN}
    assert labels == {region_label(MEDIAN)} and "Median" in region_label(MEDIAN).title()


def test_session_markers_and_csa_points(db):
    course = build_patient(db)
    data = trajectory_data(db, course.patient_id, LIBRARY)
    assert [(s.day, s.number) for s in data.sessions] == [(0, 1), (7, 2), (14, 3)]
    first = data.sessions[0]
    assert [(r.region_label, r.injectate, r.volume_ml) for r in first.regions] == [
        (region_label(MEDIAN), "D5W", 4.0), (region_label(ULNAR), "saline", 3.0)]
    # CSA pairs with the nearest answered pain: day 0 -> baseline (day -2), 7 -> day 6,
    # 14 -> day 6 (day 14 was missed; ties go to the earlier answer).
    assert [(p.day, p.csa_mm2, p.pain) for p in data.csa_points] == [
        (0, 14.0, 8), (7, 12.0, 6), (14, 10.0, 6)]


def test_figures_build_from_the_queried_data(db):
    course = build_patient(db, synthetic=True)
    data = trajectory_data(db, course.patient_id, LIBRARY)
    figures = build_trajectory_figures(data)
    assert set(figures) == {"pain", "pain_worst", "paresthesia", "function"}  # no PGIC asked
    pain = figures["pain"].to_plotly_json()
    names = [t["name"] for t in pain["data"]]
    # per region: MCID band, baseline, line, missed markers; then the session markers
    assert len(names) == 2 * 4 + 1 and names[-1] == "Sessions"
    assert data.synthetic and build_csa_figure(data) is not None


@pytest.mark.parametrize(
    ("outcome", "code", "baseline", "latest", "points", "label", "since"),
    [("pain", MEDIAN, 8, 3, -5, "substantial", 3),  # day 6 was only -25%: since session 3
     ("pain", ULNAR, 6, 5, -1, "minimal", None),
     ("paresthesia", MEDIAN, 5, 2, -3, "substantial", 3),
     ("function", "", 3, 7, 4, "substantial", 3)],
)
def test_outcome_summary(db, outcome, code, baseline, latest, points, label, since):
    course = build_patient(db)
    rows = outcome_summary(trajectory_data(db, course.patient_id, LIBRARY))
    row = next(r for r in rows if r["outcome"] == outcome
               and r["region_label"] == region_label(code))
    assert (row["baseline"], row["latest"], row["points"], row["label"], row["since_session"]) == (
        baseline, latest, points, label, since)


def test_patient_without_sessions_has_day_zero_and_no_markers(db):
    course = make_course(db, study_code="NT-0200")
    data = trajectory_data(db, course.patient_id, LIBRARY)
    assert data.observations == [] and data.sessions == [] and data.csa_points == []
