"""The cohort page and its trial table (CSV and printable page, audited), on both databases."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import select

from tests.support.pages import figures_of, scripts_of
from tests.support.trajectory import build_patient
from tests.support.web import STAFF_PASSWORD, login
from webapp.models import AuditEvent, Patient

HOSTILE_TAG = "=HYPERLINK(\"http://x.test\")"


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


@pytest.fixture
def two_patients(db):
    """A real patient tagged with a hostile text, and a synthetic one."""
    course = build_patient(db, study_code="NT-1")
    patient = db.get(Patient, course.patient_id)
    patient.tags = [HOSTILE_TAG]
    db.add(patient)
    db.commit()
    build_patient(db, study_code="NT-2", synthetic=True)


def _audits(db, action: str) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.mark.parametrize(("outcome", "names"), [
    ("pain", {"change", "responders", "substantial", "durability"}),
    ("function", {"change", "responders", "substantial", "durability"}),
    ("pgic", {"pgic", "durability"}),
])
def test_cohort_page_draws_ci_figures_and_collapsed_tables(clinician, db, two_patients,
                                                           outcome, names):
    response = clinician.get(f"/clinic/cohort?outcome={outcome}&by=nerve")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figures = figures_of(html)
    assert set(figures) == names
    if "change" in figures:
        traces = figures["change"]["data"]
        # PSFS is asked once per patient: it takes the index region's nerve
        assert {t["name"] for t in traces} == ({"Median nerve"} if outcome == "function"
                                               else {"Median nerve", "Ulnar nerve"})
        assert all(t["error_y"]["type"] == "data" and t["mode"] == "markers" for t in traces)
    assert figures["durability"]["layout"]["yaxis2"]["title"]["text"] == "At risk"
    assert re.findall(r"<details[^>]*>", html) and not re.search(r"<details[^>]*\bopen", html)
    assert "Complete cases:" in html and "never counted as zero" in html
    assert "1 synthetic" in html
    assert all(s.get("src") or s.get("type") == "application/json" for s in scripts_of(html))
    audit = _audits(db, "cohort_viewed")
    assert len(audit) == 1 and audit[0].detail["outcome"] == outcome


def test_timepoint_table_has_the_trial_numbers(clinician, two_patients):
    html = clinician.get("/clinic/cohort?by=nerve").get_data(as_text=True)
    table = html.split('id="table-timepoints"')[1].split("</table>")[0]
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in table.split("<tr>")[2:]]
    month = next(r for r in rows if r[:2] == ["1 month", "Median nerve"])
    # two patients alike: n 2 (2), baseline 8.0 (0.0), now 3.0 (0.0), change -5 with a
    # zero-width CI, both responders (Wilson 34% to 100% for 2 of 2)
    assert month == ["1 month", "Median nerve", "2 (2)", "8.0 (0.0)", "3.0 (0.0)",
                     "\u22125.0 (\u22125.0 to \u22125.0)", "\u22125.0 (\u22125.0 to \u22125.0)",
                     "2 (100%, 34–100%)", "2 (100%, 34–100%)"]


def test_two_groups_are_compared_and_called_observational(clinician, two_patients):
    html = clinician.get("/clinic/cohort?by=injectate&a=saline&b=D5W").get_data(as_text=True)
    assert "These are observational comparisons." in html
    assert "Comparing two groups: Saline against D5W" in html
    table = html.split('id="table-comparison"')[1].split("</table>")[0]
    # ulnar (saline) changed -1, median (D5W) -5 at one month: difference +4
    assert re.search(r"<td>1 month</td><td>2</td><td>2</td><td>\+4\.0[^<]*</td>", table), table


@pytest.mark.parametrize("query", [
    "outcome=mood", "unit=wrist", "by=colour", "only=nerve:spleen", "only=tag:unknown",
    "only=nerve", "only=none:all", "from=2026-13-01", "from=2026-1-5", "to=yesterday",
    "from=2026-02-01&to=2026-01-01", "protocol=999999", "protocol=abc", "protocol=%D9%A1",
    "protocol=99999999999999999999999", "outcome=%00", "by=" + "x" * 5000,
    "only=tag:" + "y" * 500,
])
def test_hostile_filters_are_a_clear_400(clinician, two_patients, query):
    for path in ("/clinic/cohort", "/clinic/cohort/trial-table",
                 "/clinic/cohort/trial-table.csv"):
        response = clinician.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["a=nobody&b=D5W", "a=D5W&b=D5W", "real=maybe", "unit="])
def test_unknown_comparison_groups_are_ignored(clinician, two_patients, query):
    assert clinician.get(f"/clinic/cohort?by=injectate&{query}").status_code == 200


def test_trial_table_csv_is_shaped_like_table_2_and_audited(clinician, db, two_patients):
    response = clinician.get("/clinic/cohort/trial-table.csv?by=tag")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # build_patient answers no PGIC: its section has no rows
    assert {r["outcome"] for r in rows} == {"pain", "paresthesia", "function"}
    month = next(r for r in rows if r["outcome"] == "pain" and r["timepoint"] == "m1"
                 and r["group"] == "No tag")
    assert (month["n_regions"], month["n_patients"], month["baseline_mean"],
            month["change_mean"], month["responders_30_n"], month["cases"]) == \
        ("2", "1", "7.0", "-3.0", "1", "complete cases")
    assert {r["group"] for r in rows} == {"No tag", "'" + HOSTILE_TAG}  # neutralised
    audit = _audits(db, "cohort_trial_table_exported")
    assert len(audit) == 1 and audit[0].detail["format"] == "csv"
    assert audit[0].detail["by"] == "tag" and audit[0].actor_label == "clinician@clinic.test"
    assert HOSTILE_TAG not in str(audit[0].detail)  # a tag can name a diagnosis


def test_trial_table_page_prints_every_outcome_and_is_audited(clinician, db, two_patients):
    response = clinician.get("/clinic/cohort/trial-table?only=nerve:median&real=1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'<table id="trial-([a-z]+)">', html) == ["pain", "paresthesia",
                                                              "function", "pgic"]
    assert "only nerve: Median nerve; synthetic patients excluded" in html
    pain = html.split('id="trial-pain"')[1].split("</table>")[0]
    assert "<td>1 month</td><td>All</td><td>1 (1)</td><td>8.0 (–)</td><td>3.0 (–)</td>" in pain
    audit = _audits(db, "cohort_trial_table_exported")
    assert len(audit) == 1 and audit[0].detail["format"] == "page"
    assert audit[0].detail["only"] == "nerve" and audit[0].detail["exclude_synthetic"] is True
