"""A patient's data rights: full export and erasure, both audited, both coordinator-only."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from tests.support.factories import planned_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import (
    AuditEvent,
    Patient,
    Reminder,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
    utcnow,
)
from webapp.survey.answers import save_answers
from webapp.survey.instruments import library_for_default


@pytest.fixture
def coordinator(signed_in):
    return signed_in("coordinator")


@pytest.fixture
def answered_patient(db):
    course = planned_course(db, sessions=2)
    assignment = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "baseline")).one()
    psfs = library_for_default().get("nt-psfs")
    save_answers(db, assignment=assignment, instrument=psfs, region_code="",
                 answers={"activity_1": "Playing the cello", "rating_1": 3}, now=utcnow())
    db.commit()
    return db.get(Patient, course.patient_id)


def _count(db, model):
    return db.exec(select(func.count()).select_from(model)).one()


def test_export_holds_everything_and_is_audited(coordinator, answered_patient, db):
    path = f"/coordinate/patients/{answered_patient.id}/data"
    token = csrf_token(coordinator, path)
    response = coordinator.post(f"{path}/export", data={"csrf_token": token})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["patient"]["study_code"] == "NT-0001"
    assert data["responses"][0]["answers"]["activity_1"] == "Playing the cello"
    assert len(data["assignments"]) == _count(db, SurveyAssignment)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "patient_data_exported")).one()


def test_erase_needs_the_study_code_and_changes_nothing_otherwise(coordinator, answered_patient,
                                                                  db):
    path = f"/coordinate/patients/{answered_patient.id}/data"
    response = coordinator.post(f"{path}/erase", data={"csrf_token": csrf_token(coordinator, path),
                                                       "confirm": "NT-9999"})
    assert response.status_code == 400
    assert "Nothing was erased" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Patient, answered_patient.id).email == "sam@example.test"


def test_erase_keeps_anonymised_scores_by_default(coordinator, answered_patient, db):
    scores_before = _count(db, SurveyScore)
    path = f"/coordinate/patients/{answered_patient.id}/data"
    coordinator.post(f"{path}/erase", data={"csrf_token": csrf_token(coordinator, path),
                                            "confirm": "NT-0001"})
    db.expire_all()
    patient = db.get(Patient, answered_patient.id)
    assert (patient.first_name, patient.email, patient.phone) == ("Erased", None, None)
    assert patient.erased_at is not None
    assert _count(db, SurveyScore) == scores_before
    answers = db.exec(select(SurveyResponse.answers)).one()
    assert "activity_1" not in answers and answers["rating_1"] == 3
    assert _count(db, Reminder) == 0
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "patient_erased")).one()
    assert coordinator.get(path).status_code == 404


def test_erase_deletes_everything_when_the_clinic_says_so(app, coordinator, answered_patient, db):
    app.config["ERASE_KEEPS_ANONYMISED_ANSWERS"] = False
    patient_id = answered_patient.id
    path = f"/coordinate/patients/{patient_id}/data"
    coordinator.post(f"{path}/erase", data={"csrf_token": csrf_token(coordinator, path),
                                            "confirm": "NT-0001"})
    db.expunge_all()
    assert db.get(Patient, patient_id) is None
    assert _count(db, SurveyScore) == 0 and _count(db, SurveyAssignment) == 0
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "patient_erased")).one()
    assert event.detail == {"mode": "deleted"}


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_only_coordinators_reach_data_rights(app, make_staff, answered_patient, role):
    make_staff(role)
    browser = app.test_client()
    login(browser, f"{role}@clinic.test", STAFF_PASSWORD)
    assert browser.get(f"/coordinate/patients/{answered_patient.id}/data").status_code == 403


@pytest.mark.parametrize(("keeps", "says"), [
    (True, ["are kept for the cohort, without name", "study code becomes “ERASED-"]),
    (False, ["Everything else is deleted too", "treatment session"]),
])
def test_erasure_asks_on_a_page_that_says_what_will_happen(app, coordinator, answered_patient,
                                                          db, keeps, says):
    app.config["ERASE_KEEPS_ANONYMISED_ANSWERS"] = keeps
    path = f"/coordinate/patients/{answered_patient.id}/data"
    assert f"{path}/erase" in coordinator.get(path).get_data(as_text=True)  # a link, no form
    response = coordinator.get(f"{path}/erase")
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "Nothing has been erased yet" in page and "This cannot be undone" in page
    pending = _count(db, Reminder)
    assert f"{pending} reminders are deleted" in page
    assert "1 answered questionnaire" in page
    for text in says:
        assert text in page
    assert "Erase NT-0001 permanently" in page and "<script" not in page
    db.expire_all()
    assert db.get(Patient, answered_patient.id).erased_at is None  # asking erases nothing
    wrong = coordinator.post(f"{path}/erase", data={
        "csrf_token": csrf_token(coordinator, f"{path}/erase"), "confirm": "NT-0002"})
    assert wrong.status_code == 400 and "Nothing has been erased yet" in wrong.get_data(True)
