"""Staff sign-in and sign-out."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from webapp import audit
from webapp.auth import signin_sessions
from webapp.auth.signin import (
    BAD_CREDENTIALS,
    LoginForm,
    check_credentials,
    finish_sign_in,
    locked_response,
    needs_second_step,
    record_failure,
    start_second_step,
)
from webapp.db import get_session

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), (400 if form.errors else 200)
    db = get_session()
    email = form.email.data.strip().lower()
    if (locked := locked_response(db, email)) is not None:
        return locked
    user = check_credentials(db, email, form.password.data)
    if user is None:
        record_failure(db, email)
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
