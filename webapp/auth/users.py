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


def _last_admin(user: StaffUser) -> str:
    return (f"{user.email} is the last active admin. Add or reactivate another admin first, "
            "so someone can still manage users.")


def _active_admins(session: Session, *, lock: bool) -> set[int]:
    query = select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.is_active.is_(True))
    return set(session.exec(query.with_for_update() if lock else query).all())


def deactivation_problem(*, session: Session, user: StaffUser, acting_user_id: int | None,
                         lock: bool = True) -> str | None:
    """Say why `user` must stay active (it is the one acting, or the last active admin)."""
    if user.id == acting_user_id:
        return "You cannot deactivate your own account. Ask another admin to do it."
    if user.role != "admin" or not user.is_active:
        return None
    # Locking the active admins' rows makes a second admin deactivating the first one at the
    # same moment wait for this decision, and then see it (PostgreSQL).
    if not _active_admins(session, lock=lock) - {user.id}:
        return _last_admin(user)
    return None


def set_active(*, session: Session, user: StaffUser, active: bool,
               acting_user_id: int | None = None) -> None:
    """Activate or deactivate a user; deactivation ends their sessions at once.

    Refuses (UserError) to deactivate the acting user or the last active admin; the caller
    rolls back.
    """
    if not active and (problem := deactivation_problem(session=session, user=user,
                                                       acting_user_id=acting_user_id)):
        raise UserError(problem)
    user.is_active = active
    session.add(user)
    if active:
        return
    if user.role == "admin":
        # SQLite has no row locks: count again after our write, which holds its only write
        # lock, so of two admins deactivating each other at once the second sees the first.
        session.flush()
        if not _active_admins(session, lock=False):
            raise UserError(_last_admin(user))
    signin_sessions.revoke_all_for_staff(session, user.id)


def reset_password(*, session: Session, user: StaffUser, password: str) -> None:
    """Give a user a new password and end their sessions; TOTP must be set up again."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    user.password_hash = hash_password(password)
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None  # the next key is new, so none of its codes was ever used
    session.add(user)
    signin_sessions.revoke_all_for_staff(session, user.id)
