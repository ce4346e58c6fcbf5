"""Coordinator workspace: the patient list and the patient page with its actions.

The worklist (``worklist_views``), enrolment (``enrol_views``) and the clinic's schedule grid
(``schedule_views``) add their routes to the same coordinator blueprint.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from surveys.catalogue import get_region
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import ActionForm, live_patient_or_404, role_required
from webapp.care.records import CareError
from webapp.db import get_session
from webapp.followup.reminder_choices import reminder_choices
from webapp.followup.replan import course_region_codes
from webapp.models import Patient, StaffUser, SurveyAssignment, TreatmentCourse, utcnow
from webapp.patients import (  # noqa: F401  (routes on this blueprint)
    enrol_views,
    schedule_views,
    worklist_views,
)
from webapp.patients.actions import (
    CONTACT_FIELDS,
    STATUS_ACTIONS,
    add_contact,
    change_status,
    request_resend,
    set_index_region,
    update_contact,
    zones_first,
)
from webapp.patients.blueprint import bp
from webapp.patients.enrolment import parse_tags
from webapp.patients.forms import (
    ContactDetailsForm,
    ContactLogForm,
    IndexRegionForm,
    language_choices,
)
from webapp.patients.queries import contact_history, patient_summaries, reminder_history
from webapp.patients.schedule import patient_grid

CSS = "coordinator.css"


@bp.route("/patients")
@role_required("coordinator")
def list_patients():
    """List patients with protocol and next follow-up; search by study code or first name."""
    search = (request.args.get("q") or "").strip()[:80]
    summaries = patient_summaries(get_session(), utcnow(), search or None)
    return render_template("coordinator/list_patients.html", summaries=summaries, search=search)


def _staff_names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = get_session().exec(select(StaffUser).where(StaffUser.id.in_(ids))).all()
    return {u.id: u.name for u in rows}


def _latest_course(patient: Patient) -> TreatmentCourse | None:
    return get_session().exec(select(TreatmentCourse).where(
        TreatmentCourse.patient_id == patient.id).order_by(TreatmentCourse.id.desc())).first()


def _region_choices(course: TreatmentCourse | None) -> list[SelectChoice]:
    if course is None:
        return []
    out = []
    for code in course_region_codes(get_session(), course.id):
        region = get_region(code)
        out.append(SelectChoice(code, f"{region.nerve_name} · {region.side} · {region.site_name}"))
    return out


def _contact_form(patient: Patient, form: ContactDetailsForm | None = None) -> ContactDetailsForm:
    if form is None:
        form = ContactDetailsForm(obj=patient)
        form.tags.data = ", ".join(patient.tags or [])
    form.language.choices = language_choices(current_app.config, patient.language)
    return form


def _index_form(course: TreatmentCourse | None, form=None) -> IndexRegionForm:
    form = form or IndexRegionForm(index_region=course.index_region_code if course else None)
    form.index_region.choices = _region_choices(course)
    return form


def render_patient(patient: Patient, *, status: int = 200, errors=None, contact_form=None,
                   log_form=None, index_form=None):
    """Render the patient page (no audit: the caller records why it was shown)."""
    db = get_session()
    contacts = contact_history(db, patient.id)
    actions = [a for a, (allowed, _t) in STATUS_ACTIONS.items() if patient.status in allowed]
    course, now = _latest_course(patient), utcnow()
    return render_template(
        "coordinator/show_patient.html", patient=patient, tz=ZoneInfo(patient.timezone),
        grid=patient_grid(db, patient, now), reminders=reminder_history(db, patient.id),
        contacts=contacts, staff=_staff_names(c.staff_user_id for c in contacts),
        actions=actions, errors=errors or [], action_form=ActionForm(), now=now,
        reminder_choice=reminder_choices(db, now=now, patient_ids=[patient.id]).get(patient.id),
        one_second=timedelta(seconds=1), course=course,
        zones=zones_first(current_app.config.get("CLINIC_TIMEZONE", "UTC")),
        contact_form=_contact_form(patient, contact_form),
        index_form=_index_form(course, index_form),
        log_form=log_form or ContactLogForm()), status


@bp.route("/patients/<int:patient_id>")
@role_required("coordinator")
def show_patient(patient_id: int):
    """Show a patient's contact details, schedule, reminders and contact log (audited)."""
    db = get_session()
    patient = live_patient_or_404(patient_id)
    audit.record(db, "patient_viewed", record_type="patient", record_id=patient.id,
                 patient_id=patient.id, detail={"page": "coordinator"})
    db.commit()
    return render_patient(patient)


@bp.route("/patients/<int:patient_id>/contact-details", methods=["POST"])
@role_required("coordinator")
def update_contact_details(patient_id: int):
    """Change how a patient is reached; a zone or channel change re-plans reminders."""
    db = get_session()
    patient = live_patient_or_404(patient_id)
    form = _contact_form(patient, ContactDetailsForm())
    if not form.validate_on_submit():
        return render_patient(patient, status=400, contact_form=form)
    values = {f: (getattr(form, f).data or "").strip() or None for f in CONTACT_FIELDS}
    values["tags"] = parse_tags(form.tags.data)
    changed = update_contact(db, patient, values, now=utcnow(), actor=request_actor())
    if changed:
        audit.record(db, "patient_contact_updated", record_type="patient", record_id=patient.id,
                     patient_id=patient.id, detail={"fields": changed})
    db.commit()
    flash("Contact details saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("coordinator.show_patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/status", methods=["POST"])
@role_required("coordinator")
def change_patient_status(patient_id: int):
    """Pause, resume, withdraw or discharge a patient, then re-plan their follow-ups."""
    db = get_session()
    patient = live_patient_or_404(patient_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    try:
        before = change_status(db, patient, action, now=utcnow(), actor=request_actor())
    except CareError as exc:
        db.rollback()
        return render_patient(patient, status=400, errors=[str(exc)])
    audit.record(db, "patient_status_changed", record_type="patient", record_id=patient.id,
                 patient_id=patient.id, detail={"from": before, "to": patient.status})
    db.commit()
    flash(f"Patient is now {patient.status}.", "info")
    return redirect(url_for("coordinator.show_patient", patient_id=patient.id))


def _back(patient: Patient):
    if request.form.get("next") == "worklist":
        return redirect(url_for("coordinator.show_worklist"))
    return redirect(url_for("coordinator.show_patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/contacts", methods=["POST"])
@role_required("coordinator")
def log_contact(patient_id: int):
    """Log a phone call or a note (from the worklist or the patient page)."""
    db = get_session()
    patient = live_patient_or_404(patient_id)
    form = ContactLogForm()
    if not form.validate_on_submit():
        return render_patient(patient, status=400, log_form=form)
    assignment_id = int(form.assignment_id.data) if form.assignment_id.data else None
    try:
        row = add_contact(db, patient, kind=form.kind.data, note=(form.note.data or "").strip(),
                          staff_user_id=current_user.id, now=utcnow(),
                          assignment_id=assignment_id)
    except CareError as exc:
        db.rollback()
        return render_patient(patient, status=400, errors=[str(exc)])
    action = "patient_contacted_by_phone" if row.kind == "phone" else "contact_note_added"
    audit.record(db, action, record_type="contact_log", record_id=row.id, patient_id=patient.id,
                 detail={"assignment_id": assignment_id})
    db.commit()
    flash("Saved to the contact log.", "info")
    return _back(patient)


@bp.route("/assignments/<int:assignment_id>/resend", methods=["POST"])
@role_required("coordinator")
def resend_reminder(assignment_id: int):
    """Queue one more reminder now, on the patient's preferred channel."""
    db = get_session()
    assignment = db.get(SurveyAssignment, assignment_id)
    if assignment is None:
        abort(404)
    patient = live_patient_or_404(assignment.patient_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = utcnow()
    try:
        reminder = request_resend(db, assignment, patient, now=now)
    except CareError as exc:
        db.rollback()
        return render_patient(patient, status=400, errors=[str(exc)])
    add_contact(db, patient, kind="resend", note=None, staff_user_id=current_user.id, now=now,
                assignment_id=assignment.id)
    audit.record(db, "reminder_resend_requested", record_type="reminder", record_id=reminder.id,
                 patient_id=patient.id,
                 detail={"assignment_id": assignment.id, "channel": reminder.channel})
    db.commit()
    flash("A reminder will be sent within a minute.", "info")
    return _back(patient)


@bp.route("/patients/<int:patient_id>/index-region", methods=["POST"])
@role_required("coordinator")
def change_index_region(patient_id: int):
    """Choose the region the patient's course is analysed by (one of its regions; audited)."""
    db = get_session()
    patient = live_patient_or_404(patient_id)
    course = _latest_course(patient)
    form = _index_form(course, IndexRegionForm())
    if course is None or not form.validate_on_submit():
        return render_patient(patient, status=400, index_form=form)
    try:
        changed = set_index_region(db, course, form.index_region.data, now=utcnow())
    except CareError as exc:
        db.rollback()
        return render_patient(patient, status=400, errors=[str(exc)])
    if changed:
        audit.record(db, "course_index_region_changed", record_type="treatment_course",
                     record_id=course.id, patient_id=patient.id)
    db.commit()
    flash("Index region saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("coordinator.show_patient", patient_id=patient.id))
