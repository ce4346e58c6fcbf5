"""Trajectory figures for a hand-built case shaped like Gharaei 2025 (7 regions, weeks 0-6)."""

import re
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import pytest

from charts.data import CsaPoint, Observation, SessionMarker, TrajectoryData, TreatedRegion
from charts.trajectory import build_csa_figure, build_trajectory_figures

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
SESSION_DAYS = [0, 7, 14, 21, 28, 35, 42]
TIMEPOINTS = [(f"before session {i + 1}", d) for i, d in enumerate(SESSION_DAYS)] + [
    ("1 month", 72), ("3 months", 133), ("6 months", 224), ("12 months", 407)]
# region code, label, baseline, final pain; middle timepoints repeat the baseline.
REGIONS = [
    ("r_median_wrist", "Right median (wrist)", 8, 3),
    ("l_median_forearm", "Left median (forearm)", 6, 4),
    ("l_ulnar_elbow", "Left ulnar (elbow)", 3, 2),
    ("l_mabc", "Left medial antebrachial cutaneous", 6, 6),
    ("l_common_fibular", "Left common fibular", 4, 6),
    ("l_superficial_fibular", "Left superficial fibular", 7, 0),
    ("r_dorsal_foot", "Right dorsal cutaneous (foot)", 5, 4),
]
MISSED_INDEX = 8  # the 3-month survey of the right wrist's pain was not answered


def _obs(code, label, outcome, values, timepoints=TIMEPOINTS):
    out = []
    for (name, day), value in zip(timepoints, values, strict=True):
        out.append(Observation(code, label, outcome, day, START + timedelta(days=day), value,
                               name, missed=value is None))
    return out


def _case(synthetic=False, csa=()):
    observations = []
    for index, (code, label, first, last) in enumerate(REGIONS):
        pain = [first] * 10 + [last]
        if index == 0:
            pain[MISSED_INDEX] = None
        observations += _obs(code, label, "pain", pain)
        observations += _obs(code, label, "paresthesia", [5] * 10 + [1])
    observations += _obs("", "", "function", [3] * 10 + [6])
    observations += _obs("", "", "pgic", [4] * 9 + [2], TIMEPOINTS[1:])
    treated = [TreatedRegion(label, "dextrose", "5%", 4.0) for _, label, _, _ in REGIONS]
    treated.append(TreatedRegion("Trigger points (left arm)", "dextrose", "15%", 2.0))
    sessions = [SessionMarker(d, START + timedelta(days=d), i + 1, treated)
                for i, d in enumerate(SESSION_DAYS)]
    return TrajectoryData("Scleroderma case", observations, sessions, list(csa), synthetic)


@pytest.fixture(scope="module")
def figures():
    return {k: f.to_plotly_json() for k, f in build_trajectory_figures(_case()).items()}


def _trace(fig, name_start):
    return next(t for t in fig["data"] if t["name"].startswith(name_start))


def _line(fig, label):
    return next(t for t in fig["data"] if t["name"].startswith(label + ":"))


def test_one_figure_per_outcome_with_data(figures):
    assert list(figures) == ["pain", "paresthesia", "function", "pgic"]


@pytest.mark.parametrize(("outcome", "count"), [
    # per region: MCID band + baseline + line; +1 missed trace; +1 session trace
    ("pain", 7 * 3 + 1 + 1),
    ("paresthesia", 7 * 3 + 1),
    ("function", 3 + 1),
    ("pgic", 1 + 1),  # PGIC is itself a change rating: no baseline or band
])
def test_trace_count_per_outcome(figures, outcome, count):
    assert len(figures[outcome]["data"]) == count


def test_figures_are_valid_plotly(figures):
    for fig in figures.values():
        go.Figure(fig)  # validates every property


def test_session_markers_are_shapes_and_hoverable_trace(figures):
    fig = figures["pain"]
    lines = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert [s["x0"] for s in lines] == SESSION_DAYS
    assert all(s["x0"] == s["x1"] and s["yref"] == "paper" for s in lines)
    sessions = _trace(fig, "Sessions")
    assert sessions["x"] == SESSION_DAYS
    assert sessions["y"] == [10] * 7  # the top of the fixed 0-10 axis
    hover = sessions["hovertext"][2]
    assert "Session 3" in hover and "18 Mar 2024" in hover
    assert "Right median (wrist): dextrose 5%, 4 mL" in hover
    assert "Trigger points (left arm): dextrose 15%, 2 mL" in hover


def test_baseline_line_and_mcid_band_at_baseline(figures):
    fig = figures["pain"]
    group = [t for t in fig["data"] if t.get("legendgroup") == "r_median_wrist"]
    baseline = next(t for t in group if t["name"] == "baseline")
    band = next(t for t in group if t["name"] == "MCID band")
    assert list(baseline["y"]) == [8, 8]
    assert baseline["line"]["dash"] == "dash"
    assert band["fill"] == "toself"
    assert (min(band["y"]), max(band["y"])) == (6, 10)
    assert (min(band["x"]), max(band["x"])) == (0, 407)
    # seven regions: bands start hidden and show when a region is isolated in the legend
    assert band["visible"] == "legendonly"
    function_band = next(t for t in figures["function"]["data"] if t["name"] == "MCID band")
    assert function_band["visible"] is True


def test_missed_timepoint_is_a_gap_and_a_hollow_marker(figures):
    fig = figures["pain"]
    line = _line(fig, "Right median (wrist)")
    assert line["connectgaps"] is False
    assert line["x"][MISSED_INDEX] == 133
    assert line["y"][MISSED_INDEX] is None
    assert None not in list(_line(fig, "Left ulnar (elbow)")["y"])
    missed = next(t for t in fig["data"] if t["name"] == "missed")
    assert missed["legendgroup"] == "r_median_wrist"
    assert list(missed["x"]) == [133] and list(missed["y"]) == [0]
    assert missed["marker"]["symbol"] == "circle-open"
    assert "missed" in missed["hovertext"][0]


def _hover(trace, index):
    """Fill the trace's hovertemplate for one point as plotly.js does for these fields."""
    def field(match):
        name, fmt = match.group(1), match.group(2)
        value = trace[name][index]
        return format(value, fmt.replace("~", "")) if fmt else str(value)
    text = re.sub(r"%\{(customdata|text|y)(?::([^}]*))?\}", field, trace["hovertemplate"])
    assert "%{" not in text, text
    return text.replace("<extra></extra>", "")


def test_point_hover_shows_date_value_change_and_timepoint(figures):
    line = _line(figures["pain"], "Right median (wrist)")
    hover = _hover(line, -1)
    assert hover == ("<b>Right median (wrist)</b><br>15 Apr 2025 · 12 months<br>"
                     "Pain (NRS 0-10): 3<br>Change from baseline: −5 (−63%)")
    assert _hover(line, 0).endswith("Pain (NRS 0-10): 8<br>Change from baseline: 0 (0%)")
    # a missed point has no value, hence no marker to hover, and no change text
    assert line["y"][MISSED_INDEX] is None and line["text"][MISSED_INDEX] == ""


def test_rating_outcome_hover_has_no_change_from_baseline(figures):
    line = next(t for t in figures["pgic"]["data"] if t["name"].startswith("Overall"))
    hover = _hover(line, -1)
    assert "Change from baseline" not in hover
    assert "15 Apr 2025 · 12 months" in hover


def test_template_placeholders_in_labels_are_not_substituted():
    obs = [Observation("x", "Odd %{y} label", "pain", d, START + timedelta(days=d), 5, "w")
           for d in (0, 7)]
    fig = build_trajectory_figures(TrajectoryData("T", obs, []))["pain"].to_plotly_json()
    line = _line(fig, "Odd %{y} label")
    assert "%{y} label" not in line["hovertemplate"]
    assert "Odd %\u200b{y} label" in line["hovertemplate"]


@pytest.mark.parametrize(("outcome", "name"), [
    ("pain", "Right median (wrist): −5 (−63%) · substantial"),
    ("pain", "Left median (forearm): −2 (−33%) · moderate"),
    ("pain", "Left ulnar (elbow): −1 (−33%) · minimal"),
    ("pain", "Left medial antebrachial cutaneous: 0 (0%) · none"),
    ("pain", "Left common fibular: +2 (+50%) · worse"),
    ("pain", "Left superficial fibular: −7 (−100%) · substantial"),
    ("pain", "Right dorsal cutaneous (foot): −1 (−20%) · minimal"),
    ("paresthesia", "Right median (wrist): −4 (−80%) · substantial"),
    ("function", "Overall: +3 (+100%) · substantial"),
    ("pgic", "Overall: 2 · responder"),
])
def test_responder_label_in_legend_name(figures, outcome, name):
    assert name in [t["name"] for t in figures[outcome]["data"]]


def test_layout_is_tablet_friendly(figures):
    layout = figures["pain"]["layout"]
    assert layout["xaxis"]["title"]["text"] == "Days since first session"
    assert layout["yaxis"]["title"]["text"] == "Pain (NRS 0-10)"
    assert list(layout["yaxis"]["range"]) == [0, 10]
    assert list(figures["pgic"]["layout"]["yaxis"]["range"]) == [1, 7]
    assert layout["legend"]["orientation"] == "h"
    assert layout["font"]["size"] >= 13
    assert layout["autosize"] is True
    assert "title" not in layout or not layout["title"].get("text")


def test_synthetic_label_only_when_synthetic(figures):
    assert "title" not in figures["pain"]["layout"]["legend"]
    for fig in build_trajectory_figures(_case(synthetic=True)).values():
        title = fig.to_plotly_json()["layout"]["legend"]["title"]
        assert title["text"] == "Synthetic data" and title["font"]["color"] == "#b00020"


@pytest.mark.parametrize(("regions", "height"), [(1, 380), (2, 402), (7, 512)])
def test_figure_grows_with_its_legend_so_the_plot_keeps_its_room(regions, height):
    obs = [Observation(code, label, "pain", d, START + timedelta(days=d), 5, "w")
           for code, label, _first, _last in REGIONS[:regions] for d in (0, 7)]
    sessions = [SessionMarker(0, START, 1, [])]
    layout = build_trajectory_figures(TrajectoryData("T", obs, sessions))["pain"].layout
    assert layout.height == height  # regions + the sessions entry, 22 px per line past two
    # at the bottom of the figure, under the x-axis title rather than on it
    assert (layout.legend.yref, layout.legend.y, layout.legend.yanchor) == (
        "container", 0, "bottom")


CSA = [
    CsaPoint("r_median_wrist", "Right median (wrist)", 0, 13.5, 8),
    CsaPoint("r_median_wrist", "Right median (wrist)", 42, 10.2, 3),
    CsaPoint("l_ulnar_elbow", "Left ulnar (elbow)", 0, 11.0, 3),
    CsaPoint("l_ulnar_elbow", "Left ulnar (elbow)", 21, 9.0, None),  # no pain to pair with
]


def test_csa_figure_scatter_per_region_with_reference_line():
    fig = build_csa_figure(_case(csa=CSA)).to_plotly_json()
    assert [t["name"] for t in fig["data"]] == ["Right median (wrist)", "Left ulnar (elbow)"]
    assert list(fig["data"][0]["x"]) == [13.5, 10.2]
    assert list(fig["data"][0]["y"]) == [8, 3]
    assert list(fig["data"][1]["x"]) == [11.0]
    (line,) = fig["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 10.0
    assert fig["layout"]["xaxis"]["title"]["text"] == "Cross-sectional area (mm²)"


def test_csa_reference_is_configurable_and_none_without_points():
    fig = build_csa_figure(_case(csa=CSA), csa_reference=11.0).to_plotly_json()
    assert fig["layout"]["shapes"][0]["x0"] == 11.0
    assert build_csa_figure(_case()) is None
