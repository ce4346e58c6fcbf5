"""The steps of a staff sign-in shared by the password and two-factor pages.

Lockout, credential check, the hand-over to the two-factor step, and starting the session.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from sqlmodel import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth import signin_sessions
from webapp.auth.passwords import DUMMY_HASH, verify_password
from webapp.auth.security import StaffPrincipal
from webapp.models import LoginFailure, StaffUser, utcnow

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_CODE = "That code is not right. Enter the 6 digits your authenticator app shows now."
LOCKED = "Too many failed attempts. Please wait {minutes} minutes and try again."
PENDING = "pending_staff"
PENDING_SECONDS = 300


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])


def _is_locked(db, email: str, ip: str) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=int(cfg["LOGIN_LOCKOUT_MINUTES"]))
    by_account = db.exec(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.email == email, LoginFailure.at >= since)).one()
    by_address = db.exec(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.ip == ip, LoginFailure.at >= since)).one()
    return (by_account >= int(cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"])
            or by_address >= int(cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]))


def check_credentials(db, email: str, password: str) -> StaffUser | None:
    """Return the active user whose password this is, else None (same work either way)."""
    user = db.exec(select(StaffUser).where(StaffUser.email == email)).first()
    # Always run one hash check so an unknown address takes as long as a known one.
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    return user if ok and user is not None and user.is_active else None


def locked_response(db, email: str):
    """Return the lockout page if this account or address is locked, else None."""
    ip = request.remote_addr or "?"
    if not _is_locked(db, email, ip):
        return None
    audit.add_event(db, "sign_in_locked", actor_label=email, ip=ip)
    db.commit()
    flash(LOCKED.format(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]), "error")
    return render_template("auth/login.html", form=LoginForm()), 429


def finish_sign_in(db, user: StaffUser):
    """Start the staff session and go to the user's first page."""
    _sign_in(db, user)
    return redirect(url_for("home.index"))


def _sign_in(db, user: StaffUser) -> None:
    cfg = current_app.config
    session.clear()  # a fresh session at sign-in: nothing from before carries over
    sid = signin_sessions.start(db, kind="staff", staff_user_id=user.id, ip=request.remote_addr,
                         lifetime=timedelta(hours=int(cfg["STAFF_ABSOLUTE_HOURS"])))
    user.last_login_at = utcnow()
    db.add(user)
    audit.add_event(db, "sign_in", actor_type="staff", actor_id=user.id, actor_label=user.email,
                    ip=request.remote_addr)
    db.commit()
    login_user(StaffPrincipal(user, sid))


def needs_second_step(user: StaffUser) -> str | None:
    """Return "verify" or "setup" if this user must pass a TOTP step, else None."""
    if user.totp_enabled:
        return "verify"
    if user.role == "admin" and current_app.config.get("ADMIN_TOTP_REQUIRED", True):
        return "setup"
    return None


def start_second_step(user: StaffUser, step: str):
    """Remember the half-signed-in user and send them to the TOTP page."""
    session.clear()
    session[PENDING] = {"uid": user.id, "at": time.time(), "step": step}
    return redirect(url_for("two_factor.verify" if step == "verify" else "two_factor.setup"))
