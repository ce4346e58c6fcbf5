"""The access matrix: every route of the app, walked by every kind of visitor.

Visitors: anonymous, patient A, patient B, clinician, coordinator, admin, and a clinician
deactivated after signing in. Record ids in the URLs belong to patient A. GET routes are
checked for every visitor; POST routes are sent with the visitor's own CSRF token so that the
refusal comes from the access check, not from CSRF. The test fails on any route it does not
know, so a new route cannot skip the matrix.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from tests.support.security import (
    ENDPOINT_OWNERS,
    SKIP_POST,
    STAFF,
    STAFF_AREAS,
    VISITORS,
    route_path,
    routes,
)
from tests.support.web import csrf_token
from webapp.models import (
    AuditEvent,
    Patient,
    StaffUser,
)


def _area(endpoint: str) -> str:
    return endpoint.split(".", 1)[0]


def _expected_staff_route(endpoint: str, visitor: str) -> set[int]:
    """Staff areas: the right role gets in; other staff 403; everyone else to sign-in."""
    owner = ENDPOINT_OWNERS.get(endpoint) or next(
        role for role, areas in STAFF_AREAS.items() if _area(endpoint) in areas)
    if visitor == owner:
        return {200, 302, 303, 400}
    if visitor in STAFF:
        return {403}
    return {302}


PATIENT_OWN = {"patient.start": {200}, "patient.resume_assignment": {302, 303},
               "patient.answer_page": {200, 400}, "patient.review_answers": {200, 302, 303},
               "patient.submit_answers": {302, 303, 400},
               "patient.show_thanks": {302, 303, 404},  # nothing to thank for yet
               "patient.request_link": {200, 302, 303, 400}, "patient.use_link": {404, 410},
               "patient.download_calendar": {200}, "patient.show_progress": {200},
               "patient.choose_language": {400},  # the matrix posts no language
               # A signed link works for whoever holds it; the world's token is forged.
               "patient.choose_reminders": {404}}
# Patient routes with no id in the URL: each signed-in patient gets their own.
PATIENT_SESSION_OWN = {"patient.download_calendar", "patient.show_progress",
                       "patient.choose_language"}


def _expected_patient_route(endpoint: str, visitor: str) -> set[int]:
    """Patient area: only patient A reaches A's survey; everyone else is turned away."""
    if endpoint in ("patient.start", "patient.request_link", "patient.use_link",
                    "patient.choose_reminders"):
        return PATIENT_OWN[endpoint]
    if visitor == "patient_a" or (visitor == "patient_b" and endpoint in PATIENT_SESSION_OWN):
        return PATIENT_OWN[endpoint]
    if visitor == "patient_b":
        return {404}
    return {302, 303, 404}


# plotly.min.js is the unmodified library (no patient data), public so browsers cache it.
PUBLIC = {"auth.login": {200, 302}, "home.healthz": {200}, "static": {200},
          "dashboards.send_plotly_js": {200},
          "two_factor.verify": {302}, "two_factor.setup": {302},
          # The SMS gateway's webhook: off until its token is set (then 401 without it).
          "sms_hooks.receive_sms": {403}}


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


def _request(client, method, path, visitor):
    if method == "GET":
        response = client.get(path)
    else:
        # Any page with a form gives this visitor's own CSRF token; signed-in staff are sent
        # on from /login, so they take it from their account page.
        page = "/account/two-factor" if visitor in STAFF else "/login"
        response = client.post(path, data={"csrf_token": csrf_token(client, page)})
    # Read and close it: a streamed export holds its request (and database session) open
    # until then, and the next test's TRUNCATE would wait for it.
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_for_every_visitor(app, db, world, visitor):
    client = world.clients[visitor]
    wrong, checked = [], 0
    for rule, method in routes(app):
        if method == "POST" and rule.endpoint in SKIP_POST:
            continue
        allowed = expected(rule.endpoint, visitor)
        status = _request(client, method, route_path(rule, world.ids), visitor).status_code
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
