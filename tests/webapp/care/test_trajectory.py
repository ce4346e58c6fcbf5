"""trajectory_data and the outcome summary on a hand-built patient, on both databases."""

from __future__ import annotations

import pytest

from charts.trajectory import build_csa_figure, build_trajectory_figures
from tests.support.factories import make_course
from tests.support.trajectory import LIBRARY, MEDIAN, ULNAR, build_patient
from webapp.care.trajectory import outcome_summary, region_label, trajectory_data


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
