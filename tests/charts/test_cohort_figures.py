"""charts.cohort_figures: change, responder and Kaplan-Meier dicts that plotly validates."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from charts.assets import figure_payload
from charts.cohort_figures import (
    VISIBLE_GROUPS,
    build_change_dict,
    build_km_dict,
    build_responder_dict,
    timepoint_labels,
)
from charts.stats import wilson_ci
from charts.style import colour
from charts.survival import kaplan_meier, kaplan_meier_by_group
from charts.trial_table import RegionValue, build_trial_rows

TIMEPOINTS = [("m1", "1 month"), ("m3", "3 months"), ("m6", "6 months")]


def _values(groups: int = 2) -> list[RegionValue]:
    # Group g has 4 + g regions at 1 and 3 months: baseline 8, follow-up 8 - g - (i % 3).
    values = []
    for g in range(groups):
        for i in range(4 + g):
            for timepoint in ("m1", "m3"):
                values.append(RegionValue(f"g{g}p{i}", f"g{g}r{i}", f"group {g}", timepoint,
                                          8, 8 - g - i % 3))
    return values


def _rows(groups: int = 2, **kwargs):
    return build_trial_rows(_values(groups), timepoints=TIMEPOINTS, **kwargs)


def _validated(figure: dict) -> dict:
    checked = go.Figure(figure)  # raises ValueError on any invalid property
    # The web layer may send the dict itself: it must serialise as its validated figure.
    assert json.loads(figure_payload(figure)) == json.loads(figure_payload(checked))
    return figure


def test_change_figure_draws_mean_change_with_ci_bars_per_group_in_timepoint_order():
    rows = _rows()
    figure = _validated(build_change_dict(rows))
    assert figure["layout"]["xaxis"]["categoryarray"] == ["1 month", "3 months", "6 months"]
    # the largest group first; 6 months has no answers, so no point there
    largest = figure["data"][0]
    assert largest["name"] == "group 1" and largest["x"] == ["1 month", "3 months"]
    row = next(r for r in rows if r.group == "group 1" and r.timepoint == "m1")
    assert largest["y"][0] == row.change.mean
    assert largest["error_y"]["array"][0] == pytest.approx(row.change.ci_high - row.change.mean)
    assert largest["error_y"]["arrayminus"][0] == pytest.approx(
        row.change.mean - row.change.ci_low)
    assert largest["marker"]["color"] == colour(0)
    assert figure["layout"]["scattermode"] == "group"


def test_change_figure_point_without_interval_has_no_error_bar():
    values = [RegionValue("p1", "r1", "solo", "m1", 8, 3)]
    figure = _validated(build_change_dict(build_trial_rows(values)))
    trace = figure["data"][0]
    assert (trace["y"], trace["error_y"]["array"], trace["error_y"]["arrayminus"]) == (
        [-5.0], [None], [None])


@pytest.mark.parametrize("groups, hidden", [(1, 0), (VISIBLE_GROUPS, 0), (7, 2)])
def test_past_five_groups_the_smallest_are_legend_only(groups, hidden):
    for build in (build_change_dict, build_responder_dict):
        figure = _validated(build(_rows(groups)))
        legend_only = {t["name"] for t in figure["data"] if t["visible"] == "legendonly"}
        # group g has 4 + g regions: the lowest-numbered groups are the smallest
        assert legend_only == {f"group {g}" for g in range(hidden)}
        assert sum(t["visible"] is True for t in figure["data"]) == min(groups, VISIBLE_GROUPS)


@pytest.mark.parametrize("field", ["responders_30", "responders_50"])
def test_responder_bars_show_percent_with_wilson_intervals(field):
    rows = _rows()
    figure = _validated(build_responder_dict(rows, field))
    row = next(r for r in rows if r.group == "group 1" and r.timepoint == "m3")
    proportion = getattr(row, field)
    trace = figure["data"][0]
    index = trace["x"].index("3 months")
    assert trace["type"] == "bar"
    assert trace["y"][index] == pytest.approx(proportion.share * 100)
    assert trace["error_y"]["array"][index] == pytest.approx(
        (proportion.ci_high - proportion.share) * 100)
    assert figure["layout"]["yaxis"]["range"] == [0, 100]


def test_pgic_responder_bars_and_an_unknown_field():
    values = [RegionValue(f"p{i}", f"r{i}", "all", "m1", None, v)
              for i, v in enumerate([1, 2, 2, 5])]
    rows = build_trial_rows(values, responder_max=2.0, timepoints=TIMEPOINTS[:1])
    figure = _validated(build_responder_dict(rows, "pgic_responders"))
    assert figure["data"][0]["y"] == [75.0]
    assert figure["data"][0]["error_y"]["arrayminus"] == pytest.approx(
        [(0.75 - wilson_ci(3, 4).ci_low) * 100])
    with pytest.raises(ValueError):
        build_responder_dict(rows, "responders_40")


def test_timepoint_labels_are_in_row_order_once_each():
    assert timepoint_labels(_rows()) == ["1 month", "3 months", "6 months"]


def test_km_figure_has_step_curves_censor_marks_and_a_numbers_at_risk_table():
    curves = kaplan_meier_by_group({
        "D5W": [(2, True), (3, False), (4, True), (5, False), (6, True)],
        "Saline": [(1, True), (8, False)],
    }, at_days=[0, 3, 6])
    figure = _validated(build_km_dict(curves))
    steps, marks, risk = figure["data"][:3]
    assert steps["line"]["shape"] == "hv" and steps["name"] == "D5W (n = 5)"
    assert steps["x"] == [0, 2, 3, 4, 5, 6]
    assert steps["y"] == pytest.approx([1, 0.8, 0.8, 8 / 15, 8 / 15, 0])
    assert marks["x"] == [3, 5] and marks["showlegend"] is False
    assert (risk["yaxis"], risk["x"], risk["text"]) == ("y2", [0, 3, 6], ["5", "4", "1"])
    assert figure["data"][5]["text"] == ["2", "1", "1"]
    layout = figure["layout"]
    assert layout["yaxis2"]["categoryarray"] == ["Saline", "D5W"]  # D5W on the top row
    assert layout["yaxis2"]["domain"][1] < layout["yaxis"]["domain"][0]


def test_km_figure_hides_groups_past_five_and_survives_an_empty_group():
    curves = {f"group {g}": kaplan_meier([(g + 1, True), (9, False)], [0, 5])
              for g in range(6)}
    curves["nobody"] = kaplan_meier([], [0, 5])
    figure = _validated(build_km_dict(curves))
    hidden = {t["legendgroup"] for t in figure["data"] if t["visible"] == "legendonly"}
    assert hidden == {"group 5", "nobody"}
    empty = [t for t in figure["data"] if t["legendgroup"] == "nobody"]
    assert empty[0]["x"] == [] and empty[2]["text"] == ["0", "0"]
