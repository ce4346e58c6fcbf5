"""The access-matrix world: patients A and B, staff of every role, and one client each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.factories import planned_course
from tests.support.web import STAFF_PASSWORD, login
from webapp.models import (
    ProtocolVersion,
    SafetyFlag,
    StaffUser,
    SurveyAssignment,
    TreatmentSession,
    utcnow,
)
from webapp.survey.links import issue_link, link_url

STAFF_AREAS = {
    "clinician": {"clinician", "dashboards", "fhir"},
    "coordinator": {"coordinator", "protocols", "data_rights"},
    "admin": {"admin", "admin_audit"},
}
# Routes owned by another role than their blueprint's area (the area's other routes keep it).
ENDPOINT_OWNERS = {"fhir.import_questionnaire": "coordinator"}
VISITORS = ["anonymous", "patient_a", "patient_b", "clinician", "coordinator", "admin",
            "deactivated"]
STAFF = {"clinician", "coordinator", "admin"}
# Routes whose POST changes or ends the visitor's own state; checked separately.
SKIP_POST = {"auth.logout", "auth.login", "two_factor.verify", "two_factor.setup",
             "data_rights.erase_data", "admin.toggle_user", "admin.reset_user_password"}


@dataclass
class World:
    ids: dict
    clients: dict


def _open_assignment(db, course_id, now):
    row = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course_id,
                                                 SurveyAssignment.slot == "baseline")).one()
    row.opens_at, row.closes_at, row.status = now - timedelta(days=1), now + timedelta(days=3), \
        "open"
    db.add(row)
    db.commit()
    return row


def _patient_client(app, db, patient_id, assignment, now):
    client = app.test_client()
    token = issue_link(db, patient_id=patient_id, assignment_id=assignment.id,
                       expires_at=assignment.closes_at, now=now)
    db.commit()
    assert client.get(link_url("", token)).status_code == 303
    return client


def _staff_client(app, role, email):
    client = app.test_client()
    login(client, email, STAFF_PASSWORD)
    assert client.get("/").status_code == 302
    return client


@pytest.fixture
def world(app, db, make_staff):
    now = utcnow()
    course_a = planned_course(db, study_code="NT-A", first_name="Ann", email="a@example.test",
                              sessions=2, first_session=now + timedelta(days=2), now=now)
    course_b = planned_course(db, study_code="NT-B", first_name="Bo", email="b@example.test",
                              sessions=1, first_session=now + timedelta(days=2), now=now)
    assignment_a = _open_assignment(db, course_a.id, now)
    assignment_b = _open_assignment(db, course_b.id, now)
    flag = SafetyFlag(patient_id=course_a.patient_id, course_id=course_a.id, kind="worsening",
                      severity="watch", rule_id="worsening:pain", detail="pain up")
    db.add(flag)
    for role in STAFF:
        make_staff(role)
    target = make_staff("clinician", email="target@clinic.test")
    make_staff("clinician", email="gone@clinic.test")
    clients = {role: _staff_client(app, role, f"{role}@clinic.test") for role in STAFF}
    clients["deactivated"] = _staff_client(app, "clinician", "gone@clinic.test")
    gone = db.exec(select(StaffUser).where(StaffUser.email == "gone@clinic.test")).one()
    from webapp.auth.users import set_active

    set_active(session=db, user=gone, active=False)
    db.commit()
    clients["anonymous"] = app.test_client()
    clients["patient_a"] = _patient_client(app, db, course_a.patient_id, assignment_a, now)
    clients["patient_b"] = _patient_client(app, db, course_b.patient_id, assignment_b, now)
    version = db.exec(select(ProtocolVersion)).first()
    session_a = db.exec(select(TreatmentSession).where(
        TreatmentSession.course_id == course_a.id)).first()
    ids = {"patient_id": course_a.patient_id, "assignment_id": assignment_a.id,
           "session_id": session_a.id, "flag_id": flag.id, "user_id": target.id,
           "protocol_id": version.protocol_id, "version_id": version.id,
           "number": 1, "token": "forged-" + "x" * 40, "filename": "app.css"}
    return World(ids, clients)


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def route_path(rule, ids) -> str:
    return rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
