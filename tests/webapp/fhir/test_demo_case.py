"""The demo's published scleroderma case exports as a valid FHIR Bundle."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from tests.support.fhir import check_required_codes, validate_bundle
from webapp.demo.seed import SCLERODERMA_CODE, SCLERODERMA_REGIONS, seed_demo
from webapp.fhir.bundle import export_options, patient_bundle
from webapp.fhir.records import load_batch
from webapp.models import Patient, utcnow


def test_the_scleroderma_case_exports_as_a_valid_bundle(app, db):
    seed_demo(session=db, today=date(2026, 3, 1), cohort_size=0)
    patient = db.exec(select(Patient).where(Patient.study_code == SCLERODERMA_CODE)).one()
    with app.app_context():
        (records,) = load_batch(db, [patient.id])
        bundle = patient_bundle(records, export_options(app, utcnow()))
    counts = validate_bundle(bundle)
    check_required_codes(bundle)
    # 7 regions treated at each of 7 weekly sessions.
    sessions = 7
    assert counts["Procedure"] == counts["MedicationAdministration"] == \
        sessions * len(SCLERODERMA_REGIONS)
    assert counts["Questionnaire"] == 5
    assert counts["QuestionnaireResponse"] > 100 and counts["Observation"] > 100
