"""Coordinator pages for a patient's data rights: export everything, or erase."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.db import get_session
from webapp.models import utcnow
from webapp.patients.data_rights import erase_patient, erasure_counts, export_patient

bp = Blueprint("data_rights", __name__, url_prefix="/coordinate/patients",
               template_folder="templates")


class ExportForm(FlaskForm):
    """Only the CSRF token: exporting is a deliberate, audited action."""


class EraseForm(FlaskForm):
    confirm = StringField("Type the patient's study code to confirm",
                          validators=[DataRequired(), Length(max=32)])


@bp.route("/<int:patient_id>/data")
@role_required("coordinator")
def show_data_rights(patient_id: int):
    """Offer the export and erasure of one patient's data."""
    patient = live_patient_or_404(patient_id)
    return render_template("data_rights/show_data_rights.html", patient=patient,
                           export_form=ExportForm(),
                           keeps_answers=current_app.config["ERASE_KEEPS_ANONYMISED_ANSWERS"])


def _confirm_erasure(patient, form: EraseForm, status: int = 200):
    return render_template("data_rights/confirm_erasure.html", patient=patient, erase_form=form,
                           counts=erasure_counts(get_session(), patient.id),
                           keeps_answers=current_app.config["ERASE_KEEPS_ANONYMISED_ANSWERS"]
                           ), status


@bp.route("/<int:patient_id>/data/erase")
@role_required("coordinator")
def confirm_erasure(patient_id: int):
    """Say exactly what erasing this patient will do, and ask for the study code."""
    return _confirm_erasure(live_patient_or_404(patient_id), EraseForm())


@bp.route("/<int:patient_id>/data/export", methods=["POST"])
@role_required("coordinator")
def export_data(patient_id: int):
    """Download everything held about the patient as JSON (audited)."""
    patient = live_patient_or_404(patient_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    db = get_session()
    payload = export_patient(db, patient.id)
    audit.record(db, "patient_data_exported", record_type="patient", record_id=patient.id,
                 patient_id=patient.id)
    db.commit()
    body = json.dumps(payload, indent=1, sort_keys=True, default=str)
    filename = f"nervetrack-{patient.study_code}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<int:patient_id>/data/erase", methods=["POST"])
@role_required("coordinator")
def erase_data(patient_id: int):
    """Erase the patient after the coordinator types their study code (audited)."""
    patient = live_patient_or_404(patient_id)
    form = EraseForm()
    if not form.validate_on_submit() or form.confirm.data.strip() != patient.study_code:
        form.confirm.errors = list(form.confirm.errors) or [
            "That is not this patient's study code. Nothing was erased."]
        return _confirm_erasure(patient, form, 400)
    db = get_session()
    keep = bool(current_app.config["ERASE_KEEPS_ANONYMISED_ANSWERS"])
    mode = erase_patient(db, patient.id, keep_anonymised=keep, now=utcnow())
    audit.record(db, "patient_erased", record_type="patient", record_id=patient_id,
                 patient_id=patient_id, detail={"mode": mode})
    db.commit()
    flash("The patient's data was erased." + (" Their scores are kept without identity."
                                               if keep else ""), "info")
    return redirect(url_for("coordinator.show_worklist"))
