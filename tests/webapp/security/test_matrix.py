"""The access matrix: every route of the app, walked by every kind of visitor.

Visitors: anonymous, patient A, patient B, clinician, coordinator, admin, and a clinician
deactivated after signing in. Record ids in the URLs belong to patient A. GET routes are
checked for every visitor; POST routes are sent with the visitor's own CSRF token so that the
refusal comes from the access check, not from CSRF. The test fails on any route it does not
know, so a new route cannot skip the matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import func, select

from tests.conftest import STAFF_PASSWORD, csrf_token, login
from tests.factories import planned_course
from webapp.models import (
    AuditEvent,
    Patient,
    ProtocolVersion,
    SafetyFlag,
    StaffUser,
    SurveyAssignment,
    TreatmentSession,
    utcnow,
)
from webapp.survey.links import issue_link, link_url

STAFF_AREAS = {
    "clinician": {"clinician", "dashboards"},
    "coordinator": {"coordinator", "protocols", "data_rights"},
    "admin": {"admin", "admin_audit"},
}
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


def _area(endpoint: str) -> str:
    return endpoint.split(".", 1)[0]


def _expected_staff_route(endpoint: str, visitor: str) -> set[int]:
    """Staff areas: the right role gets in; other staff 403; everyone else to sign-in."""
    owner = next(role for role, areas in STAFF_AREAS.items() if _area(endpoint) in areas)
    if visitor == owner:
        return {200, 302, 303, 400}
    if visitor in STAFF:
        return {403}
    return {302}


PATIENT_OWN = {"patient.start": {200}, "patient.resume_assignment": {302, 303},
               "patient.answer_page": {200, 400}, "patient.review_answers": {200, 302, 303},
               "patient.submit_answers": {302, 303, 400},
               "patient.show_thanks": {302, 303, 404},  # nothing to thank for yet
               "patient.request_link": {200, 302, 303, 400}, "patient.use_link": {404, 410}}


def _expected_patient_route(endpoint: str, visitor: str) -> set[int]:
    """Patient area: only patient A reaches A's survey; everyone else is turned away."""
    if endpoint in ("patient.start", "patient.request_link", "patient.use_link"):
        return PATIENT_OWN[endpoint]
    if visitor == "patient_a":
        return PATIENT_OWN[endpoint]
    if visitor == "patient_b":
        return {404}
    return {302, 303, 404}


# plotly.min.js is the unmodified library (no patient data), public so browsers cache it.
PUBLIC = {"auth.login": {200, 302}, "home.healthz": {200}, "static": {200},
          "dashboards.send_plotly_js": {200},
          "two_factor.verify": {302}, "two_factor.setup": {302}}


def expected(endpoint: str, visitor: str) -> set[int]:
    """The statuses a visitor may get from a route."""
    if endpoint in PUBLIC:
        return PUBLIC[endpoint]
    if endpoint == "home.index" or endpoint == "two_factor.manage":
        return {200, 302, 400} if visitor in STAFF else {302}
    if endpoint == "auth.logout":
        return {302}
    if _area(endpoint) == "patient":
        return _expected_patient_route(endpoint, visitor)
    return _expected_staff_route(endpoint, visitor)


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def _path(rule, ids) -> str:
    return rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]


def _request(client, method, path, visitor):
    if method == "GET":
        return client.get(path)
    # Any page with a form gives this visitor's own CSRF token; signed-in staff are sent on
    # from /login, so they take it from their account page.
    page = "/account/two-factor" if visitor in STAFF else "/login"
    return client.post(path, data={"csrf_token": csrf_token(client, page)})


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_for_every_visitor(app, db, world, visitor):
    client = world.clients[visitor]
    wrong, checked = [], 0
    for rule, method in _routes(app):
        if method == "POST" and rule.endpoint in SKIP_POST:
            continue
        allowed = expected(rule.endpoint, visitor)
        status = _request(client, method, _path(rule, world.ids), visitor).status_code
        checked += 1
        if status not in allowed or status == 500:
            wrong.append(f"{method} {rule.rule} as {visitor}: {status}, expected {allowed}")
    assert wrong == [], "\n".join(wrong)
    assert checked >= 50
    print(f"access matrix: {checked} route checks as {visitor}")


@pytest.mark.parametrize("visitor", ["anonymous", "patient_a", "clinician", "coordinator",
                                     "deactivated"])
def test_admin_actions_refused_and_nothing_changes(db, world, visitor):
    client = world.clients[visitor]
    target = world.ids["user_id"]
    before = db.get(StaffUser, target).password_hash
    for path in (f"/admin/users/{target}/active", f"/admin/users/{target}/password"):
        response = _request(client, "POST", path, visitor)
        assert response.status_code in ({403} if visitor in STAFF else {302})
    db.expire_all()
    user = db.get(StaffUser, target)
    assert user.is_active and user.password_hash == before


@pytest.mark.parametrize("visitor", ["anonymous", "patient_a", "patient_b", "clinician",
                                     "admin", "deactivated"])
def test_erasure_refused_and_nothing_changes(db, world, visitor):
    pid = world.ids["patient_id"]
    response = world.clients[visitor].post(f"/coordinate/patients/{pid}/data/erase",
                                           data={"confirm": "NT-A"})
    assert response.status_code in (302, 400, 403)
    db.expire_all()
    assert db.get(Patient, pid).first_name == "Ann"
    assert db.exec(select(func.count()).select_from(AuditEvent)
                   .where(AuditEvent.action == "patient_erased")).one() == 0
