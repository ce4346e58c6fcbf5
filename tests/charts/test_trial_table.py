"""charts.trial_table: Table 2 rows on complete cases, their CSV, and two-group contrasts."""

from __future__ import annotations

import csv
import io

import pytest

from charts.stats import wilson_ci
from charts.trial_table import (
    CSV_COLUMNS,
    RegionValue,
    build_trial_rows,
    compare_groups,
    neutralise,
    trial_rows_csv,
)

TIMEPOINTS = [("m1", "1 month"), ("m3", "3 months")]

# D5W at 1 month, NRS pain (baseline -> value, change, verdict):
#   p1 r1  8 -> 4  -4  50%, 4 points: substantial
#   p1 r2  6 -> 5  -1  17%: not a responder
#   p2 r3  7 -> 2  -5  71%: substantial
#   p3 r4  5 -> 3  -2  40%, 2 points: moderate
#   p4 r5  8 -> --     no answer: not a complete case
#   p5 r6  -- -> 3     no baseline: not a complete case
# Complete: 4 regions of 3 patients. Changes -4 -1 -5 -2: mean -3; squared deviations
# 1 4 4 1 -> variance 10/3, SD 1.825742, SE 0.912871; t(0.975, 3) = 3.182446, half 2.905163,
# 95% CI -5.905163 to -0.094837. Sorted -5 -4 -2 -1, inclusive quartiles -4.25, -3, -1.75.
# Baseline 8 6 7 5: mean 6.5, SD 1.290994; follow-up 4 5 2 3: mean 3.5, SD 1.290994.
# Saline at 1 month: 8 -> 7 (-1), 6 -> 6 (0).
VALUES = [
    RegionValue("p1", "r1", "D5W", "m1", 8, 4),
    RegionValue("p1", "r2", "D5W", "m1", 6, 5),
    RegionValue("p2", "r3", "D5W", "m1", 7, 2),
    RegionValue("p3", "r4", "D5W", "m1", 5, 3),
    RegionValue("p4", "r5", "D5W", "m1", 8, None),
    RegionValue("p5", "r6", "D5W", "m1", None, 3),
    RegionValue("p6", "r7", "Saline", "m1", 8, 7),
    RegionValue("p7", "r8", "Saline", "m1", 6, 6),
    RegionValue("p1", "r1", "D5W", "w1", 8, 5),
]


def _rows():
    return build_trial_rows(VALUES, timepoints=TIMEPOINTS, groups=["Saline"])


def test_rows_follow_the_timepoint_and_group_order_with_unlisted_ones_after():
    assert [(r.timepoint, r.label, r.group) for r in _rows()] == [
        ("m1", "1 month", "Saline"), ("m1", "1 month", "D5W"),
        ("m3", "3 months", "Saline"), ("m3", "3 months", "D5W"),
        ("w1", "w1", "Saline"), ("w1", "w1", "D5W"),
    ]


def test_a_row_matches_the_hand_computation_on_complete_cases():
    row = _rows()[1]
    assert (row.n_regions, row.n_patients) == (4, 3)
    assert (row.baseline.mean, row.follow_up.mean) == (6.5, 3.5)
    assert row.baseline.sd == pytest.approx(1.290994, abs=1e-6)
    assert row.follow_up.sd == pytest.approx(1.290994, abs=1e-6)
    assert row.change.mean == -3.0
    assert (row.change.ci_low, row.change.ci_high) == pytest.approx((-5.905163, -0.094837),
                                                                   abs=1e-6)
    assert (row.change.q1, row.change.median, row.change.q3) == (-4.25, -3.0, -1.75)
    assert row.responders_30 == wilson_ci(3, 4)
    assert row.responders_50 == wilson_ci(2, 4)
    assert row.pgic_responders is None


@pytest.mark.parametrize("index, n_regions, mean_change", [
    (0, 2, -0.5),     # Saline at 1 month
    (2, 0, None),     # Saline at 3 months: listed, nobody answered
    (5, 1, -3.0),     # D5W at week 1: one region, no spread
])
def test_thin_cells_report_what_is_defined(index, n_regions, mean_change):
    row = _rows()[index]
    assert (row.n_regions, row.change.mean) == (n_regions, mean_change)
    if n_regions < 2:
        assert (row.change.sd, row.change.ci_low, row.change.ci_high) == (None, None, None)


def test_pgic_rows_count_responders_without_a_baseline():
    values = [RegionValue(f"p{i}", f"r{i}", "all", "m1", None, v)
              for i, v in enumerate([1, 2, 3, 6, None])]
    (row,) = build_trial_rows(values, responder_max=2.0, timepoints=TIMEPOINTS[:1])
    assert (row.n_regions, row.baseline, row.change, row.responders_30) == (4, None, None, None)
    assert row.pgic_responders == wilson_ci(2, 4)
    assert row.follow_up.mean == 3.0


def test_comparison_of_two_groups_matches_the_hand_computation():
    # a = -4 -1 -5 -2 (mean -3, var 10/3), b = -1 0 (mean -0.5, var 0.5); difference -2.5
    # SE^2 = 10/12 + 0.25 = 1.083333; df = 1.083333^2 / ((10/12)^2/3 + 0.25^2/1) = 3.992126
    # pooled variance (3 x 10/3 + 1 x 0.5) / 4 = 2.625, d = -2.5 / 1.620185 = -1.543033,
    # J = 1 - 3/15 = 0.8, g = -1.234427
    result = compare_groups(VALUES, "m1", "D5W", "Saline")
    assert (result.n_a, result.n_b) == (4, 2)
    assert result.difference.difference == pytest.approx(-2.5)
    assert result.difference.se == pytest.approx(1.040833, abs=1e-6)
    assert result.difference.df == pytest.approx(3.992126, abs=1e-6)
    assert result.difference.ci_low < -2.5 < result.difference.ci_high
    assert result.hedges_g == pytest.approx(-1.234427, abs=1e-6)


def test_comparison_with_an_empty_group_is_blank_and_a_bad_measure_raises():
    result = compare_groups(VALUES, "m3", "D5W", "Saline")
    assert (result.n_a, result.difference.difference, result.hedges_g) == (0, None, None)
    with pytest.raises(ValueError):
        compare_groups(VALUES, "m1", "D5W", "Saline", measure="percent")


def _parsed(rows):
    return list(csv.DictReader(io.StringIO(trial_rows_csv(rows))))


def test_csv_has_the_header_and_rounded_numbers_of_each_row():
    text = trial_rows_csv(_rows())
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    d5w = _parsed(_rows())[1]
    assert {key: d5w[key] for key in ("timepoint_label", "group", "n_regions", "n_patients",
                                      "change_mean", "change_ci_low", "change_ci_high",
                                      "responders_30_n", "responders_30_pct",
                                      "responders_30_ci_low_pct", "cases")} == {
        "timepoint_label": "1 month", "group": "D5W", "n_regions": "4", "n_patients": "3",
        "change_mean": "-3.0", "change_ci_low": "-5.905", "change_ci_high": "-0.095",
        "responders_30_n": "3", "responders_30_pct": "75.0",
        "responders_30_ci_low_pct": f"{wilson_ci(3, 4).ci_low * 100:.1f}",
        "cases": "complete cases",
    }
    empty = _parsed(_rows())[2]
    assert (empty["n_regions"], empty["change_mean"], empty["responders_30_pct"]) == ("0", "", "")


@pytest.mark.parametrize("text, expected", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
    ("+1 week", "'+1 week"),
    ("-cmd", "'-cmd"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tD5W", "'\tD5W"),
    ("D5W 5 mL", "D5W 5 mL"),
    (-3.0, -3.0),  # numbers stay numbers
])
def test_text_cells_a_spreadsheet_would_run_are_neutralised(text, expected):
    assert neutralise(text) == expected


def test_csv_neutralises_group_and_timepoint_labels_but_not_numbers():
    values = [RegionValue("p1", "r1", "=cmd|' /C calc'!A0", "m1", 8, 4)]
    (row,) = _parsed(build_trial_rows(values, timepoints=[("m1", "+1 month")]))
    assert (row["group"], row["timepoint_label"]) == ("'=cmd|' /C calc'!A0", "'+1 month")
    assert row["change_mean"] == "-4.0"
