"""Clinician dashboards: a patient's trajectory, the cohort and the safety list."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import role_required

bp = Blueprint("dashboards", __name__, url_prefix="/clinic")


@bp.route("/cohort")
@role_required("clinician")
def show_cohort():
    """The cohort view."""
    return render_template("dashboards/show_cohort.html")


@bp.route("/safety")
@role_required("clinician")
def list_safety_flags():
    """Open safety flags."""
    return render_template("dashboards/list_safety_flags.html")
