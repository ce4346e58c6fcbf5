"""The clinician's patient page through the test client: one SVG panel per region with only the
sessions that treated it, session notes on the timeline, and the interactive figures beside."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.pages import figures_of
from tests.support.trajectory import FIRST, LIBRARY, MEDIAN, ULNAR, build_patient
from webapp.care.patient_view import panel_name
from webapp.care.records import add_treatment_session
from webapp.care.trajectory import trajectory_data
from webapp.models import TreatmentCourse, TreatmentSession

NOTE = "Tolerated <well> & asked about driving"


@pytest.fixture
def clinician(signed_in):
    return signed_in("clinician")


def _patient(db):
    """build_patient, plus a note on session 2, a cancelled and a scheduled session."""
    course = build_patient(db)
    rows = db.exec(select(TreatmentSession).where(TreatmentSession.course_id == course.id)
                   .order_by(TreatmentSession.scheduled_at)).all()
    rows[1].notes = NOTE
    db.add(rows[1])
    course = db.get(TreatmentCourse, course.id)
    add_treatment_session(db, course=course, scheduled_at=FIRST + timedelta(days=17),
                          status="cancelled", notes="patient unwell")
    add_treatment_session(db, course=course, scheduled_at=FIRST + timedelta(days=21),
                          status="scheduled")
    db.commit()
    return course


def _figure_html(html: str, name: str) -> str:
    return html.split(f'id="panel-{name}"')[1].split("</figure>")[0]


def test_markers_carry_status_and_note_and_skip_cancelled_sessions(db):
    course = _patient(db)
    data = trajectory_data(db, course.patient_id, LIBRARY)
    assert [(s.number, s.day, s.status, s.note) for s in data.sessions] == [
        (1, 0, "performed", None), (2, 7, "performed", NOTE), (3, 14, "performed", None),
        (4, 21, "scheduled", None)]


# The median region was treated in sessions 1-3, the ulnar one in session 1 only; function
# (asked once for all regions) shows every session, the scheduled one hollow.
@pytest.mark.parametrize(("kind", "code", "performed", "scheduled"), [
    ("symptoms", MEDIAN, 3, 0), ("symptoms", ULNAR, 1, 0), ("csa", MEDIAN, 3, 0),
    ("function", "", 3, 1)])
def test_each_panel_shows_the_sessions_that_treated_its_region(clinician, db, kind, code,
                                                               performed, scheduled):
    course = _patient(db)
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    name = panel_name(kind, code)
    panel = _figure_html(html, name)
    assert panel.count("<svg") == 1
    assert panel.count('class="nt-session nt-performed"') == performed
    assert panel.count('class="nt-session nt-scheduled"') == scheduled
    sessions = next(t for t in figures_of(html)[name]["data"] if t.get("name") == "Sessions")
    assert len(sessions["x"]) == performed + scheduled


def test_page_has_one_panel_per_region_and_the_notes_on_the_timeline(clinician, db):
    course = _patient(db)
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    panels = re.findall(r'<figure class="panel" id="panel-([a-z_]+)">', html)
    assert panels == [panel_name("symptoms", MEDIAN), panel_name("csa", MEDIAN),
                      panel_name("symptoms", ULNAR), "function"]
    assert html.count('<details class="live">') == len(panels)
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    names = re.findall(r'<span class="tl-name">([^<]+)</span>', timeline)
    assert names == ["Baseline", "Session 1", "Session 2", "Session 3", "Session 4", "1 month"]
    assert "10 Jan 2026" in timeline and "12 Jan 2026" in timeline  # baseline, session 1
    assert "Tolerated &lt;well&gt; &amp; asked about driving" in timeline
    assert "patient unwell" not in html  # the cancelled session is not on the timeline
    svg_note = "Note: Tolerated &lt;well&gt; &amp; asked about driving"
    assert svg_note in _figure_html(html, panel_name("symptoms", MEDIAN))
    assert svg_note not in _figure_html(html, panel_name("symptoms", ULNAR))  # not treated


def test_sessions_table_numbers_match_the_timeline_and_headers_are_named(clinician, db):
    course = _patient(db)
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    table = html.split('id="sessions"')[1].split("</table>")[0]
    numbers = re.findall(r"<tr><td>([^<]+)</td>", table)
    assert numbers == ["1", "2", "3", "–", "4"]  # the cancelled session has no number
    assert "<th></th>" not in table and '<span class="sr-only">Change</span>' in table
