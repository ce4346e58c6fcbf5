"""The enrolment form's choices: the clinic's languages and zone, tags, the index region."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import Patient, TreatmentCourse, utcnow
from webapp.protocols.store import ensure_default_protocol

NEW = "/coordinate/patients/new"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LANGUAGES": "en,fa", "CLINIC_TIMEZONE": "America/Toronto"}


@pytest.fixture
def coord(client, make_staff):
    make_staff("coordinator")
    login(client, "coordinator@clinic.test", STAFF_PASSWORD)
    return client


def _form(db, **overrides) -> dict:
    version = ensure_default_protocol(db)
    db.commit()
    data = {"study_code": "NT-0200", "first_name": "Noor", "email": "noor@example.test",
            "phone": "", "timezone": "America/Toronto", "language": "fa",
            "preferred_channel": "email", "consent_date": "2026-11-01",
            "regions": ["median-carpal-tunnel-right", "ulnar-elbow-left"],
            "protocol_version_id": str(version.id),
            "enrolled_on": utcnow().date().isoformat(), "first_session": "",
            "tags": "", "action": "enrol"}
    data.update(overrides)
    return data


def _post(client, data):
    return client.post(NEW, data=dict(data, csrf_token=csrf_token(client, NEW)))


def test_languages_are_the_clinics_by_their_own_names_and_its_zone_comes_first(coord, db):
    ensure_default_protocol(db)
    db.commit()
    page = coord.get(NEW).get_data(as_text=True)
    options = re.findall(r'<option (?:selected )?value="([a-z]{2})"[^>]*>([^<]+)</option>', page)
    assert options == [("en", "English (English)"), ("fa", "فارسی (Persian)")]
    zones = re.findall(r'<datalist id="zones"><option value="([^"]+)">', page)
    assert zones == ["America/Toronto"]  # the clinic's zone first in the searchable list
    assert re.search(r'<input[^>]*name="timezone"[^>]*value="America/Toronto"', page)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"language": "fr"}, "Not a valid choice"),  # a language this clinic does not serve
    ({"language": ""}, "This field is required"),
    ({"tags": "diabetes, <script>"}, "use letters, digits, spaces"),
    ({"tags": ", ".join(f"t{i}" for i in range(13))}, "At most 12 tags"),
    ({"index_region": "ulnar-elbow-right"}, "The index region must be one of the regions treated"),
])
def test_bad_choices_are_refused_and_nothing_is_stored(coord, db, overrides, message):
    response = _post(coord, _form(db, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(Patient)).all() == []


@pytest.mark.parametrize(("index", "expected"), [
    ("", "median-carpal-tunnel-right"),  # default: the first region ticked
    ("ulnar-elbow-left", "ulnar-elbow-left"),
])
def test_tags_and_index_region_are_stored(coord, db, index, expected):
    response = _post(coord, _form(db, tags=" scleroderma,  Raynaud  phenomenon, scleroderma ",
                                  index_region=index))
    assert response.status_code == 302
    db.expire_all()
    patient = db.exec(select(Patient)).one()
    assert patient.tags == ["scleroderma", "Raynaud phenomenon"]
    assert patient.language == "fa"
    course = db.exec(select(TreatmentCourse)).one()
    assert course.index_region_code == expected


def test_the_preview_beside_the_form_names_the_questionnaires(coord, db):
    first = utcnow().date().replace(day=1).isoformat() + "T10:00"
    response = _post(coord, _form(db, action="preview", first_session=first))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = page.split('id="preview-title"', 1)[1]
    assert "Pain, Tingling, numbness or burning, Everyday activities" in preview
    assert "nt-pain" not in preview and "nt-psfs" not in preview
    db.expire_all()
    assert db.exec(select(Patient)).all() == []
