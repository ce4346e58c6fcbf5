"""The admin's view of the audit trail: search and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time

from flask import Blueprint, Response, render_template, request
from sqlmodel import select

from charts.csv_cells import neutralise
from webapp import audit
from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.models import AuditEvent

bp = Blueprint("admin_audit", __name__, url_prefix="/admin", template_folder="templates")

PAGE = 200
COLUMNS = ("id", "at", "actor_type", "actor_id", "actor_label", "action", "record_type",
           "record_id", "patient_id", "ip")


def _date(value: str | None, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, UTC)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _filtered_query(args):
    """Build the search from the query string; every value is a bound parameter."""
    query = select(AuditEvent)
    if args.get("action"):
        query = query.where(AuditEvent.action == args["action"][:60])
    if args.get("actor"):
        query = query.where(AuditEvent.actor_label == args["actor"][:254].strip().lower())
    if (patient_id := _int(args.get("patient"))) is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if (since := _date(args.get("since"))) is not None:
        query = query.where(AuditEvent.at >= since)
    if (until := _date(args.get("until"), end=True)) is not None:
        query = query.where(AuditEvent.at <= until)
    return query.order_by(AuditEvent.id.desc())


@bp.route("/audit")
@role_required("admin")
def search_audit():
    """Search the audit trail (newest first, 200 a page)."""
    db = get_session()
    query = _filtered_query(request.args)
    if (before := _int(request.args.get("before"))) is not None:
        query = query.where(AuditEvent.id < before)
    events = db.exec(query.limit(PAGE)).all()
    actions = sorted(set(db.exec(select(AuditEvent.action).distinct()).all()))
    return render_template("admin_audit/search_audit.html", events=events, actions=actions,
                           args=request.args, page=PAGE)


def _csv_cell(value) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, datetime)
                                     else str(value))
    return neutralise(text)


@bp.route("/audit.csv")
@role_required("admin")
def export_audit():
    """Download the matching audit events as CSV (the export itself is audited)."""
    db = get_session()
    events = db.exec(_filtered_query(request.args)).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow([_csv_cell(getattr(event, c)) for c in COLUMNS])
    audit.record(db, "audit_exported", detail={"rows": len(events)})
    db.commit()
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
