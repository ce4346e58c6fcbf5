"""Cohort view numbers checked against hand-computed values on a small table."""

import time

import plotly.graph_objects as go
import pytest

from charts.cohort import CohortRow, build_cohort_view, quartiles
from charts.samples import synthetic_cohort

# patient, nerve, baseline, (week-4 value or None), (week-12 value or None); week 4 is
# recorded a little early or late for the ulnar patients to exercise binning to whole weeks.
PATIENTS = [
    ("p1", "median", 8, 4.0, 4, 2),
    ("p2", "median", 6, 4.0, 4, None),
    ("p3", "median", 3, 4.0, 2, 1),
    ("p4", "median", 5, 4.0, 6, 5),
    ("p5", "ulnar", 7, 4.2, 3, None),
    ("p6", "ulnar", 4, 3.8, 4, 2),
]
LABELS = {"median": "Median (carpal tunnel)", "ulnar": "Ulnar (elbow)"}


def _rows():
    rows = []
    for key, nerve, base, week4, at4, at12 in PATIENTS:
        for week, name, value in ((0, "baseline", base), (week4, "1 month", at4),
                                  (12, "3 months", at12)):
            rows.append(CohortRow(key, nerve, LABELS[nerve], "pain", week, name, base, value,
                                  value is not None))
        # another outcome in the same table must be ignored for outcome="pain"
        rows.append(CohortRow(key, "", "", "function", 4, "1 month", 2, 9, True))
    return rows


@pytest.fixture(scope="module")
def view():
    return build_cohort_view(_rows(), outcome="pain", direction="higher_worse", mcid=2,
                             min_plotted_n=1)


def _cells(view, nerve):
    return [(c["week"], c["n"], c["median"], c["q1"], c["q3"])
            for c in view.tables["change"] if c["nerve"] == nerve]


def test_change_table_medians_iqr_and_n(view):
    assert _cells(view, "median") == [(0, 4, 0, 0, 0), (4, 4, -1.5, -2.5, -0.5),
                                      (12, 3, -2, -4, -1)]
    assert _cells(view, "ulnar") == [(0, 2, 0, 0, 0), (4, 2, -2, -3, -1), (12, 1, -2, -2, -2)]


def test_change_figure_median_line_and_iqr_band(view):
    fig = view.figures["change"].to_plotly_json()
    assert len(fig["data"]) == 6  # Q1, Q3 (filled to Q1) for each nerve, then the medians
    q1, q3, _, _, median, _ = fig["data"]
    assert median["name"] == "Median (carpal tunnel)"
    assert list(median["x"]) == [0, 4, 12]
    assert list(median["y"]) == [0, -1.5, -2]
    assert list(q1["y"]) == [0, -2.5, -4] and q1["showlegend"] is False
    assert list(q3["y"]) == [0, -0.5, -1] and q3["fill"] == "tonexty"
    assert fig["data"][5]["line"]["color"] != median["line"]["color"]
    assert fig["data"][5]["name"] == "Ulnar (elbow)"
    assert "n = 4" in median["hovertext"][1]
    go.Figure(fig)


def test_weeks_with_few_answers_stay_in_the_table_but_off_the_line():
    view = build_cohort_view(_rows(), outcome="pain")  # default: n >= 3 to be drawn
    fig = view.figures["change"].to_plotly_json()
    # ulnar never has 3 answers in a week: no line at all; median loses nothing (4, 4, 3)
    assert [t["name"] for t in fig["data"] if t.get("showlegend") is not False] == [
        "Median (carpal tunnel)"]
    assert list(fig["data"][-1]["x"]) == [0, 4, 12]
    assert len(view.tables["change"]) == 6  # every cell, n = 1 included


def test_many_nerves_start_with_the_largest_five_shown():
    rows = []
    for n, nerve in enumerate("abcdefg", start=3):  # nerve a has 3 patients ... g has 9
        for p in range(n):
            for week, value in ((0, 6), (4, 3)):
                rows.append(CohortRow(f"{nerve}{p}", nerve, f"Nerve {nerve}", "pain", week,
                                      "w", 6, value, True))
    fig = build_cohort_view(rows).figures["change"].to_plotly_json()
    medians = [t for t in fig["data"] if t["mode"] == "lines+markers"]
    assert [t["name"] for t in medians] == [f"Nerve {x}" for x in "gfedcba"]
    assert [t.get("visible", True) for t in medians] == [True] * 5 + ["legendonly"] * 2
    bands = [t for t in fig["data"] if t["legendgroup"] == "a" and t["mode"] == "lines"]
    assert [t["visible"] for t in bands] == ["legendonly", "legendonly"]


def test_responder_rates_per_follow_up_timepoint(view):
    assert view.tables["responders"] == [
        {"timepoint": "1 month", "n": 6, "n_30": 3, "rate_30": 0.5, "n_50": 2,
         "rate_50": 2 / 6},
        {"timepoint": "3 months", "n": 4, "n_30": 3, "rate_30": 0.75, "n_50": 3,
         "rate_50": 0.75},
    ]
    fig = view.figures["responders"].to_plotly_json()
    assert fig["layout"]["barmode"] == "group"
    assert [t["type"] for t in fig["data"]] == ["bar", "bar"]
    assert list(fig["data"][0]["x"]) == ["1 month", "3 months"]
    assert list(fig["data"][0]["y"]) == [50.0, 75.0]
    assert list(fig["data"][1]["y"]) == [33.3, 75.0]
    assert "(2 of 6)" in fig["data"][1]["hovertext"][0]


def test_completion_rate_per_timepoint(view):
    assert [(c["timepoint"], c["n"], c["completed"]) for c in view.tables["completion"]] == [
        ("baseline", 6, 6), ("1 month", 6, 6), ("3 months", 6, 4)]
    fig = view.figures["completion"].to_plotly_json()
    assert list(fig["data"][0]["y"]) == [100.0, 100.0, 66.7]


def test_every_table_row_has_n(view):
    assert all("n" in row for table in view.tables.values() for row in table)
    assert set(view.figures) == set(view.tables) == {"change", "responders", "completion"}


def test_higher_better_outcome_uses_its_direction():
    view = build_cohort_view(_rows(), outcome="function", direction="higher_better", mcid=2)
    assert view.tables["responders"] == [{"timepoint": "1 month", "n": 6, "n_30": 6,
                                          "rate_30": 1.0, "n_50": 6, "rate_50": 1.0}]


def test_quartiles_single_value():
    assert quartiles([3.0]) == (3.0, 3.0, 3.0)


@pytest.mark.slow
def test_five_thousand_patients_is_fast():
    rows = synthetic_cohort(5000)
    start = time.perf_counter()
    for outcome in ("pain", "function"):
        view = build_cohort_view(rows, outcome=outcome)
        for fig in view.figures.values():
            fig.to_json()
    assert time.perf_counter() - start < 3.0  # bench/bench_charts.py holds the 1.5 s target
