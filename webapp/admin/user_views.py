"""Admin pages: staff users."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from webapp import audit
from webapp.admin.audit_rows import clinic_time
from webapp.auth.security import role_required
from webapp.auth.users import (
    UserError,
    create_user,
    deactivation_problem,
    reset_password,
    set_active,
)
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


class StatusForm(FlaskForm):
    """The confirmation of a deactivation or reactivation: the state the admin asked for."""

    active = HiddenField(validators=[DataRequired(), AnyOf(["0", "1"])])


def _users():
    return get_session().exec(select(StaffUser).order_by(StaffUser.email)).all()


def _last_sign_ins(users) -> dict[int, str]:
    """Each user's last sign-in as the clinic's wall-clock time."""
    tz = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
    return {u.id: clinic_time(u.last_login_at, tz) for u in users if u.last_login_at}


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
    users = _users()
    return render_template("admin/list_users.html", users=users, form=form,
                           last_sign_ins=_last_sign_ins(users)), status


def _get_user_or_404(user_id: int) -> StaffUser:
    user = get_session().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def _status_page(user: StaffUser, form: StatusForm, problem: str | None, status: int = 200):
    return render_template("admin/toggle_user.html", user=user, form=form, problem=problem,
                           is_self=user.id == current_user.id), status


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@role_required("admin")
def toggle_user(user_id: int):
    """Say what deactivating (or reactivating) a user does; on confirmation, do it."""
    db = get_session()
    user = _get_user_or_404(user_id)
    form = StatusForm()
    if request.method == "GET":
        problem = deactivation_problem(session=db, user=user, acting_user_id=current_user.id,
                                       lock=False) if user.is_active else None
        return _status_page(user, form, problem)
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    if active == user.is_active:
        flash(f"{user.email} is already {'active' if active else 'deactivated'}.", "info")
        return redirect(url_for("admin.list_users"))
    try:
        set_active(session=db, user=user, active=active, acting_user_id=current_user.id)
    except UserError as exc:
        db.rollback()
        return _status_page(user, form, str(exc), 400)
    audit.record(db, "user_activated" if active else "user_deactivated",
                 record_type="staff_user", record_id=user.id)
    db.commit()
    flash(f"{user.email} is now {'active' if active else 'deactivated'}.", "info")
    return redirect(url_for("admin.list_users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_user_password(user_id: int):
    """Say what a password reset does; on confirmation, set the new password."""
    user = _get_user_or_404(user_id)
    form = PasswordForm()
    if request.method == "GET":
        return render_template("admin/reset_user_password.html", user=user, form=form)
    if not form.validate_on_submit():
        return render_template("admin/reset_user_password.html", user=user, form=form), 400
    db = get_session()
    try:
        reset_password(session=db, user=user, password=form.password.data)
    except UserError as exc:
        db.rollback()
        form.password.errors = [str(exc)]
        return render_template("admin/reset_user_password.html", user=user, form=form), 400
    audit.record(db, "user_password_reset", record_type="staff_user", record_id=user.id)
    db.commit()
    flash(f"New password set for {user.email}; their sessions were ended.", "info")
    return redirect(url_for("admin.list_users"))
