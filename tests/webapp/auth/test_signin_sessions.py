"""Staff sessions: idle and absolute expiry, revocation, fixation, cookie flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.web import STAFF_PASSWORD, login
from webapp import create_app
from webapp.models import AuthSession


def _age_session(db, *, idle: timedelta = timedelta(0), absolute: timedelta = timedelta(0)):
    row = db.exec(select(AuthSession)).one()
    row.last_seen_at = row.last_seen_at - idle
    row.created_at = row.created_at - absolute
    row.expires_at = row.expires_at - absolute
    db.add(row)
    db.commit()


@pytest.mark.parametrize(
    ("idle", "absolute", "still_in"),
    [(timedelta(minutes=14), timedelta(0), True),
     (timedelta(minutes=15, seconds=1), timedelta(0), False),
     (timedelta(0), timedelta(hours=7, minutes=59), True),
     (timedelta(0), timedelta(hours=8), False)],
)
def test_idle_and_absolute_timeouts(client, make_staff, db, idle, absolute, still_in):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    _age_session(db, idle=idle, absolute=absolute)
    assert client.get("/clinic/patients").status_code == (200 if still_in else 302)


def test_timeouts_are_configurable(app_config, make_staff, db):
    app = create_app({**app_config, "STAFF_IDLE_MINUTES": 2})
    browser = app.test_client()
    make_staff("clinician")
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    _age_session(db, idle=timedelta(minutes=3))
    assert browser.get("/clinic/patients").status_code == 302


def test_a_cookie_planted_before_sign_in_is_not_the_signed_in_session(app, make_staff, db):
    """Session fixation: whatever the visitor had before, sign-in issues a new server session."""
    make_staff("clinician")
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("nervetrack")
    victim = app.test_client()
    if planted is not None:
        victim.set_cookie("nervetrack", planted.value)
    login(victim, "clinician@clinic.test", STAFF_PASSWORD)
    assert victim.get("/clinic/patients").status_code == 200
    if planted is not None:
        attacker.set_cookie("nervetrack", planted.value)
    assert attacker.get("/clinic/patients").status_code == 302


def test_cookie_flags_over_https(app_config):
    app = create_app({**app_config, "BASE_URL": "https://clinic.example"})
    response = app.test_client().get("/login", base_url="https://clinic.example")
    header = " ".join(response.headers.getlist("Set-Cookie"))
    assert header.startswith("__Host-nervetrack=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in header
    assert "Domain=" not in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_samesite(client, make_staff):
    make_staff("clinician")
    token_page = client.get("/login")
    header = " ".join(token_page.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in header and "SameSite=Lax" in header
