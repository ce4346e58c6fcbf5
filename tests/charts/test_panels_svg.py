"""Server-drawn SVG small multiples: one panel per region, shared axis, accessible, small."""

import xml.etree.ElementTree as ET
from dataclasses import replace
from functools import cache

import pytest

from charts.data import TreatedRegion
from charts.panels_svg import csa_cutoff, render_panels, render_panels_svg
from charts.samples import SCLERODERMA_REGIONS, long_follow_up_case, scleroderma_case
from charts.style import PALETTE
from charts.svg_parts import LEFT, RIGHT

SVG = "{http://www.w3.org/2000/svg}"
LABELS = [label for _, label in SCLERODERMA_REGIONS]
CASES = {"scleroderma": scleroderma_case, "8 regions weekly for 2 years": long_follow_up_case}


@cache
def _panels(name="scleroderma"):
    return tuple(render_panels(CASES[name]()))


def _classed(root, name):
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def _title(element):
    return element.find(f"{SVG}title").text


def _symptoms(panels):
    return [p for p in panels if p.kind == "symptoms"]


def _split_sessions_case():
    """Session n treats only LABELS[n % 3]; a scheduled eighth session treats LABELS[0]."""
    case = scleroderma_case()
    sessions = [replace(s, regions=[TreatedRegion(LABELS[s.number % 3], "dextrose", "5%", 4.0)],
                        note="tolerated well" if s.number == 3 else None)
                for s in case.sessions]
    last = sessions[-1]
    sessions.append(replace(last, day=49, number=8, status="scheduled", note="bring scans",
                            regions=[TreatedRegion(LABELS[0], "normal saline", None, 5.0)]))
    return replace(case, sessions=sessions)


@pytest.mark.parametrize(("name", "symptoms", "csa"), [("scleroderma", 7, 2),
                                                        ("8 regions weekly for 2 years", 8, 2)])
def test_one_panel_per_region_then_csa_function_and_pgic(name, symptoms, csa):
    panels = _panels(name)
    kinds = [p.kind for p in panels]
    assert (kinds.count("symptoms"), kinds.count("csa")) == (symptoms, csa)
    assert kinds[-2:] == ["function", "pgic"]
    assert render_panels_svg(CASES[name]()).count("<svg") == len(panels) == symptoms + csa + 2


def test_csa_panel_sits_beside_its_regions_pain_panel():
    panels = _panels()
    for index, panel in enumerate(panels):
        if panel.kind == "csa":
            assert panels[index - 1].kind == "symptoms"
            assert panels[index - 1].region_code == panel.region_code


def test_region_titles_are_the_labels_in_plain_words():
    titles = [_title(ET.fromstring(p.svg)) for p in _symptoms(_panels())]
    assert titles == LABELS


@pytest.mark.parametrize("name", CASES)
def test_every_panel_is_valid_accessible_scalable_svg(name):
    for panel in _panels(name):
        root = ET.fromstring(panel.svg)
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert _title(root) == panel.title
        assert root.find(f"{SVG}desc").text == panel.summary
        assert root.get("width") == "100%" and root.get("height") is None
        assert root.get("viewBox") == "0 0 400 160"
        # The pages' CSP (style-src 'self') would block inline styles.
        assert "style=" not in panel.svg and "<style" not in panel.svg


def test_only_the_sessions_that_treated_a_region_appear_in_its_panel():
    panels = _symptoms(render_panels(_split_sessions_case()))
    expected = {LABELS[0]: [3, 6, 8], LABELS[1]: [1, 4, 7], LABELS[2]: [2, 5]}
    for panel in panels:
        marks = _classed(ET.fromstring(panel.svg), "nt-session")
        numbers = [int(_title(m).split()[1]) for m in marks]
        assert numbers == expected.get(panel.title, [])
        for mark in marks:
            others = set(LABELS) - {panel.title}
            assert panel.title in _title(mark)
            assert not any(other in _title(mark) for other in others)


def test_session_hover_carries_injectate_concentration_volume_and_note():
    panel = _symptoms(render_panels(_split_sessions_case()))[0]
    marks = {_title(m).split()[1]: m for m in _classed(ET.fromstring(panel.svg), "nt-session")}
    assert _title(marks["3"]) == (f"Session 3 · 18 Mar 2024 · performed\n"
                                  f"{LABELS[0]}: dextrose 5%, 4 mL\nNote: tolerated well")
    assert "nt-performed" in marks["3"].get("class")
    assert "normal saline, 5 mL" in _title(marks["8"])
    assert "Note: bring scans" in _title(marks["8"])
    assert "nt-scheduled" in marks["8"].get("class")


def test_scheduled_sessions_are_dashed_and_hollow():
    panel = _symptoms(render_panels(_split_sessions_case()))[0]
    group = _classed(ET.fromstring(panel.svg), "nt-sessions")[0]
    paths = group.findall(f"{SVG}path")
    dashed = [p for p in paths if p.get("stroke-dasharray")]
    hollow = [p for p in paths if p.get("fill") == "#fff"]
    assert len(dashed) == 1 and dashed[0].get("d").count("M") == 1
    assert len(hollow) == 1 and hollow[0].get("d").count("M") == 1


@pytest.mark.parametrize("name", CASES)
def test_treatment_phase_takes_at_least_half_of_every_panel(name):
    for panel in _panels(name):
        (rect,) = _classed(ET.fromstring(panel.svg), "nt-treatment")
        assert float(rect.get("width")) / (RIGHT - LEFT) >= 0.5


@pytest.mark.parametrize("name", CASES)
def test_all_panels_share_one_time_axis(name):
    rows = set()
    for panel in _panels(name):
        root = ET.fromstring(panel.svg)
        (ticks,) = _classed(root, "nt-ticks")
        rows.add(tuple((t.get("x"), t.text) for t in ticks))
        rows.add(_classed(root, "nt-treatment")[0].get("width"))
    assert len(rows) == 2


def test_named_timepoints_are_labelled_on_the_axis():
    for panel in _panels():
        (row,) = _classed(ET.fromstring(panel.svg), "nt-named-labels")
        texts = [t.text for t in row]
        assert {"baseline", "1 month", "12 months"} <= set(texts)


def test_custom_named_timepoints():
    named = [("baseline", 0), ("session 3", 14), ("1 month", 72), ("12 months", 407)]
    panel = render_panels(scleroderma_case(), timepoints=named)[0]
    (row,) = _classed(ET.fromstring(panel.svg), "nt-named-labels")
    assert [t.text for t in row] == ["baseline", "session 3", "1 month", "12 months"]


def test_missed_timepoint_breaks_the_line_and_is_marked():
    for panel in _symptoms(_panels()):
        root = ET.fromstring(panel.svg)
        for outcome in ("nt-pain", "nt-paresthesia"):
            (group,) = _classed(root, outcome)
            assert len(group.findall(f"{SVG}polyline")) == 2  # broken at "3 months"
        (missed,) = _classed(root, "nt-missed")
        assert [_title(g) for g in missed] == ["Missed: 3 months after last session (15 Jul 2024)"]
        assert "1 missed timepoint" in panel.summary


def test_pain_and_paresthesia_look_the_same_in_every_panel():
    styles = set()
    for panel in _symptoms(_panels()):
        root = ET.fromstring(panel.svg)
        for outcome in ("nt-pain", "nt-paresthesia"):
            for line in _classed(root, outcome)[0].findall(f"{SVG}polyline"):
                styles.add((outcome, line.get("stroke"), line.get("stroke-dasharray")))
    assert styles == {("nt-pain", PALETTE[0], None), ("nt-paresthesia", PALETTE[1], "6 3")}


def test_same_nrs_scale_baseline_and_mcid_band():
    for panel in _symptoms(_panels()):
        root = ET.fromstring(panel.svg)
        assert len(_classed(root, "nt-baseline")) == 2
        bands = _classed(root, "nt-mcid")
        # ±2 points of a 0-10 scale drawn 84 units tall (unless clipped at the top).
        assert all(float(b.get("height")) <= 33.6 for b in bands)
        assert any(float(b.get("height")) == 33.6 for b in bands)
    (pgic,) = [p for p in _panels() if p.kind == "pgic"]
    root = ET.fromstring(pgic.svg)
    assert _classed(root, "nt-responder") and not _classed(root, "nt-baseline")


def test_label_is_escaped_everywhere():
    nasty = '<Left & "median"> (wrist)'
    case = scleroderma_case()
    observations = [o._replace(region_label=nasty) if o.region_label == LABELS[0] else o
                    for o in case.observations]
    sessions = [replace(s, regions=[replace(r, region_label=nasty) if r.region_label == LABELS[0]
                                    else r for r in s.regions]) for s in case.sessions]
    case = replace(case, observations=observations, sessions=sessions)
    panel = render_panels(case)[0]
    assert nasty not in panel.svg and "&lt;Left &amp;" in panel.svg
    root = ET.fromstring(panel.svg)
    assert _title(root) == nasty
    assert all(nasty in _title(m) for m in _classed(root, "nt-session"))


def test_scleroderma_set_of_panels_is_under_60_kb():
    assert len(render_panels_svg(scleroderma_case()).encode()) < 60_000


@pytest.mark.parametrize(("code", "label", "cutoff"), [
    ("median-carpal-tunnel-right", "Right median nerve · Carpal tunnel", 10.0),
    ("ulnar-elbow-left", "Left ulnar nerve · Elbow (cubital tunnel)", 10.0),
    ("l_ulnar_elbow", "Left ulnar (elbow)", 10.0),
    ("r_median_wrist", "Right median (wrist)", 10.0),
    ("median-forearm-left", "Left median nerve · Forearm", None),
    ("ulnar-wrist-right", "Right ulnar nerve · Wrist (Guyon's canal)", None),
    ("tibial-tarsal-tunnel-left", "Left tibial nerve · Tarsal tunnel", None),
])
def test_csa_reference_cutoffs(code, label, cutoff):
    assert csa_cutoff(code, label) == cutoff


def test_csa_panels_draw_the_cutoff_only_where_one_is_published():
    csa = {p.region_code: p for p in _panels() if p.kind == "csa"}
    assert set(csa) == {"l_median_forearm", "l_ulnar_elbow"}
    assert not _classed(ET.fromstring(csa["l_median_forearm"].svg), "nt-cutoff")
    assert "compare sides" in csa["l_median_forearm"].summary
    (line,) = _classed(ET.fromstring(csa["l_ulnar_elbow"].svg), "nt-cutoff")
    assert line.get("stroke-dasharray") and "cut-off 10 mm²" in csa["l_ulnar_elbow"].summary


def test_csa_cutoff_can_be_overridden_per_region():
    panels = render_panels(scleroderma_case(), csa_cutoffs={"l_median_forearm": 11.0})
    (median,) = [p for p in panels if p.kind == "csa" and p.region_code == "l_median_forearm"]
    assert "cut-off 11 mm²" in median.summary


def test_summaries_speak_the_numbers():
    first = _symptoms(_panels())[0]
    assert first.summary.startswith("Pain ") and "at baseline" in first.summary
    assert "7 sessions treated this region" in first.summary
    (function,) = [p for p in _panels() if p.kind == "function"]
    assert function.summary.startswith("PSFS ")
