"""The FHIR downloads: clinicians only, live patients only, audited, the cohort streamed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from tests.support.fhir import check_required_codes, validate_bundle
from tests.support.trajectory import build_patient
from webapp.fhir.bundle import export_options, patient_bundle
from webapp.fhir.records import iter_patient_records, live_patient_ids
from webapp.models import AuditEvent, Patient, utcnow


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_clinician_downloads_a_patient_bundle_and_it_is_audited(db, signed_in):
    course = build_patient(db)
    client = signed_in("clinician")
    response = client.get(f"/clinic/patients/{course.patient_id}/fhir.json")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="nervetrack-{course.patient_id}.fhir.json"'
    bundle = json.loads(response.get_data(as_text=True))
    assert sum(validate_bundle(bundle).values()) == 49
    check_required_codes(bundle)
    (event,) = _events(db, "fhir_exported")
    assert (event.patient_id, event.record_id, event.detail) == \
        (course.patient_id, course.patient_id, {"resources": 49})


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_other_roles_are_refused_and_nothing_is_audited(db, signed_in, role):
    course = build_patient(db)
    client = signed_in(role)
    assert client.get(f"/clinic/patients/{course.patient_id}/fhir.json").status_code == 403
    assert client.get("/clinic/fhir.ndjson").status_code == 403
    assert _events(db, "fhir_exported") == _events(db, "cohort_fhir_exported") == []


def _erase(db, patient_id: int) -> None:
    patient = db.get(Patient, patient_id)
    patient.erased_at = utcnow()
    db.add(patient)
    db.commit()


def test_erased_and_unknown_patients_are_not_found(db, signed_in):
    course = build_patient(db)
    _erase(db, course.patient_id)
    client = signed_in("clinician")
    for patient_id in (course.patient_id, course.patient_id + 100):
        assert client.get(f"/clinic/patients/{patient_id}/fhir.json").status_code == 404
    assert _events(db, "fhir_exported") == []


def test_the_cohort_is_streamed_one_valid_bundle_per_line(db, signed_in):
    kept = [build_patient(db, study_code=code).patient_id for code in ("NT-0101", "NT-0102")]
    gone = build_patient(db, study_code="NT-0103").patient_id
    _erase(db, gone)
    client = signed_in("clinician")
    response = client.get("/clinic/fhir.ndjson")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/fhir+ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 2
    codes = []
    for line in lines:
        bundle = json.loads(line)
        validate_bundle(bundle)
        check_required_codes(bundle)
        codes.append(bundle["entry"][0]["resource"]["identifier"][0]["value"])
    assert codes == ["NT-0101", "NT-0102"]
    (event,) = _events(db, "cohort_fhir_exported")
    assert event.detail == {"patients": len(kept)}


def test_the_cohort_is_read_one_batch_at_a_time(app, db):
    for code in ("NT-0101", "NT-0102", "NT-0103"):
        build_patient(db, study_code=code)
    statements = []
    sa.event.listen(db.get_bind(), "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    with app.app_context():
        options = export_options(app, utcnow())
        ids = live_patient_ids(db)
        bundles = (patient_bundle(r, options) for r in iter_patient_records(db, ids, 2))
        first = next(bundles)
        read_for_first = len(statements)
        rest = list(bundles)
    assert [b["entry"][0]["resource"]["identifier"][0]["value"] for b in [first, *rest]] == \
        ["NT-0101", "NT-0102", "NT-0103"]
    # One query for the ids, then five per batch of two patients: the first bundle needs only
    # the first batch, and the third patient costs one more batch, not one more per patient.
    assert (read_for_first, len(statements)) == (1 + 5, 1 + 5 + 5)
