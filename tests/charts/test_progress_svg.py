"""A patient's own progress SVG: one region, no procedure names, numbers for the words."""

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from charts.data import Observation, SessionMarker, TrajectoryData, TreatedRegion
from charts.progress_svg import (
    PATIENT_WORDS,
    ProgressChange,
    progress_changes,
    progress_sentence,
    render_progress_svg,
)
from charts.samples import scleroderma_case

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
CODE, LABEL = "median-carpal-tunnel-right", "Right median nerve · Carpal tunnel"
PROCEDURE_WORDS = ("dextrose", "d5w", "saline", "lidocaine", "hydrodissection", "injection",
                   "trigger", "note", "needle", "tolerated")
EXACT_TOKENS = ("5%", "15%", "mL", "25G")  # case matters: "ml" is inside "xmlns"


def _case(pain, paresthesia=(), days=(0, 7, 14, 42, 72)):
    observations = [
        Observation(CODE, LABEL, outcome, day, START + timedelta(days=day), value, f"t{day}",
                    missed=value is None)
        for outcome, values in (("pain", pain), ("paresthesia", paresthesia))
        for day, value in zip(days, values, strict=False)
    ]
    treated = [TreatedRegion(LABEL, "dextrose", "5%", 4.0)]
    sessions = [SessionMarker(d, START + timedelta(days=d), i + 1, treated,
                              note="D5W hydrodissection, 25G needle, lidocaine, tolerated")
                for i, d in enumerate((0, 7, 14))]
    sessions.append(replace(sessions[-1], day=21, when=START + timedelta(days=21), number=4,
                            status="scheduled"))
    return TrajectoryData("Patient", observations, sessions)


@pytest.mark.parametrize(("pain", "direction", "start", "latest"), [
    ([8, 6, 2], "down", 8, 2),
    ([8, None, 2], "down", 8, 2),
    ([3, 5], "up", 3, 5),
    ([4, 4, 4], "same", 4, 4),
    ([5], "first", 5, 5),
    ([], "none", None, None),
    ([None, 6, 3], "down", 6, 3),
])
def test_progress_changes_are_numbers(pain, direction, start, latest):
    (change, _) = progress_changes(_case(pain), CODE)
    assert (change.outcome, change.direction, change.start, change.latest) == (
        "pain", direction, start, latest)
    assert change.answers == len([v for v in pain if v is not None])


@pytest.mark.parametrize(("change", "sentence"), [
    (ProgressChange("pain", "down", 8, 2, 3), "Pain down from 8 to 2 since your first treatment"),
    (ProgressChange("paresthesia", "up", 2.5, 4, 2),
     "Tingling or numbness up from 2.5 to 4 since your first treatment"),
    (ProgressChange("pain", "same", 4, 4, 2), "Pain unchanged at 4 since your first treatment"),
    (ProgressChange("pain", "first", 5, 5, 1), "Pain: 5 (your first answer)"),
    (ProgressChange("pain", "none", None, None, 0), "Pain: no answers yet"),
])
def test_progress_sentence_in_english(change, sentence):
    assert progress_sentence(change) == sentence


def test_progress_sentence_takes_the_callers_words():
    words = {**PATIENT_WORDS, "pain": "Douleur",
             "down": "{outcome} : de {start:g} à {latest:g} depuis le premier traitement"}
    change = ProgressChange("pain", "down", 8, 2, 3)
    assert progress_sentence(change, words) == "Douleur : de 8 à 2 depuis le premier traitement"


def test_progress_svg_has_no_procedure_names_or_notes():
    svg = render_progress_svg(_case([8, 6, 4, 2, 1], [6, 5, 3, 2, 2]), CODE)
    for word in PROCEDURE_WORDS:
        assert word not in svg.lower(), word
    for token in EXACT_TOKENS:
        assert token not in svg, token
    spoken = " ".join(el.text or "" for el in ET.fromstring(svg).iter())
    assert "session" not in spoken.lower()  # the clinician's word; patients read "Treatment"


def test_progress_svg_for_the_scleroderma_region_has_no_injectate():
    case = scleroderma_case()
    svg = render_progress_svg(case, "r_median_wrist")
    injectates = {r.injectate for s in case.sessions for r in s.regions}
    injectates |= {r.concentration for s in case.sessions for r in s.regions}
    assert not any(word in svg for word in injectates | {"mL", "Trigger"})


def test_progress_svg_marks_sessions_and_speaks_the_summary():
    root = ET.fromstring(render_progress_svg(_case([8, 6, 4, 2, 2], [6, 5, 3, 3, 2]), CODE))
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert root.find(f"{SVG}title").text == LABEL
    assert root.find(f"{SVG}desc").text == (
        "Pain down from 8 to 2 since your first treatment. "
        "Tingling or numbness down from 6 to 2 since your first treatment.")
    marks = [el for el in root.iter() if "nt-session" in (el.get("class") or "").split()]
    assert [m.find(f"{SVG}title").text for m in marks] == [
        "Treatment 1 (2025-01-06)", "Treatment 2 (2025-01-13)", "Treatment 3 (2025-01-20)",
        "Planned treatment 4 (2025-01-27)"]


def test_progress_svg_breaks_the_line_at_a_missed_answer():
    root = ET.fromstring(render_progress_svg(_case([8, 6, None, 2, 1]), CODE))
    (pain,) = [el for el in root.iter() if el.get("class") == "nt-series nt-pain"]
    assert len(pain.findall(f"{SVG}polyline")) == 2
    (missed,) = [el for el in root.iter() if el.get("class") == "nt-missed"]
    assert [g.find(f"{SVG}title").text for g in missed] == ["Missed (2025-01-20)"]


def test_progress_svg_escapes_the_patients_label_and_uses_their_words():
    words = {**PATIENT_WORDS, "pain": "درد", "week": "هفته {n}"}
    svg = render_progress_svg(_case([8, 2]), CODE, label="Wrist <&> fingers", words=words)
    root = ET.fromstring(svg)
    assert "Wrist <&>" not in svg and root.find(f"{SVG}title").text == "Wrist <&> fingers"
    assert "درد" in svg and "هفته 0" in svg and "Pain" not in svg
