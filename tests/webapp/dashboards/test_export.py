"""Tidy CSV export: columns, numbers, formula-injection neutralising, scoping and audit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from charts.csv_cells import neutralise
from tests.support.trajectory import MEDIAN, build_patient
from tests.support.web import STAFF_PASSWORD, login
from webapp.dashboards.export import COLUMNS, export_csv
from webapp.models import AuditEvent, Patient

HYPERLINK = '=HYPERLINK("http://x.test")'  # fits study_code (32)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(HYPERLINK, "'" + HYPERLINK), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
     ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("NT-0001", "NT-0001"), ("", ""),
     (-1, -1), (-2.5, -2.5), (0, 0)],
)
def test_neutralise_only_touches_risky_text(cell, expected):
    assert neutralise(cell) == expected


def test_csv_writes_negative_numbers_as_numbers():
    row = dict.fromkeys(COLUMNS, "")
    row.update(study_code="-1", value=-3, days_since_first_session=-2)
    parsed = list(csv.reader(io.StringIO(export_csv([row]))))
    assert parsed[0] == list(COLUMNS)
    cells = dict(zip(COLUMNS, parsed[1], strict=True))
    assert (cells["study_code"], cells["value"], cells["days_since_first_session"]) == (
        "'-1", "-3", "-2")


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


def _read(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = csv.reader(io.StringIO(response.get_data(as_text=True)))
    header = next(reader)
    assert header == list(COLUMNS)
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_patient_export_round_trip(clinician, db):
    course = build_patient(db, study_code=HYPERLINK, synthetic=True)
    rows = _read(clinician.get(f"/clinic/patients/{course.patient_id}/export.csv"))
    assert {r["study_code"] for r in rows} == {"'" + HYPERLINK}
    baseline_pain = next(r for r in rows if r["timepoint_key"] == "baseline"
                         and r["score_id"] == "pain_now" and r["region_code"] == MEDIAN)
    assert baseline_pain == {
        "study_code": "'" + HYPERLINK, "synthetic": "true", "timepoint_key": "baseline",
        "timepoint_label": "Baseline (before the first session)", "due_on": "2026-01-12",
        "completed_at": "2026-01-10T09:00:00Z", "instrument_id": "nt-pain",
        "region_code": MEDIAN, "score_id": "pain_now", "outcome": "pain", "value": "8",
        "days_since_first_session": "-2", "days_since_last_session": "-16"}
    m1 = [r for r in rows if r["timepoint_key"] == "m1" and r["outcome"] == "function"]
    assert [(r["region_code"], r["value"], r["days_since_last_session"]) for r in m1] == [
        ("", "7", "30")]
    # 2 regions x (pain_now, pain_worst, paresthesia) x 3 answered + PSFS twice
    assert len(rows) == 2 * 3 * 3 + 2
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "export_patient")).all()
    assert [(e.patient_id, e.detail["rows"]) for e in events] == [(course.patient_id, 20)]


@pytest.mark.parametrize("code", ["+1", "-1", "@SUM(A1)", "=1+1"])
def test_cohort_export_neutralises_study_codes(clinician, db, code):
    build_patient(db, study_code=code)
    rows = _read(clinician.get("/clinic/export.csv"))
    assert {r["study_code"] for r in rows} == {"'" + code}
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "export_cohort")).one()


def test_cohort_export_leaves_out_erased_patients(clinician, db):
    build_patient(db, study_code="NT-KEEP")
    gone = build_patient(db, study_code="NT-GONE")
    patient = db.get(Patient, gone.patient_id)
    patient.erased_at = datetime(2026, 3, 1, tzinfo=UTC)
    db.commit()
    rows = _read(clinician.get("/clinic/export.csv"))
    assert {r["study_code"] for r in rows} == {"NT-KEEP"}
    assert {r["synthetic"] for r in rows} == {"false"}
