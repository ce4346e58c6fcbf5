"""The clinician's session form: record a treatment session and what was done per region."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for

from scheduler.localtime import local_instant
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import live_patient_or_404, role_required
from webapp.care.forms import procedure_values, region_data, session_form, treated_indexes
from webapp.care.records import (
    DUPLICATE_WINDOW,
    add_treatment_session,
    course_of,
    save_procedures,
    sessions_near,
    update_treatment_session,
)
from webapp.care.trajectory import (
    patient_sessions,
    procedures_by_session,
    region_label,
    session_instant,
)
from webapp.care.views import bp
from webapp.db import get_session
from webapp.followup.replan import course_region_codes, replan_course
from webapp.models import (
    Patient,
    TreatmentCourse,
    TreatmentSession,
    utcnow,
)


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


NO_REGION = ("Tick at least one region treated in this session; nothing was saved. "
             "(Only a cancelled session may have no region.)")


def _has_treated_region(form) -> bool:
    """Refuse a live session with no region ticked (a form error); a cancelled one may have none."""
    if form.status.data == "cancelled" or treated_indexes(form):
        return True
    form.form_errors.append(NO_REGION)
    return False


def _confirmation_key(instant: datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%MZ}"


def _duplicate_check(db, patient: Patient, row, form, instant: datetime):
    """Return (the warning to show, or None; whether a nearby session was confirmed)."""
    if form.status.data == "cancelled":
        return None, False
    near = sessions_near(db, patient_id=patient.id, instant=instant,
                         exclude_id=row.id if row else None)
    if not near:
        return None, False
    if form.confirm_duplicate.data == _confirmation_key(instant):
        return None, True
    local = session_instant(near[0]).astimezone(ZoneInfo(patient.timezone))
    return {"key": _confirmation_key(instant), "status": near[0].status,
            "when": f"{local:%d %b %Y %H:%M}",
            "hours": int(DUPLICATE_WINDOW.total_seconds() // 3600)}, False


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


def _store(db, patient: Patient, course, row, form, instant, regions, confirmed: bool):
    """Write the session, re-plan the course, audit and commit."""
    action = "session_edited" if row is not None else "session_recorded"
    row = _write_session(db, course, row, form, instant, regions)
    replan_course(db, course.id, now=utcnow(), actor=request_actor())
    detail = {"status": row.status, **({"duplicate_confirmed": True} if confirmed else {})}
    audit.record(db, action, record_type="treatment_session", record_id=row.id,
                 patient_id=patient.id, detail=detail)
    db.commit()


def _handle_session_form(patient: Patient, course, row: TreatmentSession | None, data: dict):
    db = get_session()
    regions = _course_regions(db, course)
    form = session_form(len(regions), data=data)
    duplicate = None
    if form.validate_on_submit():
        instant = _entered_instant(form, patient)
        if instant is not None and _has_treated_region(form):
            duplicate, confirmed = _duplicate_check(db, patient, row, form, instant)
            if duplicate is None:
                _store(db, patient, course, row, form, instant, regions, confirmed)
                flash("Session saved; the follow-up plan was updated.", "info")
                return redirect(url_for("clinician.show_patient", patient_id=patient.id))
    if request.method == "GET":
        audit.record(db, "session_form_viewed", record_type="treatment_session",
                     record_id=row.id if row else None, patient_id=patient.id)
        db.commit()
    # 409: a likely duplicate waits for the clinician's confirmation; nothing was stored.
    status = 200 if request.method == "GET" else 409 if duplicate else 400
    return render_template("clinician/edit_session.html", form=form, patient=patient, row=row,
                           labels=[region_label(code) for code in regions],
                           duplicate=duplicate), status


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
    return _handle_session_form(patient, course, row, data)
