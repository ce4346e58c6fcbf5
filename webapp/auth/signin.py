"""The steps of a staff sign-in shared by the password and two-factor pages.

Lockout, credential check, the hand-over to the two-factor step, and starting the session.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth import signin_sessions, throttle
from webapp.auth.passwords import DUMMY_HASH, verify_password
from webapp.auth.security import StaffPrincipal
from webapp.models import StaffUser, utcnow

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_CODE = "That code is not right. Enter the 6 digits your authenticator app shows now."
LOCKED = "Too many failed attempts. Please wait {minutes} minutes and try again."
SLOWED = ("Too many failed sign-ins from your network. Please wait {seconds} seconds and "
          "try again.")
PENDING = "pending_staff"
PENDING_SECONDS = 300


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])


def check_credentials(db, email: str, password: str) -> StaffUser | None:
    """Return the active user whose password this is, else None (same work either way)."""
    user = db.exec(select(StaffUser).where(StaffUser.email == email)).first()
    # Always run one hash check so an unknown address takes as long as a known one.
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    return user if ok and user is not None and user.is_active else None


def client_address() -> str:
    """Return the client's address as sign-in limits count it (after the trusted proxies)."""
    return request.remote_addr or "?"


def locked_response(db, email: str):
    """Return a 429 page if this email address is locked or this address must wait, else None."""
    ip = client_address()
    refused = throttle.refusal(db, email=email, ip=ip, config=current_app.config, now=utcnow())
    if refused is None:
        return None
    locked = refused.reason == "account"
    audit.add_event(db, "sign_in_locked" if locked else "sign_in_slowed", actor_label=email,
                    ip=ip, detail={"retry_after": refused.retry_after})
    db.commit()
    message = (LOCKED.format(minutes=math.ceil(refused.retry_after / 60)) if locked
               else SLOWED.format(seconds=refused.retry_after))
    flash(message, "error")
    return render_template("auth/login.html", form=LoginForm()), 429, {
        "Retry-After": str(refused.retry_after)}


def record_failure(db, email: str, **detail) -> None:
    """Count a failed attempt for lockout and audit it (the caller commits)."""
    ip = client_address()
    throttle.record_failure(db, email=email, ip=ip, now=utcnow())
    audit.add_event(db, "sign_in_failed", actor_label=email, ip=ip, detail=detail or None)


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
