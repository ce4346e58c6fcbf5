"""Each two-factor code signs in once: replay refused at sign-in and at setup, even in a race."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp
import pytest
from sqlmodel import func, select

from tests.support.concurrency import hold_until_all_arrive, run_at_once
from tests.support.web import SECRET_RE, STAFF_PASSWORD, csrf_token, login
from webapp.auth import totp
from webapp.models import AuditEvent, LoginFailure, StaffUser

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # a fixed instant, mid-step, for tests that walk across steps


@pytest.fixture
def enrolled_admin(make_staff, db):
    user = make_staff("admin")
    user.totp_secret, user.totp_enabled = SECRET, True
    db.commit()
    return user


def _at_code_step(app, email="admin@clinic.test"):
    """A browser that passed the password step and now stands on the code page."""
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    response = browser.post("/login", data={"email": email, "password": STAFF_PASSWORD,
                                            "csrf_token": token})
    assert response.headers["Location"].endswith("/login/code")
    return browser


def _post_code(browser, path, code, token=None):
    token = token or csrf_token(browser, path)
    return browser.post(path, data={"code": code, "csrf_token": token})


def _count(db, model, *where) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_the_same_code_cannot_complete_two_sign_ins(app, db, enrolled_admin):
    code = pyotp.TOTP(SECRET).now()
    first, second = _at_code_step(app), _at_code_step(app)
    assert _post_code(first, "/login/code", code).status_code == 302
    replay = _post_code(second, "/login/code", code)
    assert replay.status_code == 401
    assert "That code is not right" in replay.get_data(as_text=True)
    assert first.get("/admin/users").status_code == 200
    assert second.get("/admin/users").status_code == 302
    assert _count(db, AuditEvent, AuditEvent.action == "sign_in") == 1
    assert _count(db, LoginFailure, LoginFailure.email == "admin@clinic.test") == 1
    assert db.get(StaffUser, enrolled_admin.id).totp_last_step is not None


@pytest.mark.parametrize(("first_offset", "second_offset", "second_works"), [
    (0, 0, False),     # the same code again
    (30, 0, False),    # an older code after a newer one
    (30, -30, False),  # older still, though within the drift window
    (-30, 0, True),    # the next code is new
    (0, 30, True),
])
def test_only_a_later_code_than_the_last_accepted_one_signs_in(
        app, enrolled_admin, monkeypatch, first_offset, second_offset, second_works):
    monkeypatch.setattr(totp, "time", SimpleNamespace(time=lambda: NOW))
    codes = pyotp.TOTP(SECRET)
    first, second = _at_code_step(app), _at_code_step(app)
    assert _post_code(first, "/login/code", codes.at(NOW + first_offset)).status_code == 302
    response = _post_code(second, "/login/code", codes.at(NOW + second_offset))
    assert response.status_code == (302 if second_works else 401)


@pytest.mark.parametrize(("last", "step", "claimed", "after"), [
    (None, 100, True, 100),
    (100, 100, False, 100),
    (100, 99, False, 100),
    (100, 101, True, 101),
])
def test_a_step_is_claimed_only_if_later_than_the_last(db, make_staff, last, step, claimed,
                                                       after):
    user = make_staff("clinician")
    user.totp_last_step = last
    db.commit()
    assert totp.claim_step(db, user.id, step) is claimed
    db.commit()
    db.expire_all()
    assert db.get(StaffUser, user.id).totp_last_step == after


def test_a_code_used_to_set_up_cannot_sign_in_again(app, db, make_staff):
    make_staff("admin")
    setup = app.test_client()
    token = csrf_token(setup, "/login")
    setup.post("/login", data={"email": "admin@clinic.test", "password": STAFF_PASSWORD,
                               "csrf_token": token})
    secret = SECRET_RE.search(setup.get("/login/setup-code").get_data(as_text=True)).group(1)
    code = pyotp.TOTP(secret).now()
    assert _post_code(setup, "/login/setup-code", code).status_code == 302
    assert _post_code(_at_code_step(app), "/login/code", code).status_code == 401


def test_a_code_used_on_the_account_page_cannot_sign_in_again(app, db, make_staff):
    make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    secret = SECRET_RE.search(browser.get("/account/two-factor").get_data(as_text=True)).group(1)
    code = pyotp.TOTP(secret).now()
    assert _post_code(browser, "/account/two-factor", code).status_code == 302
    later = _at_code_step(app, "clinician@clinic.test")
    assert _post_code(later, "/login/code", code).status_code == 401


def test_two_sign_ins_racing_with_one_code_let_only_one_in(app, db, enrolled_admin,
                                                           monkeypatch):
    code = pyotp.TOTP(SECRET).now()
    browsers = [_at_code_step(app), _at_code_step(app)]
    tokens = [csrf_token(b, "/login/code") for b in browsers]
    # Both requests reach the claim together, so the database decides, not the timing.
    hold_until_all_arrive(monkeypatch, totp, "claim_step", 2)
    results = run_at_once([lambda b=b, t=t: _post_code(b, "/login/code", code, t)
                           for b, t in zip(browsers, tokens, strict=True)])
    assert sorted(r.status_code for r in results) == [302, 401]
    assert _count(db, AuditEvent, AuditEvent.action == "sign_in") == 1


def test_password_reset_forgets_the_last_step_with_the_key(db, enrolled_admin):
    from webapp.auth.users import reset_password

    enrolled_admin.totp_last_step = 123
    reset_password(session=db, user=enrolled_admin, password="A brand new secret 44")
    db.commit()
    db.expire_all()
    user = db.get(StaffUser, enrolled_admin.id)
    assert (user.totp_secret, user.totp_enabled, user.totp_last_step) == (None, False, None)


@pytest.mark.parametrize("page", ["/login/setup-code", "/account/two-factor"])
def test_setup_pages_show_a_qr_code_of_the_same_key(app, make_staff, page):
    role = "admin" if page == "/login/setup-code" else "clinician"
    make_staff(role)
    browser = app.test_client()
    if role == "admin":
        token = csrf_token(browser, "/login")
        browser.post("/login", data={"email": "admin@clinic.test", "password": STAFF_PASSWORD,
                                     "csrf_token": token})
    else:
        login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    html = browser.get(page).get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1)
    uri = totp.provisioning_uri(secret, f"{role}@clinic.test")
    assert f"secret={secret}" in uri and uri.startswith("otpauth://totp/")
    # The QR on the page is the one drawn from this very URI (segno cannot read QR codes back).
    assert str(totp.qr_svg(uri)) in html
    assert str(totp.qr_svg(totp.provisioning_uri(pyotp.random_base32(), "x@y.z"))) not in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in svg and f"<title>{totp.QR_TITLE}</title>" in svg
    assert "style=" not in svg and "<script" not in svg  # nothing the CSP would block


def test_qr_codes_differ_by_key():
    uris = [totp.provisioning_uri(s, "a@b.c") for s in (SECRET, pyotp.random_base32())]
    assert totp.qr_svg(uris[0]) != totp.qr_svg(uris[1])


@pytest.mark.parametrize(("offset", "steps_from_now"), [
    (-60, None), (-30, -1), (0, 0), (30, 1), (60, None)])
def test_a_code_matches_its_own_step_within_one_step_of_drift(offset, steps_from_now):
    code = pyotp.TOTP(SECRET).at(NOW + offset)
    expected = None if steps_from_now is None else int(NOW // 30) + steps_from_now
    assert totp.matching_step(SECRET, code, NOW) == expected
