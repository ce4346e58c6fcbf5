"""The protocols blueprint, shared by the JSON pages (views) and the builder (builder_views)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("protocols", __name__, url_prefix="/coordinate/protocols",
               template_folder="templates")
