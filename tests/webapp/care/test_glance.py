"""The top of a patient's dashboard: one line per region for the main outcome, above the charts,
with every number still in a table below them."""

from __future__ import annotations

import pytest

from tests.support.factories import make_course
from tests.support.trajectory import MEDIAN, ULNAR, build_patient
from webapp.care.trajectory import at_a_glance, region_label


def _row(outcome, region, points, percent, label, since=None):
    return {"outcome": outcome, "region_label": region, "points": points, "percent": percent,
            "label": label, "since_session": since}


@pytest.mark.parametrize(("summary", "expected"), [
    # pain is the headline whenever it exists, one row per region, with a true minus sign
    ([_row("paresthesia", "Wrist", -3, -60.0, "substantial"),
      _row("pain", "Wrist", -5, -62.5, "substantial", 3),
      _row("pain", "Elbow", 2, 50.0, "worse")],
     [("pain", "Wrist", "−5 (−63%)", 3), ("pain", "Elbow", "+2 (+50%)", None)]),
    # no pain answers: paresthesia, then function
    ([_row("function", "Overall", 4, 133.3, "substantial"),
      _row("paresthesia", "Wrist", -1, -20.0, "minimal")],
     [("paresthesia", "Wrist", "−1 (−20%)", None)]),
    ([_row("function", "Overall", 4, None, "moderate")],
     [("function", "Overall", "+4", None)]),
    # only a baseline so far: no change text, the label says so
    ([_row("pain", "Wrist", None, None, "no follow-up yet")],
     [("pain", "Wrist", "", None)]),
    ([_row("pgic", "Overall", None, None, "responder")], []),
    ([], []),
])
def test_at_a_glance_picks_the_headline_outcome(summary, expected):
    rows = at_a_glance(summary)
    assert [(r["outcome"], r["region_label"], r["change_text"], r["since_session"])
            for r in rows] == expected
    assert all("change_text" not in r for r in summary)  # the table's rows are not changed


@pytest.fixture
def clinician(signed_in):
    return signed_in("clinician")


def test_glance_comes_before_the_charts_and_the_table_after(clinician, db):
    course = build_patient(db)
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    glance = html.split('id="glance"')[1].split("</ul>")[0]
    median, ulnar = region_label(MEDIAN), region_label(ULNAR)
    assert median in glance and ulnar in glance
    assert "−5 (−63%) · substantial" in glance and "since session 3" in glance
    assert "−1 (−17%) · minimal" in glance
    assert html.index('id="glance"') < html.index('id="panels"') < html.index('id="summary"')
    assert "<details class=\"numbers\">" in html


def test_patient_without_answers_has_no_glance(clinician, db):
    course = make_course(db, study_code="NT-0400")
    html = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    assert 'id="glance"' not in html and "No answers yet." in html
