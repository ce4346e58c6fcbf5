"""Staff sign-in and sign-out."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlmodel import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth import signin_sessions
from webapp.auth.passwords import DUMMY_HASH, verify_password
from webapp.auth.security import StaffPrincipal
from webapp.auth.two_factor import needs_second_step, start_second_step
from webapp.db import get_session
from webapp.models import LoginFailure, StaffUser, utcnow

bp = Blueprint("auth", __name__, template_folder="templates")

BAD_CREDENTIALS = "Email or password is incorrect."
BAD_CODE = "That code is not right. Enter the 6 digits your authenticator app shows now."
LOCKED = "Too many failed attempts. Please wait {minutes} minutes and try again."


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


def _check_credentials(db, email: str, password: str) -> StaffUser | None:
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), (400 if form.errors else 200)
    db = get_session()
    email, ip = form.email.data.strip().lower(), request.remote_addr or "?"
    if (locked := locked_response(db, email)) is not None:
        return locked
    user = _check_credentials(db, email, form.password.data)
    if user is None:
        db.add(LoginFailure(email=email, ip=ip))
        audit.add_event(db, "sign_in_failed", actor_label=email, ip=ip)
        db.commit()
        flash(BAD_CREDENTIALS, "error")
        return render_template("auth/login.html", form=form), 401
    step = needs_second_step(user)
    if step:
        return start_second_step(user, step)
    return finish_sign_in(db, user)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the staff session on the server and in the browser."""
    if current_user.is_authenticated:
        db = get_session()
        signin_sessions.revoke(db, current_user.sid)
        audit.record(db, "sign_out")
        db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
