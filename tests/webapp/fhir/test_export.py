"""A built patient's FHIR Bundle: valid R4B resources, the codes we promise, no identity."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.support.fhir import by_type, check_required_codes, resolve, validate_bundle
from tests.support.trajectory import LIBRARY, MEDIAN, ULNAR, build_patient
from webapp.fhir.bundle import export_options, patient_bundle
from webapp.fhir.codes import LOINC, SCORE_SYSTEM, SYNTHETIC_TAG, UCUM
from webapp.fhir.records import load_batch
from webapp.models import SurveyAssignment
from webapp.survey.answers import complete_assignment, save_answers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _bundle(app, db, patient_id: int) -> dict:
    with app.app_context():
        (records,) = load_batch(db, [patient_id])
        return patient_bundle(records, export_options(app, NOW))


def test_every_resource_of_a_built_patient_is_valid_r4b(app, db):
    course = build_patient(db)
    bundle = _bundle(app, db, course.patient_id)
    # 3 instruments; 14 pages answered (pain and paresthesia for 2 regions at 3 timepoints,
    # PSFS twice); 20 scores + 3 CSA measurements; 4 procedure records (3 median, 1 ulnar).
    assert validate_bundle(bundle) == {"Patient": 1, "Questionnaire": 3,
                                       "QuestionnaireResponse": 14, "Observation": 23,
                                       "Procedure": 4, "MedicationAdministration": 4}
    check_required_codes(bundle)
    assert (bundle["type"], bundle["timestamp"]) == ("collection", "2026-03-01T12:00:00Z")


def _score(bundle: dict, code: str, region: str) -> dict:
    return next(o for o in by_type(bundle, "Observation")
                if any(c["code"] == code for c in o["code"]["coding"])
                and o.get("bodySite", {}).get("coding", [{}])[0].get("code") == region)


def test_scores_are_survey_observations_with_loinc_only_for_pain_now(app, db):
    course = build_patient(db)
    bundle = _bundle(app, db, course.patient_id)
    pain_now = _score(bundle, "nt-pain.pain_now", MEDIAN)
    assert pain_now["code"]["coding"][0] == {
        "system": LOINC, "code": "72514-3",
        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
    assert pain_now["valueQuantity"] == {"value": 8, "unit": "{score}", "system": UCUM,
                                         "code": "{score}"}
    assert pain_now["bodySite"]["text"] == "Right median nerve · Carpal tunnel"
    source = resolve(bundle, pain_now["derivedFrom"][0])
    assert source["item"][0]["answer"] == [{"valueInteger": 8}]
    assert source["authored"] == "2026-01-10T09:00:00Z"
    worst = _score(bundle, "nt-pain.pain_worst", ULNAR)
    assert [c["system"] for c in worst["code"]["coding"]] == [SCORE_SYSTEM]
    psfs = next(o for o in by_type(bundle, "Observation")
                if o["code"]["coding"][0]["code"] == "nt-psfs.psfs")
    assert "bodySite" not in psfs and psfs["category"][0]["coding"][0]["code"] == "survey"


def test_procedures_carry_region_injectate_volume_and_csa(app, db):
    course = build_patient(db)
    bundle = _bundle(app, db, course.patient_id)
    procedures = by_type(bundle, "Procedure")
    assert [p["bodySite"][0]["coding"][0]["code"] for p in procedures] == \
        [MEDIAN, ULNAR, MEDIAN, MEDIAN]
    assert procedures[0]["performedDateTime"] == "2026-01-12T10:00:00Z"
    given = {resolve(bundle, m["partOf"][0])["id"]: m
             for m in by_type(bundle, "MedicationAdministration")}
    first = given[procedures[0]["id"]]
    assert first["medicationCodeableConcept"]["text"] == "Dextrose 5% in water (5%)"
    assert first["dosage"]["dose"] == {"value": 4, "unit": "mL", "system": UCUM, "code": "mL"}
    assert given[procedures[1]["id"]]["medicationCodeableConcept"]["coding"][0]["code"] == \
        "saline"
    areas = [o["valueQuantity"]["value"] for o in by_type(bundle, "Observation")
             if o["category"][0]["coding"][0]["code"] == "imaging"]
    assert areas == [14, 12, 10]


def _after_session(db, course_id: int) -> SurveyAssignment:
    return db.exec(select(SurveyAssignment).where(
        SurveyAssignment.course_id == course_id,
        SurveyAssignment.slot.startswith("after-session")).order_by(
        SurveyAssignment.opens_at)).first()


def test_a_reported_adverse_event_is_an_adverse_event_linked_to_its_session(app, db):
    course = build_patient(db)
    assignment = _after_session(db, course.id)
    when = datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    answers = {key: False for key in ("bruising", "swelling", "pain_flare", "infection_signs",
                                      "other_problem")} | {"new_weakness_numbness": True}
    save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-after-session"),
                 region_code="", answers=answers, now=when)
    complete_assignment(db, assignment=assignment, library=LIBRARY, now=when)
    db.commit()
    bundle = _bundle(app, db, course.patient_id)
    validate_bundle(bundle)
    check_required_codes(bundle)
    (event,) = by_type(bundle, "AdverseEvent")
    assert event["event"]["coding"][0]["code"] == "new-weakness-numbness"
    assert event["seriousness"]["coding"][0]["code"] == "serious"
    suspects = [resolve(bundle, s["instance"]) for s in event["suspectEntity"]]
    assert {p["performedDateTime"] for p in suspects} == {"2026-01-12T10:00:00Z"}
    assert len(suspects) == 2  # both regions treated in that first session


@pytest.mark.parametrize(("setting", "identified"), [
    (None, False), (False, False), ("false", False), (True, True), ("true", True)])
def test_no_name_or_contact_unless_the_clinic_opts_in(app, db, setting, identified):
    course = build_patient(db)
    if setting is not None:
        app.config["FHIR_INCLUDE_IDENTITY"] = setting
    bundle = _bundle(app, db, course.patient_id)
    text = json.dumps(bundle)
    (patient,) = by_type(bundle, "Patient")
    assert patient["identifier"][0]["value"] == "NT-0100"
    assert ("Sam" in text, "sam@example.test" in text) == (identified, identified)
    assert ("name" in patient, "telecom" in patient) == (identified, identified)


def test_synthetic_patients_are_tagged_as_test_data(app, db):
    course = build_patient(db, synthetic=True)
    (patient,) = by_type(_bundle(app, db, course.patient_id), "Patient")
    assert patient["meta"]["tag"] == [SYNTHETIC_TAG]


def test_exporting_twice_gives_the_same_ids(app, db):
    course = build_patient(db)
    first, second = (_bundle(app, db, course.patient_id) for _ in range(2))
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
