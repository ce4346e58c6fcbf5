"""Clinician workspace: the patient list, a patient's page and the treatment-session form."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from charts.assets import figure_payload
from charts.response import RESPONDER_LABELS
from charts.trajectory import build_csa_dict, build_trajectory_dicts
from scheduler.localtime import local_instant
from surveys.catalogue import nerves
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import live_patient_or_404, role_required
from webapp.care.forms import procedure_values, region_data, session_form
from webapp.care.patient_list import (
    PatientFilters,
    find_patients,
    pain_responders,
    patient_annotations,
)
from webapp.care.records import (
    add_treatment_session,
    course_of,
    save_procedures,
    update_treatment_session,
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
from webapp.followup.replan import course_region_codes, replan_course
from webapp.gc_pause import paused_gc
from webapp.models import (
    PATIENT_STATUSES,
    Patient,
    TreatmentCourse,
    TreatmentSession,
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


def _course_regions(db, course) -> list[str]:
    return course_region_codes(db, course.id)


def _blank_data(patient: Patient, regions: list[str]) -> dict:
    today = utcnow().astimezone(ZoneInfo(patient.timezone)).date()
    return {"date": today, "time": time(9, 0), "status": "scheduled",
            "regions": [region_data(None) for _ in regions]}


def _copied_data(db, patient: Patient, regions: list[str]) -> dict:
    """Pre-fill the regions from the latest session that has procedure records."""
    data = _blank_data(patient, regions)
    sessions = [s for s in patient_sessions(db, patient.id) if s.status != "cancelled"]
    records = procedures_by_session(db, [s.id for s in sessions])
    latest = next((s for s in reversed(sessions) if records[s.id]), None)
    if latest is None:
        flash("There is no earlier session with treated regions to copy.", "info")
        return data
    by_region = {r.region_code: r for r in records[latest.id]}
    data["regions"] = [region_data(by_region.get(code)) for code in regions]
    return data


def _stored_data(db, patient: Patient, row: TreatmentSession, regions: list[str]) -> dict:
    local = session_instant(row).astimezone(ZoneInfo(patient.timezone))
    by_region = {r.region_code: r for r in procedures_by_session(db, [row.id])[row.id]}
    return {"date": local.date(), "time": local.time().replace(second=0, microsecond=0),
            "status": row.status, "notes": row.notes or "",
            "regions": [region_data(by_region.get(code)) for code in regions]}


def _entered_instant(form, patient: Patient):
    """Return the UTC instant of the entered local date and time, or None with a form error."""
    instant = local_instant(form.date.data, form.time.data, ZoneInfo(patient.timezone))
    if form.status.data == "performed" and instant > utcnow():
        form.status.errors = [*form.status.errors,
                              "A session in the future cannot be marked performed."]
        return None
    return instant


def _write_session(db, course, row, form, instant, regions: list[str]) -> TreatmentSession:
    """Store the session and its per-region records (new or edited); the caller commits."""
    performed = instant if form.status.data == "performed" else None
    notes = (form.notes.data or "").strip() or None
    if row is None:
        row = add_treatment_session(db, course=course, scheduled_at=instant,
                                    performed_at=performed, status=form.status.data, notes=notes)
    else:
        update_treatment_session(db, course=course, row=row, scheduled_at=instant,
                                 performed_at=performed, status=form.status.data, notes=notes,
                                 now=utcnow())
    save_procedures(db, row, {
        code: procedure_values(entry.form) if entry.form.treated.data else None
        for code, entry in zip(regions, form.regions.entries, strict=True)})
    return row


def _handle_session_form(patient: Patient, course, row: TreatmentSession | None, data: dict):
    db = get_session()
    regions = _course_regions(db, course)
    form = session_form(len(regions), data=data)
    if form.validate_on_submit():
        instant = _entered_instant(form, patient)
        if instant is not None:
            row = _write_session(db, course, row, form, instant, regions)
            actor = request_actor()
            replan_course(db, course.id, now=utcnow(), actor=actor)
            audit.record(db, "session_edited" if data.get("editing") else "session_recorded",
                         record_type="treatment_session", record_id=row.id,
                         patient_id=patient.id, detail={"status": row.status})
            db.commit()
            flash("Session saved; the follow-up plan was updated.", "info")
            return redirect(url_for("clinician.show_patient", patient_id=patient.id))
    if request.method == "GET":
        audit.record(db, "session_form_viewed", record_type="treatment_session",
                     record_id=row.id if row else None, patient_id=patient.id)
        db.commit()
    status = 400 if request.method == "POST" else 200
    return render_template("clinician/edit_session.html", form=form, patient=patient, row=row,
                           labels=[region_label(code) for code in regions]), status


@bp.route("/patients/<int:patient_id>/sessions/new", methods=["GET", "POST"])
@role_required("clinician")
def new_session(patient_id: int):
    """Record a new treatment session (`?copy=previous` pre-fills the regions)."""
    patient = live_patient_or_404(patient_id)
    db = get_session()
    course = course_of(db, patient.id)
    if course is None:
        abort(404)
    regions = _course_regions(db, course)
    copy = request.method == "GET" and request.args.get("copy") == "previous"
    data = _copied_data(db, patient, regions) if copy else _blank_data(patient, regions)
    return _handle_session_form(patient, course, None, data)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required("clinician")
def edit_session(session_id: int):
    """Edit a treatment session and its per-region records."""
    db = get_session()
    row = db.get(TreatmentSession, session_id)
    if row is None:
        abort(404)
    course = db.get(TreatmentCourse, row.course_id)
    patient = live_patient_or_404(course.patient_id)
    data = _stored_data(db, patient, row, _course_regions(db, course))
    data["editing"] = True
    return _handle_session_form(patient, course, row, data)
