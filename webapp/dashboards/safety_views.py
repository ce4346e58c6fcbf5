"""Safety triage: open flags in plain words, filtered and paged, and their acknowledgement."""

from __future__ import annotations

from flask import (
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
from sqlmodel import func, select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.dashboards.safety_labels import (
    KIND_LABELS,
    SEVERITY_LABELS,
    flag_row,
    local_time,
    zone_or_utc,
)
from webapp.dashboards.safety_triage import (
    VIEWED,
    FilterError,
    TriageFilters,
    acknowledged_flags,
    flagged_patients,
    last_visit,
    open_flags,
    parse_filters,
)
from webapp.dashboards.views import bp
from webapp.db import get_session
from webapp.models import Patient, SafetyFlag, utcnow


class AcknowledgeForm(FlaskForm):
    """Acknowledge a safety flag with a note of what was done."""

    note = TextAreaField("Note", validators=[
        DataRequired(message="Write what was done (a short note)."), Length(max=1000)])


def _open_total(db) -> int:
    return db.exec(select(func.count()).select_from(SafetyFlag)
                   .join(Patient, Patient.id == SafetyFlag.patient_id)
                   .where(Patient.erased_at.is_(None), SafetyFlag.acknowledged_at.is_(None))).one()


def _render_flags(filters: TriageFilters, form=None, failed_id=None, status=200):
    db = get_session()
    zone_name = current_app.config.get("CLINIC_TIMEZONE", "UTC")
    clinic = zone_or_utc(zone_name)
    since = last_visit(db, current_user.id)
    page = open_flags(db, filters, since)
    return render_template(
        "dashboards/list_safety_flags.html", filters=filters, page=page,
        rows=[flag_row(f, p, clinic, since) for f, p in page.rows],
        done=[flag_row(f, p, clinic, since) for f, p in acknowledged_flags(db, filters)],
        open_total=_open_total(db) if filters.active else page.total,
        since_text=local_time(since, clinic) if since else None, clinic_zone=clinic.key,
        patients=flagged_patients(db), kinds=KIND_LABELS, severities=SEVERITY_LABELS,
        form=form or AcknowledgeForm(), failed_id=failed_id), status


@bp.route("/safety")
@role_required("clinician")
def list_safety_flags():
    """Open safety flags (serious first, a page at a time, filtered) and the latest acknowledged."""
    try:
        filters = parse_filters(request.args)
    except FilterError as exc:
        return render_template("error.html", status=400, message=str(exc)), 400
    response = _render_flags(filters)  # before this view is audited: "new since" stays put
    db = get_session()
    audit.record(db, VIEWED, patient_id=filters.patient, detail={"page": filters.page})
    db.commit()
    return response


@bp.route("/safety/<int:flag_id>/acknowledge", methods=["POST"])
@role_required("clinician")
def acknowledge_flag(flag_id: int):
    """Acknowledge an open safety flag with a note, then go back to the same filtered page."""
    db = get_session()
    flag = db.get(SafetyFlag, flag_id)
    if flag is None:
        abort(404)
    live_patient_or_404(flag.patient_id)
    try:
        filters = parse_filters(request.args)
    except FilterError:
        filters = TriageFilters()  # the list to go back to is a convenience, never a reason to fail
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _render_flags(filters, form, flag_id, 400)
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), current_user.id
        flag.ack_note = form.note.data.strip()
        db.add(flag)
        audit.record(db, "safety_flag_acknowledged", record_type="safety_flag",
                     record_id=flag.id, patient_id=flag.patient_id)
        db.commit()
        flash("Flag acknowledged.", "info")
    return redirect(url_for("dashboards.list_safety_flags", **filters.args()))
