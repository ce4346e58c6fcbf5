"""Coordinator pages for follow-up protocols."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import role_required

bp = Blueprint("protocols", __name__, url_prefix="/coordinate/protocols")


@bp.route("/")
@role_required("coordinator")
def list_protocols():
    """List protocols and their versions."""
    return render_template("protocols/list_protocols.html")
