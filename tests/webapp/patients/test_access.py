"""Only coordinators reach the coordinator workspace; others get 403, strangers the login."""

from __future__ import annotations

import pytest

from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import Patient
from webapp.protocols.store import ensure_default_protocol

PAGES = [
    "/coordinate/worklist",
    "/coordinate/patients",
    "/coordinate/patients/new",
    "/coordinate/patients/{patient}",
    "/coordinate/protocols/",
    "/coordinate/protocols/new",
    "/coordinate/protocols/versions/{version}",
    "/coordinate/protocols/{protocol}/edit",
    "/coordinate/schedule",
    "/coordinate/protocols/build",
    "/coordinate/protocols/{protocol}/build",
    "/coordinate/patients/{patient}/data/erase",
]
POSTS = [
    "/coordinate/patients/{patient}/status",
    "/coordinate/patients/{patient}/contacts",
    "/coordinate/patients/{patient}/contact-details",
    "/coordinate/assignments/1/resend",
    "/coordinate/protocols/versions/{version}/move",
    "/coordinate/protocols/new",
    "/coordinate/protocols/build",
    "/coordinate/protocols/{protocol}/build",
    "/coordinate/patients/{patient}/index-region",
]


@pytest.fixture
def ids(db):
    course = make_course(db)
    version = ensure_default_protocol(db)
    db.commit()
    return {"patient": course.patient_id, "version": version.id,
            "protocol": version.protocol_id}


@pytest.mark.parametrize("path", PAGES)
def test_coordinator_gets_every_page(client, make_staff, ids, path):
    make_staff("coordinator")
    login(client, "coordinator@clinic.test", STAFF_PASSWORD)
    response = client.get(path.format(**ids))
    assert response.status_code == 200
    assert "coordinator.css" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_other_staff_are_refused(client, make_staff, db, ids, role):
    make_staff(role)
    login(client, f"{role}@clinic.test", STAFF_PASSWORD)
    for path in PAGES:
        assert client.get(path.format(**ids)).status_code == 403, path
    token = csrf_token(client, PAGES[0])  # the sign-out form on the refusal page
    for path in POSTS:
        response = client.post(path.format(**ids), data={"csrf_token": token,
                                                          "action": "withdraw"})
        assert response.status_code == 403, path
    db.expire_all()
    assert db.get(Patient, ids["patient"]).status == "active"


def test_strangers_are_sent_to_sign_in(client, ids):
    for path in PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path in POSTS:
        assert client.post(path.format(**ids)).status_code in (302, 400), path
