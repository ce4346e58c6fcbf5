"""The patient's language: chosen at enrolment, switched on the first page, spoken everywhere."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.support.patient import csrf_of, open_survey, sign_in
from webapp.models import AuditEvent, Patient


def _choose(client, language: str):
    token = csrf_of(client, "/p/")
    return client.post("/p/language", data={"csrf_token": token, "language": language})


def _patient(db, survey) -> Patient:
    db.expire_all()
    return db.get(Patient, survey.patient_id)


def test_the_first_page_offers_the_clinic_languages_by_their_own_names(client, db):
    survey = open_survey(db)
    sign_in(client, db, survey)
    page = client.get("/p/").get_data(as_text=True)
    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español"), ("fa", "فارسی")):
        assert f'value="{code}" lang="{code}"' in page and f">{name}</button>" in page
    assert 'aria-pressed="true" disabled>English</button>' in page


@pytest.mark.parametrize(("language", "html_lang", "direction", "words"), [
    ("fr", "fr", "ltr", "Vos questions pour aujourd"),
    ("es", "es", "ltr", "Sus preguntas de hoy"),
    ("fa", "fa", "rtl", "پرسش‌های امروز شما"),
])
def test_a_chosen_language_is_stored_audited_and_spoken(client, db, language, html_lang,
                                                       direction, words):
    survey = open_survey(db)
    sign_in(client, db, survey)
    answer = _choose(client, language)
    assert answer.status_code == 303 and answer.headers["Location"] == "/p/"
    assert _patient(db, survey).language == language
    events = db.exec(select(AuditEvent).where(
        AuditEvent.action == "patient_language_chosen")).all()
    assert [(e.actor_type, e.patient_id, e.detail) for e in events] == [
        ("patient", survey.patient_id, {"language": language})]
    page = client.get("/p/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<html lang="{html_lang}" dir="{direction}">' in page
    assert words in page
    first = client.get(f"/p/a/{survey.id}/1").get_data(as_text=True)
    assert f'<html lang="{html_lang}" dir="{direction}">' in first


@pytest.mark.parametrize("language", ["de", "", "fa' OR 1=1", "x" * 5000])
def test_a_language_the_clinic_does_not_offer_is_refused_and_nothing_changes(client, db,
                                                                            language):
    survey = open_survey(db)
    sign_in(client, db, survey)
    answer = _choose(client, language)
    assert answer.status_code == 400
    assert "Please choose one of the languages" in answer.get_data(as_text=True)
    assert _patient(db, survey).language == "en"
    assert db.exec(select(AuditEvent).where(
        AuditEvent.action == "patient_language_chosen")).all() == []


def test_choosing_a_language_needs_a_patient_session_and_a_form_token(client, db):
    survey = open_survey(db)
    assert client.post("/p/language", data={"language": "fr"}).status_code in (303, 400)
    sign_in(client, db, survey)
    assert client.post("/p/language", data={"language": "fr"}).status_code == 400  # no CSRF
    assert _patient(db, survey).language == "en"


class TestAOneLanguageClinic:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "LANGUAGES": "en"}

    def test_shows_no_language_switch(self, client, db):
        survey = open_survey(db)
        sign_in(client, db, survey)
        assert 'name="language"' not in client.get("/p/").get_data(as_text=True)
