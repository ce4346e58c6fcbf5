"""The follow-up worklist: it starts with today, and its columns sort from an allow-list."""

from __future__ import annotations

from flask import render_template, request

from webapp.auth.security import ActionForm, role_required
from webapp.db import get_session
from webapp.followup.reminder_choices import reminder_choices
from webapp.followup.worklist import (
    CATEGORIES,
    SORT_KEYS,
    completion_rates,
    named,
    sort_rows,
    timepoint_labels,
    worklist_rows,
)
from webapp.models import utcnow
from webapp.patients.blueprint import bp
from webapp.patients.forms import ContactLogForm
from webapp.patients.naming import occurrence_names


def _worklist_filters(labels: dict[str, str]) -> tuple[dict, list[str]]:
    """Read the filters from the query string, keeping only allow-listed values."""
    errors, filters = [], {}
    category = request.args.get("status") or None
    if category and category not in CATEGORIES:
        errors.append("Unknown status filter: choose due, overdue or missed.")
    elif category:
        filters["category"] = category
    timepoint = request.args.get("timepoint") or None
    if timepoint and timepoint not in labels:
        errors.append("Unknown timepoint filter.")
    elif timepoint:
        filters["timepoint"] = timepoint
    return filters, errors


def _worklist_sort() -> tuple[str | None, bool, list[str]]:
    """The sort key and direction from the query string (allow-listed), default: today's order."""
    sort = request.args.get("sort") or None
    direction = request.args.get("dir") or "asc"
    if (sort and sort not in SORT_KEYS) or direction not in ("asc", "desc"):
        return None, False, [f"Unknown sort: choose one of {', '.join(SORT_KEYS)}."]
    return sort, direction == "desc", []


@bp.route("/worklist")
@role_required("coordinator")
def show_worklist():
    """What is due or overdue now (oldest first), then missed in the last 30 days; sortable."""
    db = get_session()
    now = utcnow()
    labels = timepoint_labels(db)
    filters, errors = _worklist_filters(labels)
    sort, descending, sort_errors = _worklist_sort()
    errors += sort_errors
    rows = [] if errors else worklist_rows(db, now, **filters)
    rows = named(rows, occurrence_names(db, (r.assignment for r in rows)))
    if sort:
        rows = sort_rows(rows, sort, descending)
    choices = reminder_choices(db, now=now, patient_ids=sorted({r.patient.id for r in rows}))
    return render_template("coordinator/show_worklist.html", rows=rows, errors=errors,
                           reminder_choices=choices,
                           rates=completion_rates(db, now), labels=labels,
                           categories=CATEGORIES, filters=filters, now=now, sort=sort,
                           filters_args={"status": filters.get("category"),
                                         "timepoint": filters.get("timepoint")},
                           descending=descending, action_form=ActionForm(),
                           contact_form=ContactLogForm()), 400 if errors else 200
