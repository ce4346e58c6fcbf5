"""Staff accounts: creation, deactivation and password reset (shared by CLI and admin pages)."""

from __future__ import annotations

from sqlmodel import Session, select

from webapp.auth import signin_sessions
from webapp.auth.passwords import hash_password, password_problem
from webapp.models import ROLES, StaffUser


class UserError(ValueError):
    """A staff-account request that cannot be carried out, with a message for the person."""


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise UserError(f"{email!r} is not an email address.")
    return email


def create_user(
    *, session: Session, email: str, name: str, role: str, password: str
) -> StaffUser:
    """Add a staff user (the caller commits); refuse unknown roles, duplicates, weak passwords."""
    email = _clean_email(email)
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if not (name or "").strip():
        raise UserError("A name is required.")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise UserError(f"A user with the email {email} already exists.")
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    user = StaffUser(email=email, name=name.strip(), role=role,
                     password_hash=hash_password(password))
    session.add(user)
    return user


def set_active(*, session: Session, user: StaffUser, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends their sessions at once."""
    user.is_active = active
    session.add(user)
    if not active:
        signin_sessions.revoke_all_for_staff(session, user.id)


def reset_password(*, session: Session, user: StaffUser, password: str) -> None:
    """Give a user a new password and end their sessions; TOTP must be set up again."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    user.password_hash = hash_password(password)
    user.totp_enabled = False
    user.totp_secret = None
    session.add(user)
    signin_sessions.revoke_all_for_staff(session, user.id)
