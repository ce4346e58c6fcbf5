"""Safety triage: the open safety flags and their acknowledgement (audited)."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.dashboards.views import bp
from webapp.db import get_session
from webapp.models import Patient, SafetyFlag, utcnow

ACKNOWLEDGED_SHOWN = 50


class AcknowledgeForm(FlaskForm):
    """Acknowledge a safety flag with a note of what was done."""

    note = TextAreaField("Note", validators=[
        DataRequired(message="Write what was done (a short note)."), Length(max=1000)])


def _flags(db, acknowledged: bool):
    query = select(SafetyFlag, Patient).join(Patient, Patient.id == SafetyFlag.patient_id)
    query = query.where(Patient.erased_at.is_(None))
    if acknowledged:
        return db.exec(query.where(SafetyFlag.acknowledged_at.is_not(None))
                       .order_by(SafetyFlag.acknowledged_at.desc())
                       .limit(ACKNOWLEDGED_SHOWN)).all()
    serious_first = (SafetyFlag.severity != "serious")
    return db.exec(query.where(SafetyFlag.acknowledged_at.is_(None))
                   .order_by(serious_first, SafetyFlag.raised_at.desc())).all()


def _render_flags(form=None, failed_id=None, status=200):
    db = get_session()
    return render_template("dashboards/list_safety_flags.html", open_flags=_flags(db, False),
                           done_flags=_flags(db, True), form=form or AcknowledgeForm(),
                           failed_id=failed_id), status


@bp.route("/safety")
@role_required("clinician")
def list_safety_flags():
    """Open safety flags (serious first) and the most recently acknowledged ones."""
    db = get_session()
    audit.record(db, "safety_flags_viewed")
    db.commit()
    return _render_flags()


@bp.route("/safety/<int:flag_id>/acknowledge", methods=["POST"])
@role_required("clinician")
def acknowledge_flag(flag_id: int):
    """Acknowledge an open safety flag with a note."""
    db = get_session()
    flag = db.get(SafetyFlag, flag_id)
    if flag is None:
        abort(404)
    live_patient_or_404(flag.patient_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _render_flags(form, flag_id, 400)
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), current_user.id
        flag.ack_note = form.note.data.strip()
        db.add(flag)
        audit.record(db, "safety_flag_acknowledged", record_type="safety_flag",
                     record_id=flag.id, patient_id=flag.patient_id)
        db.commit()
        flash("Flag acknowledged.", "info")
    return redirect(url_for("dashboards.list_safety_flags"))
