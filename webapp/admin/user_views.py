"""Admin pages: staff users."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth.security import ActionForm, role_required
from webapp.auth.users import UserError, create_user, reset_password, set_active
from webapp.db import get_session
from webapp.models import ROLES, StaffUser

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=128)])


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])


def _users():
    return get_session().exec(select(StaffUser).order_by(StaffUser.email)).all()


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def list_users():
    """List staff users and add a new one."""
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        try:
            user = create_user(session=db, email=form.email.data, name=form.name.data,
                               role=form.role.data, password=form.password.data)
            db.flush()
            audit.record(db, "user_created", record_type="staff_user", record_id=user.id,
                         detail={"role": user.role})
            db.commit()
            flash(f"Created {user.email}.", "info")
            return redirect(url_for("admin.list_users"))
        except UserError as exc:
            db.rollback()
            form.email.errors = [str(exc)]
    if form.errors:
        status = 400
    return render_template("admin/list_users.html", users=_users(), form=form,
                           action_form=ActionForm(), password_form=PasswordForm()), status


def _get_user_or_404(user_id: int) -> StaffUser:
    user = get_session().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def toggle_user(user_id: int):
    """Deactivate an active user or reactivate an inactive one."""
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    user = _get_user_or_404(user_id)
    set_active(session=db, user=user, active=not user.is_active)
    audit.record(db, "user_activated" if user.is_active else "user_deactivated",
                 record_type="staff_user", record_id=user.id)
    db.commit()
    flash(f"{user.email} is now {'active' if user.is_active else 'deactivated'}.", "info")
    return redirect(url_for("admin.list_users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def reset_user_password(user_id: int):
    """Set a new password for a user and end their sessions."""
    form = PasswordForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    user = _get_user_or_404(user_id)
    try:
        reset_password(session=db, user=user, password=form.password.data)
    except UserError as exc:
        db.rollback()
        flash(f"Password not changed: {exc}", "error")
        return redirect(url_for("admin.list_users")), 400
    audit.record(db, "user_password_reset", record_type="staff_user", record_id=user.id)
    db.commit()
    flash(f"New password set for {user.email}; their sessions were ended.", "info")
    return redirect(url_for("admin.list_users"))
