"""Clinician workspace: the patient list, a patient's page and the treatment-session form."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request

from charts.assets import figure_payload
from charts.response import RESPONDER_LABELS
from charts.trajectory import build_csa_dict, build_trajectory_dicts
from surveys.catalogue import nerves
from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.care.patient_list import (
    PatientFilters,
    find_patients,
    pain_responders,
    patient_annotations,
)
from webapp.care.trajectory import (
    at_a_glance,
    outcome_summary,
    patient_sessions,
    procedures_by_session,
    region_label,
    session_instant,
    trajectory_data,
)
from webapp.db import get_session
from webapp.gc_pause import paused_gc
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
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


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


def patient_figures(data) -> list[tuple[str, str, str]]:
    """Return (name, title, JSON payload) for each trajectory figure and the CSA panel."""
    # Plain figure dicts, not go.Figure: identical JSON without two deep copies of every point.
    figures = build_trajectory_dicts(data)
    out = [(name, fig["layout"]["yaxis"]["title"]["text"], figure_payload(fig))
           for name, fig in figures.items()]
    csa = build_csa_dict(data)
    if csa is not None:
        out.append(("csa", "Cross-sectional area against pain", figure_payload(csa)))
    return out


def patient_page(db, patient_id: int, library=None, *, sessions=None,
                 records=None) -> tuple[list, list[dict]]:
    """Return the patient page's (name, title, payload) figures and its outcome summary.

    `sessions` and `records`, when the caller already read them, are not read again.
    """
    with paused_gc():  # 2 years of weekly answers is thousands of tuples: webapp/gc_pause.py
        data = trajectory_data(db, patient_id, library, sessions=sessions, records=records)
        return patient_figures(data), outcome_summary(data)


@bp.route("/patients/<int:patient_id>")
@role_required("clinician")
def show_patient(patient_id: int):
    """A patient's sessions and trajectory dashboard."""
    patient = live_patient_or_404(patient_id)
    db = get_session()
    g.allow_inline_styles = True  # plotly.js injects <style>; scripts stay 'self' only
    sessions = patient_sessions(db, patient_id)
    records = procedures_by_session(db, [s.id for s in sessions])
    figures, summary = patient_page(db, patient_id, sessions=sessions, records=records)
    audit.record(db, "patient_dashboard_viewed", record_type="patient", record_id=patient_id,
                 patient_id=patient_id)
    db.commit()
    return render_template(
        "clinician/show_patient.html", patient=patient, sessions=sessions, records=records,
        figures=figures, summary=summary, glance=at_a_glance(summary),
        region_label=region_label, tz=ZoneInfo(patient.timezone),
        session_instant=session_instant)

