"""The cohort query layer on both databases: timepoints by window, units, subgroups, filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.support.factories import add_weekly_sessions, make_course
from tests.support.trajectory import MEDIAN, ULNAR, build_patient
from webapp.dashboards.cohort import analyse_cohort
from webapp.dashboards.cohort_filters import CohortQuery
from webapp.dashboards.cohort_units import build_units, load_courses
from webapp.db import get_engine
from webapp.models import Patient, ProtocolVersion, SurveyAssignment


def _cells(analysis, group: str | None = None) -> dict[tuple[str, str], tuple]:
    """{(timepoint label, group): (n regions, n patients, follow-up mean, change mean)}."""
    return {(r.label, r.group): (r.n_regions, r.n_patients, r.follow_up.mean,
                                 r.change.mean if r.change else None)
            for r in analysis.rows if group in (None, r.group)}


def _slot(db, course, prefix: str) -> SurveyAssignment:
    rows = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course.id)
                   .order_by(SurveyAssignment.due_on)).all()
    return next(a for a in rows if a.slot.startswith(prefix))


def test_each_answer_counts_at_its_own_timepoint_and_a_missed_one_is_absent(db):
    build_patient(db)
    analysis = analyse_cohort(db, CohortQuery(split="nerve"))
    cells = _cells(analysis)
    # median: baseline 8, before session 2: 6, before session 3 missed, 1 month: 3
    assert cells[("Baseline", "Median nerve")] == (1, 1, 8, 0)
    assert cells[("Before session 2", "Median nerve")] == (1, 1, 6, -2)
    assert cells[("1 month", "Median nerve")] == (1, 1, 3, -5)
    assert ("Before session 3", "Median nerve") not in cells  # absent, never zero
    assert cells[("1 month", "Ulnar nerve")] == (1, 1, 5, -1)
    assert [t.label for t in analysis.timepoints] == ["Baseline", "Before session 2", "1 month"]
    assert analysis.reassigned == 0


@pytest.mark.parametrize(("moved_to", "baseline", "reassigned"), [
    # the check before session 2, answered inside the baseline window (5-12 Jan) one day
    # before the due date: nearer than the real baseline (10 Jan), so it counts as baseline
    (datetime(2026, 1, 11, 12, tzinfo=UTC), 6, 1),
    # ...on the window's first day: the real baseline is nearer the due date and stays
    (datetime(2026, 1, 5, 0, 30, tzinfo=UTC), 8, 1),
    # ...in no window at all: it counts for nothing, the baseline is the real one
    (datetime(2026, 1, 28, 9, tzinfo=UTC), 8, 1),
])
def test_an_answer_outside_its_own_window_follows_the_window_rule(db, moved_to, baseline,
                                                                 reassigned):
    course = build_patient(db)
    check = _slot(db, course, "pre-session")
    check.completed_at = moved_to
    db.add(check)
    db.commit()
    analysis = analyse_cohort(db, CohortQuery(split="nerve"))
    cells = _cells(analysis, "Median nerve")
    assert cells[("Baseline", "Median nerve")][2] == baseline
    assert ("Before session 2", "Median nerve") not in cells  # no answer in its window now
    assert analysis.reassigned == reassigned


@pytest.mark.parametrize(("when", "counts"), [
    (lambda a: a.opens_at, True),  # the window's first instant (local midnight)
    (lambda a: a.closes_at - timedelta(minutes=1), True),  # its last day, just before midnight
    (lambda a: a.closes_at, False),  # the next day: outside, and in no other window
])
def test_an_answer_on_the_first_and_last_day_of_its_window_counts(db, when, counts):
    course = build_patient(db)
    m1 = _slot(db, course, "m1")
    m1.completed_at = when(m1)
    db.add(m1)
    db.commit()
    cells = _cells(analyse_cohort(db, CohortQuery(split="nerve")), "Median nerve")
    assert (cells.get(("1 month", "Median nerve"), (0, 0, None))[2] == 3) is counts


SPLITS = [
    ("nerve", {"Median nerve": 1, "Ulnar nerve": 1}),
    ("site", {"Median nerve, carpal tunnel": 1, "Ulnar nerve, elbow (cubital tunnel)": 1}),
    ("injectate", {"D5W": 1, "Saline": 1}),  # median had D5W, ulnar saline
    ("volume", {"2.1 to 5 mL": 2}),  # 4 mL and 3 mL per session
    ("sessions", {"3 or 4 sessions": 2}),
    ("side", {"One side": 2}),
    ("tag", {"scleroderma": 2}),
    ("none", {"All": 2}),
]


@pytest.mark.parametrize(("split", "baseline_regions"), SPLITS)
def test_subgroup_splits(db, split, baseline_regions):
    course = build_patient(db)
    patient = db.get(Patient, course.patient_id)
    patient.tags = ["scleroderma"]
    db.add(patient)
    db.commit()
    analysis = analyse_cohort(db, CohortQuery(split=split), frozenset({"scleroderma"}))
    found = {group: n for (label, group), (n, *_rest) in _cells(analysis).items()
             if label == "Baseline"}
    assert found == baseline_regions


def test_the_same_nerve_and_site_on_both_sides_is_bilateral(db):
    build_patient(db, study_code="NT-1")
    both = make_course(db, study_code="NT-2", email="b@example.test",
                       regions=(MEDIAN, "median-carpal-tunnel-left", ULNAR))
    add_weekly_sessions(db, both, datetime(2026, 1, 12, 10, tzinfo=UTC), 1)
    query = CohortQuery(split="side")
    units = build_units(db, query, load_courses(db, query))
    sides = {(course_id == both.id, region): unit.groups
             for (course_id, region), unit in units.items()}
    assert sides == {(False, MEDIAN): ("one",), (False, ULNAR): ("one",), (False, ""): ("one",),
                     (True, MEDIAN): ("both",), (True, "median-carpal-tunnel-left"): ("both",),
                     (True, ULNAR): ("one",), (True, ""): ("both",)}


@pytest.mark.parametrize(("index", "unit", "expected"), [
    (None, "region", {"Median nerve": 8, "Ulnar nerve": 6}),
    (None, "patient", {"Median nerve": 8}),  # default: the first region enrolled
    (ULNAR, "patient", {"Ulnar nerve": 6}),
])
def test_patient_level_analysis_uses_each_course_index_region(db, index, unit, expected):
    course = build_patient(db)
    course.index_region_code = index
    db.add(course)
    db.commit()
    analysis = analyse_cohort(db, CohortQuery(unit=unit, split="nerve"))
    baselines = {group: mean for (label, group), (_, _, mean, _) in _cells(analysis).items()
                 if label == "Baseline"}
    assert baselines == expected
    assert analysis.patients == 1


def _two_patients(db):
    build_patient(db, study_code="NT-REAL")
    synthetic = build_patient(db, study_code="NT-SYN", synthetic=True)
    return synthetic


@pytest.mark.parametrize(("query", "patients"), [
    (CohortQuery(), 2),
    (CohortQuery(exclude_synthetic=True), 1),
    (CohortQuery(first_from=date(2026, 1, 12), first_to=date(2026, 1, 12)), 2),
    (CohortQuery(first_from=date(2026, 1, 13)), 0),
    (CohortQuery(first_to=date(2026, 1, 11)), 0),
    (CohortQuery(only=("nerve", "ulnar")), 2),
    (CohortQuery(only=("injectate", "anaesthetic")), 0),
])
def test_filters(db, query, patients):
    _two_patients(db)
    analysis = analyse_cohort(db, query)
    assert analysis.patients == patients
    if query.only == ("nerve", "ulnar"):
        assert {r.n_regions for r in analysis.rows if r.label == "Baseline"} == {2}


def test_protocol_filter(db):
    course = build_patient(db)
    protocol_id = db.get(ProtocolVersion, course.protocol_version_id).protocol_id
    assert analyse_cohort(db, CohortQuery(protocol_id=protocol_id)).patients == 1
    assert analyse_cohort(db, CohortQuery(protocol_id=protocol_id + 1)).patients == 0


def test_complete_cases_need_a_baseline(db):
    course = build_patient(db)
    baseline = _slot(db, course, "baseline")
    baseline.status = "missed"
    baseline.completed_at = None
    db.add(baseline)
    db.commit()
    analysis = analyse_cohort(db, CohortQuery())
    assert analysis.rows == [] and analysis.units == 2 and analysis.with_baseline == 0


def _statements(app, func) -> int:
    count = 0

    def before(*_args):
        nonlocal count
        count += 1

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        func()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_a_fixed_number_of_queries_whatever_the_number_of_patients(app, db):
    build_patient(db, study_code="NT-1")
    one = _statements(app, lambda: analyse_cohort(db, CohortQuery(split="injectate")))
    for n in range(2, 6):
        build_patient(db, study_code=f"NT-{n}")
    five = _statements(app, lambda: analyse_cohort(db, CohortQuery(split="injectate")))
    assert one == five <= 10
    assert analyse_cohort(db, CohortQuery()).patients == 5
