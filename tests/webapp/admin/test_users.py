"""The admin's user pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.support.concurrency import hold_until_all_arrive, run_at_once
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.auth import users
from webapp.auth.users import UserError, set_active
from webapp.models import AuditEvent, StaffUser


@pytest.fixture
def admin_client(signed_in):
    return signed_in("admin")


def _add_user(client, **overrides):
    data = {"email": "new@clinic.test", "name": "New Person", "role": "clinician",
            "password": "A long enough secret 7"}
    data.update(overrides)
    data["csrf_token"] = csrf_token(client, "/admin/users")
    return client.post("/admin/users", data=data)


def test_admin_adds_a_user_and_it_is_audited(admin_client, db):
    assert _add_user(admin_client).status_code == 302
    user = db.exec(select(StaffUser).where(StaffUser.email == "new@clinic.test")).one()
    assert user.role == "clinician" and user.password_hash.startswith("scrypt:")
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user_created")).one()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"email": "admin@clinic.test"}, "already exists"),
     ({"password": "short"}, "at least 12 characters"),
     ({"password": "password123456"}, "too common"),
     ({"role": "superuser"}, "Not a valid choice")],
)
def test_bad_new_users_are_refused_and_nothing_is_stored(admin_client, db, overrides, message):
    before = len(db.exec(select(StaffUser)).all())
    response = _add_user(admin_client, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(StaffUser)).all()) == before


def _confirm(client, path: str, **data):
    """Open a confirmation page and press its button (with the form's own hidden fields)."""
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    fields["csrf_token"] = csrf_token(client, path)
    return html, client.post(path, data={**fields, **data})


def test_deactivation_asks_first_and_says_what_will_happen(admin_client, make_staff, db):
    target = make_staff("clinician")
    html, response = _confirm(admin_client, f"/admin/users/{target.id}/active")
    assert "Deactivate Clinician?" in html and "signed out at once" in html
    assert "cannot sign in until an admin reactivates them" in html
    assert response.status_code == 302
    db.expire_all()
    assert db.get(StaffUser, target.id).is_active is False
    # The same page then offers to reactivate, and says what that does.
    html, response = _confirm(admin_client, f"/admin/users/{target.id}/active")
    assert "Reactivate Clinician?" in html and "can sign in again" in html
    db.expire_all()
    assert db.get(StaffUser, target.id).is_active is True
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions[-2:] == ["user_deactivated", "user_activated"]


def test_opening_a_confirmation_page_changes_nothing(admin_client, make_staff, db):
    target = make_staff("clinician")
    before = (target.is_active, target.password_hash)
    for path in (f"/admin/users/{target.id}/active", f"/admin/users/{target.id}/password"):
        assert admin_client.get(path).status_code == 200
    db.expire_all()
    user = db.get(StaffUser, target.id)
    assert (user.is_active, user.password_hash) == before


def test_posting_the_state_a_user_already_has_changes_nothing(admin_client, make_staff, db):
    target = make_staff("clinician")
    token = csrf_token(admin_client, "/admin/users")
    admin_client.post(f"/admin/users/{target.id}/active", data={"csrf_token": token,
                                                               "active": "1"})
    db.expire_all()
    assert db.get(StaffUser, target.id).is_active is True
    assert not db.exec(select(AuditEvent).where(AuditEvent.action.like("user_%activated"))).all()


@pytest.mark.parametrize("data", [{}, {"active": "maybe"}, {"active": ""}])
def test_a_status_post_without_a_clear_answer_is_refused(admin_client, make_staff, db, data):
    target = make_staff("clinician")
    data = {**data, "csrf_token": csrf_token(admin_client, "/admin/users")}
    assert admin_client.post(f"/admin/users/{target.id}/active", data=data).status_code == 400
    db.expire_all()
    assert db.get(StaffUser, target.id).is_active is True


def test_an_admin_cannot_deactivate_themselves(admin_client, db):
    me = db.exec(select(StaffUser).where(StaffUser.email == "admin@clinic.test")).one()
    make_sure = "You cannot deactivate your own account"
    page = admin_client.get(f"/admin/users/{me.id}/active").get_data(as_text=True)
    assert make_sure in page and "Deactivate admin@clinic.test</button>" not in page
    assert "your account" in admin_client.get("/admin/users").get_data(as_text=True)
    before = len(db.exec(select(AuditEvent)).all())
    token = csrf_token(admin_client, "/admin/users")
    response = admin_client.post(f"/admin/users/{me.id}/active",
                                 data={"active": "0", "csrf_token": token})
    assert response.status_code == 400 and make_sure in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(StaffUser, me.id).is_active is True
    assert len(db.exec(select(AuditEvent)).all()) == before
    assert admin_client.get("/admin/users").status_code == 200  # still signed in


def test_the_last_active_admin_cannot_be_deactivated(db, make_staff):
    only = make_staff("admin")
    make_staff("admin", email="former@clinic.test", active=False)
    with pytest.raises(UserError, match="is the last active admin"):
        set_active(session=db, user=only, active=False)
    db.rollback()
    db.expire_all()
    assert db.get(StaffUser, only.id).is_active is True


def test_two_admins_deactivating_each_other_at_once_leave_one_active(app, db, make_staff,
                                                                     monkeypatch):
    admins = {}
    for email in ("admin@clinic.test", "other@clinic.test"):
        user = make_staff("admin", email=email)
        browser = app.test_client()
        login(browser, email, STAFF_PASSWORD)
        admins[email] = (user.id, browser, csrf_token(browser, "/admin/users"))
    (a_id, a, a_token), (b_id, b, b_token) = admins.values()
    # Both requests reach the last-admin check together: only the database can order them.
    hold_until_all_arrive(monkeypatch, users, "deactivation_problem", 2)
    results = run_at_once([
        lambda: a.post(f"/admin/users/{b_id}/active", data={"active": "0", "csrf_token": a_token}),
        lambda: b.post(f"/admin/users/{a_id}/active", data={"active": "0", "csrf_token": b_token}),
    ])
    assert sorted(r.status_code for r in results) == [302, 400]
    db.expire_all()
    assert len(db.exec(select(StaffUser).where(StaffUser.is_active.is_(True))).all()) == 1


def test_password_reset_asks_first_and_says_what_will_happen(admin_client, make_staff, db):
    target = make_staff("clinician")
    old_hash = target.password_hash
    html, response = _confirm(admin_client, f"/admin/users/{target.id}/password",
                              password="Fresh password 2026!")
    assert "Reset the password of Clinician?" in html
    assert "signed out at once" in html and "two-factor sign-in is turned off" in html
    assert response.status_code == 302
    db.expire_all()
    assert db.get(StaffUser, target.id).password_hash != old_hash
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user_password_reset")).one()


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 12 characters"), ("password123456", "too common"),
    ("", "This field is required")])
def test_a_refused_new_password_is_shown_on_the_page_and_changes_nothing(
        admin_client, make_staff, db, password, message):
    target = make_staff("clinician")
    old_hash = target.password_hash
    _, response = _confirm(admin_client, f"/admin/users/{target.id}/password",
                           password=password)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(StaffUser, target.id).password_hash == old_hash


def test_last_sign_in_is_shown_in_clinic_time(admin_client, make_staff, db):
    target = make_staff("clinician")
    target.last_login_at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    db.commit()
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert "<td>2026-07-01 12:00:00 UTC</td>" in html
