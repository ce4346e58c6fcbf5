"""The coordinator blueprint, shared by the workspace views, enrolment and the schedule grid."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinate", template_folder="templates")
