"""The admin's user pages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.support.web import csrf_token
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


def test_admin_deactivates_and_resets_a_user(admin_client, make_staff, db):
    target = make_staff("clinician")
    token = csrf_token(admin_client, "/admin/users")
    admin_client.post(f"/admin/users/{target.id}/active", data={"csrf_token": token})
    db.expire_all()
    assert db.get(StaffUser, target.id).is_active is False
    old_hash = db.get(StaffUser, target.id).password_hash
    token = csrf_token(admin_client, "/admin/users")
    admin_client.post(f"/admin/users/{target.id}/password",
                      data={"csrf_token": token, "password": "Fresh password 2026!"})
    db.expire_all()
    assert db.get(StaffUser, target.id).password_hash != old_hash
    actions = {e.action for e in db.exec(select(AuditEvent)).all()}
    assert {"user_deactivated", "user_password_reset"} <= actions
