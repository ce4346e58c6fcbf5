"""Clinician workspace: the patient list, a patient's page and the treatment-session form."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, request

from charts.response import RESPONDER_LABELS
from surveys.catalogue import nerves
from webapp import audit, params
from webapp.auth.security import live_patient_or_404, role_required
from webapp.care.patient_list import (
    PatientFilters,
    find_patients,
    pain_responders,
    patient_annotations,
)
from webapp.care.patient_view import build_patient_view
from webapp.care.report import overall_rows, report_panels, report_regions, report_sessions
from webapp.care.trajectory import (
    at_a_glance,
    patient_sessions,
    procedures_by_session,
    region_label,
    session_instant,
    session_numbers,
)
from webapp.db import get_session
from webapp.models import (
    PATIENT_STATUSES,
    utcnow,
)

bp = Blueprint("clinician", __name__, url_prefix="/clinic", template_folder="templates")

PAGE_SIZE = 100
NO_DATA = "no data"
RESPONDER_CHOICES = (*RESPONDER_LABELS, NO_DATA)


def _allowed(name: str, allowed, errors: list[str]) -> str:
    value = request.args.get(name, "").strip()
    if value and value not in allowed:
        errors.append(f"Unknown {name} filter: choose one from the list.")
        return ""
    return value


def parse_filters() -> tuple[PatientFilters, list[str]]:
    """Read the list's query parameters, keeping only values on their allow-lists."""
    errors: list[str] = []
    filters = PatientFilters(
        q=request.args.get("q", "").strip()[:80],
        nerve=_allowed("nerve", {slug for slug, _ in nerves()}, errors),
        status=_allowed("status", PATIENT_STATUSES, errors),
        responder=_allowed("responder", RESPONDER_CHOICES, errors),
        flags=_allowed("flags", {"1"}, errors) == "1",
        overdue=_allowed("overdue", {"1"}, errors) == "1",
    )
    return filters, errors


def _page_number() -> int:
    return params.int_arg("page", 1)


@bp.route("/patients")
@role_required("clinician")
def list_patients():
    """List the clinic's patients with search and filters."""
    db = get_session()
    filters, errors = parse_filters()
    today = utcnow().date()
    patients = find_patients(db, filters, today=today)
    responders = None
    if filters.responder:
        responders = pain_responders(db)
        patients = [p for p in patients if responders.get(p.id, NO_DATA) == filters.responder]
    page = _page_number()
    shown = patients[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    ids = [p.id for p in shown]
    if responders is None:
        responders = pain_responders(db, ids) if ids else {}
    notes = patient_annotations(db, ids, today=today)
    audit.record(db, "patient_list_viewed", detail={"shown": len(shown)})
    db.commit()
    return render_template(
        "clinician/list_patients.html", patients=shown, notes=notes, responders=responders,
        filters=filters, errors=errors, total=len(patients), page=page, page_size=PAGE_SIZE,
        nerve_choices=nerves(), statuses=PATIENT_STATUSES, responder_choices=RESPONDER_CHOICES,
        no_data=NO_DATA), 400 if errors else 200


def patient_page(db, patient_id: int, library=None, *, sessions=None,
                 records=None) -> tuple[list[tuple[str, str, str]], list[dict]]:
    """Return (name, title, interactive figure JSON) per panel and the outcome summary.

    The page's whole work (queries, SVG panels, figures, JSON), as bench/bench_dashboard.py
    measures it; `sessions` and `records`, when the caller already read them, are not read
    again.
    """
    view = build_patient_view(db, patient_id, library, sessions=sessions, records=records)
    return [(p.name, p.title, p.payload) for p in view.panels], view.summary


def _patient_context(patient_id: int, *, interactive: bool) -> dict:
    """Read a patient's sessions and trajectory once for the page or the report."""
    patient = live_patient_or_404(patient_id)
    db = get_session()
    sessions = patient_sessions(db, patient_id)
    records = procedures_by_session(db, [s.id for s in sessions])
    view = build_patient_view(db, patient_id, sessions=sessions, records=records,
                              interactive=interactive)
    return {"patient": patient, "sessions": sessions, "records": records, "view": view,
            "numbers": session_numbers(sessions), "glance": at_a_glance(view.summary),
            "region_label": region_label, "tz": ZoneInfo(patient.timezone),
            "session_instant": session_instant}


@bp.route("/patients/<int:patient_id>")
@role_required("clinician")
def show_patient(patient_id: int):
    """A patient's outcomes, per-region panels (interactive on demand) and sessions."""
    context = _patient_context(patient_id, interactive=True)
    g.allow_inline_styles = True  # plotly.js injects <style>; scripts stay 'self' only
    db = get_session()
    audit.record(db, "patient_dashboard_viewed", record_type="patient", record_id=patient_id,
                 patient_id=patient_id)
    db.commit()
    return render_template("clinician/show_patient.html", **context)


@bp.route("/patients/<int:patient_id>/report")
@role_required("clinician")
def show_report(patient_id: int):
    """A patient's one-page printable report for the referring doctor (no script)."""
    context = _patient_context(patient_id, interactive=False)
    view, tz = context["view"], context["tz"]
    regions = report_regions(view, context["records"])
    lines = report_sessions(context["sessions"], context["records"], context["numbers"],
                            regions, lambda s: session_instant(s).astimezone(tz))
    db = get_session()
    # Audited like an export: it is meant to leave the clinic, on paper or as a PDF.
    audit.record(db, "patient_report_viewed", record_type="patient", record_id=patient_id,
                 patient_id=patient_id)
    db.commit()
    return render_template(
        "clinician/show_report.html", printed_on=utcnow().astimezone(tz),
        clinic=current_app.config.get("CLINIC_NAME", ""), regions=regions, lines=lines,
        overall=overall_rows(view), panels=report_panels(view), **context)
