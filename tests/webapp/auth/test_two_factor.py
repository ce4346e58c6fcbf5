"""TOTP two-factor sign-in: required for admins, optional for other staff."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlmodel import select

from tests.support.web import SECRET_RE, STAFF_PASSWORD, csrf_token, login, submit_code
from webapp.models import AuditEvent, StaffUser


def _next_code(secret: str) -> str:
    """The code of the next time step (accepted for clock drift; never used before)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _password_step(client, email):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": STAFF_PASSWORD,
                                       "csrf_token": token})


def test_admin_must_set_up_totp_before_getting_in(client, make_staff, db):
    make_staff("admin")
    response = _password_step(client, "admin@clinic.test")
    assert response.headers["Location"].endswith("/login/setup-code")
    assert client.get("/admin/users").status_code == 302  # not signed in yet
    page = client.get("/login/setup-code").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    token = csrf_token(client, "/login/setup-code")
    wrong = client.post("/login/setup-code", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401
    assert client.get("/admin/users").status_code == 302
    assert submit_code(client, "/login/setup-code", secret).status_code == 302
    assert client.get("/admin/users").status_code == 200
    db.expire_all()
    user = db.exec(select(StaffUser).where(StaffUser.email == "admin@clinic.test")).one()
    assert user.totp_enabled and user.totp_secret == secret
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "totp_enabled")).one()


def test_enrolled_user_needs_the_code_every_time(app, make_staff, db):
    make_staff("admin")
    login(app.test_client(), "admin@clinic.test", STAFF_PASSWORD)
    secret = db.exec(select(StaffUser.totp_secret)).one()
    browser = app.test_client()
    assert _password_step(browser, "admin@clinic.test").headers["Location"].endswith(
        "/login/code")
    token = csrf_token(browser, "/login/code")
    assert browser.post("/login/code", data={"code": "123456", "csrf_token": token}
                        ).status_code == 401
    assert browser.get("/admin/users").status_code == 302
    token = csrf_token(browser, "/login/code")
    assert browser.post("/login/code", data={"code": _next_code(secret), "csrf_token": token}
                        ).status_code == 302
    assert browser.get("/admin/users").status_code == 200


@pytest.mark.parametrize("code", ["abcdef", "12345", "1234567", ""])
def test_malformed_codes_are_refused_with_a_message(app, make_staff, code):
    make_staff("admin")
    browser = app.test_client()
    _password_step(browser, "admin@clinic.test")
    token = csrf_token(browser, "/login/setup-code")
    response = browser.post("/login/setup-code", data={"code": code, "csrf_token": token})
    assert response.status_code == 400
    assert browser.get("/admin/users").status_code == 302


def test_code_page_without_password_step_goes_back_to_sign_in(client):
    assert client.get("/login/code").headers["Location"].endswith("/login")
    assert client.get("/login/setup-code").headers["Location"].endswith("/login")


def test_clinician_turns_on_two_factor_from_the_account_page(app, make_staff, db):
    make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    html = browser.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1)
    submit_code(browser, "/account/two-factor", secret)
    db.expire_all()
    assert db.exec(select(StaffUser.totp_enabled)).one() is True
    later = app.test_client()
    response = _password_step(later, "clinician@clinic.test")
    assert response.headers["Location"].endswith("/login/code")
    token = csrf_token(later, "/login/code")
    assert later.post("/login/code", data={"code": _next_code(secret), "csrf_token": token}
                      ).status_code == 302
    assert later.get("/clinic/patients").status_code == 200
