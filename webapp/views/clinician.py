"""Clinician workspace: patients, sessions and dashboards."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import select

from webapp import audit
from webapp.db import get_session
from webapp.models import Patient
from webapp.security import role_required

bp = Blueprint("clinician", __name__, url_prefix="/clinic")


@bp.route("/patients")
@role_required("clinician")
def list_patients():
    """List the clinic's patients."""
    db = get_session()
    patients = db.exec(select(Patient).where(Patient.erased_at.is_(None))
                       .order_by(Patient.study_code)).all()
    audit.record(db, "patient_list_viewed")
    db.commit()
    return render_template("clinician/list_patients.html", patients=patients)
