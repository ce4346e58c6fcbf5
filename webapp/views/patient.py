"""The patient area: survey links and questionnaires (no staff sign-in)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("patient", __name__, url_prefix="/p")


@bp.route("/")
def start():
    """The patient's landing page."""
    return render_template("patient/start.html")
