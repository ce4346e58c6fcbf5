"""The landing page sends each role to its own workspace; a health check for operators."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from webapp.db import get_session

bp = Blueprint("home", __name__)

ROLE_HOME = {
    "clinician": "clinician.list_patients",
    "coordinator": "coordinator.show_worklist",
    "admin": "admin.list_users",
}


@bp.route("/")
@login_required
def index():
    """Send the signed-in staff member to their role's first page."""
    return redirect(url_for(ROLE_HOME[current_user.role]))


@bp.route("/healthz")
def healthz():
    """Report that the app and its database answer (no data in the reply)."""
    get_session().exec(text("SELECT 1"))
    return {"status": "ok"}
