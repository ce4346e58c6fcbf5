"""TOTP two-factor sign-in: optional for staff, required for admins."""

from __future__ import annotations

import time

import pyotp
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from webapp import audit
from webapp.auth.signin import (
    BAD_CODE,
    PENDING,
    PENDING_SECONDS,
    finish_sign_in,
    locked_response,
)
from webapp.db import get_session
from webapp.models import LoginFailure, StaffUser

bp = Blueprint("two_factor", __name__, template_folder="templates")

ISSUER = "NerveTrack"


class CodeForm(FlaskForm):
    code = StringField("6-digit code", validators=[DataRequired(), Length(min=6, max=6),
                                                    Regexp(r"^\d{6}$", message="Enter 6 digits.")])


def _pending_user(step: str) -> StaffUser | None:
    pending = session.get(PENDING)
    if not pending or pending.get("step") != step:
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = get_session().get(StaffUser, int(pending["uid"]))
    return user if user is not None and user.is_active else None


def _code_ok(secret: str | None, code: str) -> bool:
    return bool(secret) and pyotp.TOTP(secret).verify(code, valid_window=1)


def _refuse(db, user: StaffUser, template: str, form, **context):
    db.add(LoginFailure(email=user.email, ip=request.remote_addr or "?"))
    audit.add_event(db, "sign_in_failed", actor_label=user.email, ip=request.remote_addr,
                    detail={"step": "totp"})
    db.commit()
    form.code.errors = [BAD_CODE]
    return render_template(template, form=form, **context), 401


@bp.route("/login/code", methods=["GET", "POST"])
def verify():
    """Second step of sign-in for staff with two-factor enabled."""
    user = _pending_user("verify")
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/verify_code.html", form=form), (400 if form.errors else 200)
    db = get_session()
    if (locked := locked_response(db, user.email)) is not None:
        return locked
    if not _code_ok(user.totp_secret, form.code.data):
        return _refuse(db, user, "auth/verify_code.html", form)
    session.pop(PENDING, None)
    return finish_sign_in(db, user)


@bp.route("/login/setup-code", methods=["GET", "POST"])
def setup():
    """Admins (and anyone who chooses to) set up an authenticator app before signing in."""
    user = _pending_user("setup")
    if user is None:
        return redirect(url_for("auth.login"))
    db = get_session()
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.add(user)
        db.commit()
    form = CodeForm()
    context = _setup_context(user)
    if not form.validate_on_submit():
        return render_template("auth/setup_code.html", form=form, **context), (
            400 if form.errors else 200)
    if (locked := locked_response(db, user.email)) is not None:
        return locked
    if not _code_ok(user.totp_secret, form.code.data):
        return _refuse(db, user, "auth/setup_code.html", form, **context)
    _enable(db, user)
    session.pop(PENDING, None)
    return finish_sign_in(db, user)


def _setup_context(user: StaffUser) -> dict:
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return {"secret": user.totp_secret, "uri": uri}


def _enable(db, user: StaffUser) -> None:
    user.totp_enabled = True
    db.add(user)
    audit.add_event(db, "totp_enabled", actor_type="staff", actor_id=user.id,
                    actor_label=user.email, ip=request.remote_addr, record_type="staff_user",
                    record_id=user.id)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def manage():
    """A signed-in staff member turns on two-factor sign-in for their account."""
    db = get_session()
    user = db.get(StaffUser, current_user.id)
    if user is None:
        abort(404)
    if user.totp_enabled:
        return render_template("auth/manage_code.html", enabled=True)
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.add(user)
        db.commit()
    form = CodeForm()
    context = _setup_context(user)
    if form.validate_on_submit():
        if _code_ok(user.totp_secret, form.code.data):
            _enable(db, user)
            db.commit()
            flash("Two-factor sign-in is on.", "info")
            return redirect(url_for("two_factor.manage"))
        form.code.errors = ["That code did not match. Check the time on your phone and retry."]
    status = 400 if form.errors else 200
    return render_template("auth/manage_code.html", enabled=False, form=form, **context), status
