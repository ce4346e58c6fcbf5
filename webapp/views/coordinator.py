"""Coordinator workspace: enrolment, protocols and the follow-up worklist."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import role_required

bp = Blueprint("coordinator", __name__, url_prefix="/coordinate")


@bp.route("/worklist")
@role_required("coordinator")
def show_worklist():
    """Show who is due, overdue or missed."""
    return render_template("coordinator/show_worklist.html")
