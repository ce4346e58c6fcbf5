"""The patient page's parts from chart data (pure): which sessions each panel and interactive
figure shows, the shared time axis, the named timepoints with dates, and the report's tables."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from functools import cache

import pytest

from charts.data import TreatedRegion
from charts.samples import SCLERODERMA_REGIONS, START, long_follow_up_case, scleroderma_case
from webapp.care.patient_view import panel_name, patient_view_of, timeline_of
from webapp.care.report import number_ranges

LABELS = [label for _, label in SCLERODERMA_REGIONS]
CASES = {"scleroderma": scleroderma_case, "8 regions weekly for 2 years": long_follow_up_case}
NOTE = "Tolerated <well> & asked for notes"


def _split_case():
    """Session n treats only LABELS[n % 3]; an eighth, scheduled session treats LABELS[0]."""
    case = scleroderma_case()
    sessions = [replace(s, regions=[TreatedRegion(LABELS[s.number % 3], "D5W", "5%", 4.0)],
                        note=NOTE if s.number == 3 else None) for s in case.sessions]
    sessions.append(replace(sessions[-1], day=49, when=START + timedelta(days=49), number=8,
                            status="scheduled", note=None,
                            regions=[TreatedRegion(LABELS[0], "saline", None, 5.0)]))
    return replace(case, sessions=sessions)


@cache
def _view(name="split"):
    data = _split_case() if name == "split" else CASES[name]()
    return patient_view_of(data)


def _panel(view, name):
    return next(p for p in view.panels if p.name == name)


def _figure(view, name):
    return json.loads(_panel(view, name).payload)


def _session_trace(figure):
    return next(t for t in figure["data"] if t.get("name") == "Sessions")


# session n treats LABELS[n % 3]: region 0 gets 3, 6 and the scheduled 8; region 1 gets 1, 4, 7
@pytest.mark.parametrize(("region", "performed", "scheduled"), [(0, 2, 1), (1, 3, 0), (2, 2, 0),
                                                                 (3, 0, 0)])
def test_each_region_shows_only_the_sessions_that_treated_it(region, performed, scheduled):
    view = _view()
    name = panel_name("symptoms", SCLERODERMA_REGIONS[region][0])
    svg = _panel(view, name).svg
    assert svg.count('class="nt-session nt-performed"') == performed
    assert svg.count('class="nt-session nt-scheduled"') == scheduled
    figure = _figure(view, name)
    sessions = [t for t in figure["data"] if t.get("name") == "Sessions"]
    if performed + scheduled == 0:
        assert sessions == [] and figure["layout"]["shapes"][1:] == []
        return
    symbols = sessions[0]["marker"]["symbol"]
    assert symbols.count("triangle-down") == performed
    assert symbols.count("triangle-down-open") == scheduled
    assert len(figure["layout"]["shapes"]) == 1 + performed + scheduled  # shade + a line each


def test_overall_panels_show_every_session_and_the_note_escaped_on_hover():
    view = _view()
    function = _figure(view, "function")
    hover = _session_trace(function)["hovertext"]
    assert len(hover) == 8
    assert hover[2].startswith("Session 3 · ") and "Note: Tolerated &lt;well&gt; &amp; asked" \
        in hover[2]
    assert "<br>" in hover[2] and "<well>" not in "".join(hover)
    svg = _panel(view, "function").svg
    assert "Note: Tolerated &lt;well&gt; &amp; asked for notes" in svg
    assert function["config"]["displayModeBar"] is False  # axe: no nested interactive bar


@pytest.mark.parametrize("name", list(CASES))
def test_interactive_figures_share_the_panels_axis_with_room_for_treatment(name):
    view = _view(name)
    assert view.axis.treatment_share >= 0.5
    for panel in view.panels:
        layout = _figure(view, panel.name)["layout"]
        shade = layout["shapes"][0]
        assert shade["type"] == "rect" and shade["x1"] - shade["x0"] >= 0.5
        assert layout["xaxis"]["ticktext"] == [t.label for t in view.axis.ticks]
        assert layout["xaxis2"]["ticktext"] == [t.label for t in view.axis.named]
        weeks = [x for x, text in zip(layout["xaxis"]["tickvals"], layout["xaxis"]["ticktext"],
                                      strict=True) if text.startswith("W")]
        assert weeks and max(weeks) <= shade["x1"] + 1e-9


def test_named_timepoints_on_the_top_axis():
    layout = _figure(_view("scleroderma"), "function")["layout"]
    assert layout["xaxis2"]["ticktext"] == ["baseline", "session 7", "1 month", "3 months",
                                            "6 months", "12 months"]


def test_symptoms_figure_draws_pain_and_paresthesia_as_the_svg_does():
    figure = _figure(_view("scleroderma"), panel_name("symptoms", "l_median_forearm"))
    lines = [t for t in figure["data"] if t.get("mode") == "lines+markers"]
    assert [t["name"].split(":")[0] for t in lines] == ["Pain", "Paresthesia"]
    assert [(t["line"]["dash"], t["marker"]["symbol"]) for t in lines] == [
        ("solid", "circle"), ("dash", "square")]
    assert lines[0]["line"]["color"] != lines[1]["line"]["color"]


def test_csa_figure_has_the_cut_off_where_one_is_published():
    view = _view("scleroderma")
    ulnar = _figure(view, "csa_l_ulnar_elbow")["layout"]
    median = _figure(view, "csa_l_median_forearm")["layout"]
    assert [s["y0"] for s in ulnar["shapes"] if s["type"] == "line" and s["xref"] == "paper"] \
        == [10.0]
    assert not [s for s in median["shapes"] if s["xref"] == "paper"]


def test_rows_put_each_csa_panel_beside_its_region_then_function_and_pgic():
    rows = _view("scleroderma").rows()
    assert [[p.kind for p in row] for row in rows] == (
        [["symptoms", "csa"]] * 2 + [["symptoms"]] * 5 + [["function", "pgic"]])
    assert all(len({p.region_code for p in row}) == 1 for row in rows[:-1])


def test_without_the_interactive_view_no_figure_is_built():
    view = patient_view_of(scleroderma_case(), interactive=False)
    assert view.panels and all(p.payload is None for p in view.panels)


def test_timeline_names_dates_and_notes():
    entries = timeline_of(_split_case())
    assert [e.name for e in entries] == (["Baseline"] + [f"Session {n}" for n in range(1, 9)]
                                         + ["1 month", "3 months", "6 months", "12 months"])
    for entry in entries:
        assert entry.on == (START + timedelta(days=entry.day)).date()
    by_name = {e.name: e for e in entries}
    assert by_name["Session 3"].note == NOTE and by_name["Session 4"].note is None
    assert by_name["Session 8"].status == "scheduled"
    assert by_name["3 months"].status == "missed" and by_name["6 months"].status == ""


def test_a_weekly_diary_lists_sessions_but_not_a_hundred_follow_ups():
    entries = timeline_of(long_follow_up_case())
    assert [e.kind for e in entries] == ["baseline"] + ["session"] * 7


@pytest.mark.parametrize(("numbers", "text"), [
    ([1, 2, 3, 4, 5, 6, 7], "1–7"), ([1, 2, 4], "1, 2, 4"), ([5, 1, 2, 3, 7, 8], "1–3, 5, 7, 8"),
    ([3, 3, 3], "3"), ([], ""),
])
def test_number_ranges(numbers, text):
    assert number_ranges(numbers) == text
