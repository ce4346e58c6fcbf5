"""Staff sign-in, sign-out, roles and CSRF through the real forms."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import AuditEvent, AuthSession, LoginFailure

ROLE_LANDING = [
    ("clinician", "/clinic/patients"),
    ("coordinator", "/coordinate/worklist"),
    ("admin", "/admin/users"),
]


@pytest.mark.parametrize(("role", "landing"), ROLE_LANDING)
def test_each_role_signs_in_and_lands_on_its_page(client, make_staff, role, landing):
    make_staff(role)
    response = login(client, f"{role}@clinic.test", STAFF_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith(landing)
    page = client.get(landing)
    assert page.status_code == 200
    assert "Sign out" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [("clinician", "/admin/users"), ("clinician", "/coordinate/worklist"),
     ("coordinator", "/admin/users"), ("coordinator", "/clinic/patients"),
     ("admin", "/clinic/patients"), ("admin", "/coordinate/worklist")],
)
def test_roles_cannot_open_other_roles_pages(client, make_staff, role, forbidden):
    make_staff(role)
    login(client, f"{role}@clinic.test", STAFF_PASSWORD)
    assert client.get(forbidden).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/clinic/patients")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("email", ["clinician@clinic.test", "nobody@clinic.test"])
def test_wrong_password_and_unknown_account_get_the_same_message(client, make_staff, db, email):
    make_staff("clinician")
    response = login(client, email, "not the right password")
    assert response.status_code == 401
    assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert db.exec(select(func.count()).select_from(LoginFailure)).one() == 1
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).first()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, make_staff):
    make_staff("clinician")
    for _ in range(5):
        login(client, "clinician@clinic.test", "wrong password here")
    response = login(client, "clinician@clinic.test", STAFF_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/clinic/patients").status_code == 302


def test_sign_out_ends_the_session_on_the_server(app, make_staff, db):
    make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    stolen_cookie = browser.get_cookie("nervetrack").value
    token = csrf_token(browser, "/clinic/patients")
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert db.exec(select(AuthSession)).one().revoked_at is not None
    thief = app.test_client()
    thief.set_cookie("nervetrack", stolen_cookie)
    assert thief.get("/clinic/patients").status_code == 302


def test_post_without_csrf_token_is_refused(client, make_staff):
    make_staff("clinician")
    response = client.post("/login", data={"email": "clinician@clinic.test",
                                           "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    assert client.get("/clinic/patients").status_code == 302


def test_deactivated_user_cannot_sign_in_and_loses_open_sessions(app, make_staff, db):
    from webapp.auth.users import set_active

    user = make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    assert browser.get("/clinic/patients").status_code == 200
    set_active(session=db, user=user, active=False)
    db.commit()
    assert browser.get("/clinic/patients").status_code == 302
    assert login(app.test_client(), "clinician@clinic.test", STAFF_PASSWORD).status_code == 401


def test_sign_in_starts_a_new_session(app, make_staff):
    make_staff("clinician")
    browser = app.test_client()
    browser.get("/login")
    before = browser.get_cookie("nervetrack")
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    after = browser.get_cookie("nervetrack")
    assert after is not None
    assert before is None or before.value != after.value
