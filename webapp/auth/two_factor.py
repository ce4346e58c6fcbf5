"""TOTP two-factor sign-in: optional for staff, required for admins."""

from __future__ import annotations

import time

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
from webapp.auth import totp
from webapp.auth.signin import (
    BAD_CODE,
    PENDING,
    PENDING_SECONDS,
    finish_sign_in,
    locked_response,
    record_failure,
)
from webapp.db import get_session
from webapp.models import StaffUser

bp = Blueprint("two_factor", __name__, template_folder="templates")


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


def _refuse(db, user: StaffUser, template: str, form, **context):
    record_failure(db, user.email, step="totp")
    db.commit()
    form.code.errors = [BAD_CODE]
    return render_template(template, form=form, **context), 401


@bp.route("/login/code", methods=["GET", "POST"])
def verify():
    """Second step of sign-in for staff with two-factor enabled; each code works only once."""
    user = _pending_user("verify")
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/verify_code.html", form=form), (400 if form.errors else 200)
    db = get_session()
    if (locked := locked_response(db, user.email)) is not None:
        return locked
    if not totp.accept_code(db, user, form.code.data):
        return _refuse(db, user, "auth/verify_code.html", form)
    session.pop(PENDING, None)
    return finish_sign_in(db, user)


def _ensure_secret(db, user: StaffUser) -> None:
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        db.add(user)
        db.commit()


@bp.route("/login/setup-code", methods=["GET", "POST"])
def setup():
    """Admins (and anyone who chooses to) set up an authenticator app before signing in."""
    user = _pending_user("setup")
    if user is None:
        return redirect(url_for("auth.login"))
    db = get_session()
    _ensure_secret(db, user)
    form = CodeForm()
    context = _setup_context(user)
    if not form.validate_on_submit():
        return render_template("auth/setup_code.html", form=form, **context), (
            400 if form.errors else 200)
    if (locked := locked_response(db, user.email)) is not None:
        return locked
    if not totp.accept_code(db, user, form.code.data):
        return _refuse(db, user, "auth/setup_code.html", form, **context)
    _enable(db, user)
    session.pop(PENDING, None)
    return finish_sign_in(db, user)


def _setup_context(user: StaffUser) -> dict:
    uri = totp.provisioning_uri(user.totp_secret, user.email)
    return {"secret": user.totp_secret, "uri": uri, "qr": totp.qr_svg(uri)}


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
    _ensure_secret(db, user)
    form = CodeForm()
    context = _setup_context(user)
    if form.validate_on_submit():
        if totp.accept_code(db, user, form.code.data):
            _enable(db, user)
            db.commit()
            flash("Two-factor sign-in is on.", "info")
            return redirect(url_for("two_factor.manage"))
        form.code.errors = ["That code did not match. Check the time on your phone and retry."]
    status = 400 if form.errors else 200
    return render_template("auth/manage_code.html", enabled=False, form=form, **context), status
