"""The clinic's schedule grid: every follow-up of every patient in a span, and counts by status.

Rows are follow-ups by name (never a slot or a timepoint key) with their planned date, window,
status and reminders sent, like a study's event grid; above them, one row per timepoint with
how many follow-ups are planned, open, completed, missed or cancelled.
"""

from __future__ import annotations

from flask import render_template, request

from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.followup.worklist import timepoint_labels
from webapp.models import utcnow
from webapp.patients.blueprint import bp
from webapp.patients.schedule import (
    GRID_LIMIT,
    GRID_STATUSES,
    SPANS,
    clinic_grid,
    timepoint_counts,
)


def _grid_filters(labels: dict[str, str]) -> tuple[dict, list[str]]:
    """The filters from the query string, allow-listed; unknown values are refused."""
    filters, errors = {"span": "now"}, []
    span = request.args.get("span") or "now"
    status = request.args.get("status") or None
    timepoint = request.args.get("timepoint") or None
    if span not in SPANS:
        errors.append("Unknown span: choose now, past or all.")
    else:
        filters["span"] = span
    if status and status not in GRID_STATUSES:
        errors.append(f"Unknown status: choose {', '.join(GRID_STATUSES)}.")
    elif status:
        filters["status"] = status
    if timepoint and timepoint not in labels:
        errors.append("Unknown timepoint.")
    elif timepoint:
        filters["timepoint"] = timepoint
    return filters, errors


@bp.route("/schedule")
@role_required("coordinator")
def show_schedule():
    """The clinic's schedule grid, filtered by span, status and timepoint."""
    db = get_session()
    now = utcnow()
    labels = timepoint_labels(db)
    filters, errors = _grid_filters(labels)
    rows, cut = ([], False) if errors else clinic_grid(db, now, **filters)
    return render_template("coordinator/show_schedule.html", rows=rows, cut=cut,
                           limit=GRID_LIMIT, errors=errors, filters=filters, labels=labels,
                           spans=SPANS, statuses=GRID_STATUSES,
                           counts=timepoint_counts(db, now, labels)), 400 if errors else 200
