"""The admin's view of the audit trail: search and export, in plain words and clinic time."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, url_for
from sqlmodel import select

from charts.csv_cells import neutralise
from webapp import audit, params
from webapp.admin.audit_rows import EventRow, describe_events
from webapp.admin.audit_words import action_words
from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.models import AuditEvent, Patient

bp = Blueprint("admin_audit", __name__, url_prefix="/admin", template_folder="templates")

PAGE = 200
EXPORT_CHUNK = 500  # events described per batch of look-ups in the CSV export
FILTERS = ("action", "actor", "patient", "since", "until")
NO_PATIENT = -1  # a patient filter that names nobody matches no event, rather than all
COLUMNS = ("id", "at", "actor_type", "actor_id", "actor_label", "action", "record_type",
           "record_id", "patient_id", "ip")
# The raw codes first (as before), then the same event in words.
WORD_COLUMNS = ("at_clinic_time", "who", "what", "record", "study_code")


def _clinic_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def _date(value: str | None, tz: ZoneInfo, end: bool = False) -> datetime | None:
    """Return the start (or end) of a YYYY-MM-DD day in the clinic's zone, else None."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tz)


def _int(value: str | None) -> int | None:
    return params.parse_int(value, low=0)


def _patient_id(db, value: str | None) -> int | None:
    """Return the patient a filter names by study code (or by number), NO_PATIENT if none."""
    value = (value or "").strip()[:32]
    if not value:
        return None
    found = db.exec(select(Patient.id).where(
        sa.func.lower(Patient.study_code) == value.lower())).first()
    if found is not None:
        return found
    number = _int(value)
    return NO_PATIENT if number is None else number


def _filtered_query(db, args, tz: ZoneInfo):
    """Build the search from the query string; every value is a bound parameter."""
    query = select(AuditEvent)
    if args.get("action"):
        query = query.where(AuditEvent.action == args["action"][:60])
    if args.get("actor"):
        query = query.where(AuditEvent.actor_label == args["actor"][:254].strip().lower())
    if (patient_id := _patient_id(db, args.get("patient"))) is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if (since := _date(args.get("since"), tz)) is not None:
        query = query.where(AuditEvent.at >= since)
    if (until := _date(args.get("until"), tz, end=True)) is not None:
        query = query.where(AuditEvent.at <= until)
    return query.order_by(AuditEvent.id.desc())


def _filter_args(args) -> dict[str, str]:
    """The search filters only: other query parameters never reach url_for."""
    return {name: args[name] for name in FILTERS if args.get(name)}


@bp.route("/audit")
@role_required("admin")
def search_audit():
    """Search the audit trail (newest first, 200 a page), in plain words and clinic time."""
    db, tz = get_session(), _clinic_zone()
    query = _filtered_query(db, request.args, tz)
    if (before := _int(request.args.get("before"))) is not None:
        query = query.where(AuditEvent.id < before)
    events = db.exec(query.limit(PAGE)).all()
    codes = sorted(set(db.exec(select(AuditEvent.action).distinct()).all()))
    filters = _filter_args(request.args)
    older = (url_for(".search_audit", **filters, before=events[-1].id)
             if len(events) == PAGE else None)
    return render_template("admin_audit/search_audit.html", rows=describe_events(db, events, tz),
                           actions=[(code, action_words(code)) for code in codes],
                           args=filters, zone=tz.key, older_url=older,
                           export_url=url_for(".export_audit", **filters))


def _csv_cell(value) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, datetime)
                                     else str(value))
    return neutralise(text)


def _csv_row(row: EventRow) -> list[str]:
    raw = [getattr(row.event, c) for c in COLUMNS]
    return [_csv_cell(v) for v in raw + [row.when, row.who, row.what, row.record, row.study_code]]


def _export_rows(db, query, tz: ZoneInfo):
    """Yield CSV rows a chunk at a time, so look-ups stay one query per type per chunk."""
    last = None
    while True:
        chunk = db.exec((query if last is None else query.where(AuditEvent.id < last))
                        .limit(EXPORT_CHUNK)).all()
        yield from (_csv_row(row) for row in describe_events(db, chunk, tz))
        if len(chunk) < EXPORT_CHUNK:
            return
        last = chunk[-1].id


@bp.route("/audit.csv")
@role_required("admin")
def export_audit():
    """Download the matching audit events as CSV (the export itself is audited)."""
    db, tz = get_session(), _clinic_zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS + WORD_COLUMNS)
    count = 0
    for row in _export_rows(db, _filtered_query(db, request.args, tz), tz):
        writer.writerow(row)
        count += 1
    audit.record(db, "audit_exported", detail={"rows": count})
    db.commit()
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
