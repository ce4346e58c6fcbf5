"""Coordinator workspace: enrolment, patient pages and the follow-up worklist."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from scheduler.plan_model import PlanError
from surveys.catalogue import load_regions
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import ActionForm, live_patient_or_404, role_required
from webapp.care.records import CareError
from webapp.db import get_session
from webapp.followup.worklist import CATEGORIES, completion_rates, timepoint_keys, worklist_rows
from webapp.models import Patient, StaffUser, SurveyAssignment, utcnow
from webapp.patients.actions import (
    CONTACT_FIELDS,
    STATUS_ACTIONS,
    ZONES,
    Enrolment,
    add_contact,
    change_status,
    enrol,
    preview_plan,
    preview_rows,
    regions_by_limb,
    request_resend,
    update_contact,
)
from webapp.patients.forms import ContactDetailsForm, ContactLogForm, EnrolmentForm
from webapp.patients.queries import (
    contact_history,
    patient_schedule,
    patient_summaries,
    reminder_history,
)
from webapp.protocols.store import ensure_default_protocol, latest_versions

bp = Blueprint("coordinator", __name__, url_prefix="/coordinate", template_folder="templates")
CSS = "coordinator.css"


def _worklist_filters() -> tuple[dict, list[str]]:
    """Read the filters from the query string, keeping only allow-listed values."""
    errors, filters = [], {}
    category = request.args.get("status") or None
    if category and category not in CATEGORIES:
        errors.append("Unknown status filter: choose due, overdue or missed.")
    elif category:
        filters["category"] = category
    timepoint = request.args.get("timepoint") or None
    if timepoint and timepoint not in timepoint_keys(get_session()):
        errors.append("Unknown timepoint filter.")
    elif timepoint:
        filters["timepoint"] = timepoint
    return filters, errors


@bp.route("/worklist")
@role_required("coordinator")
def show_worklist():
    """Show who is due, overdue or missed, with completion rates per timepoint."""
    db = get_session()
    now = utcnow()
    filters, errors = _worklist_filters()
    rows = [] if errors else worklist_rows(db, now, **filters)
    return render_template("coordinator/show_worklist.html", rows=rows, errors=errors,
                           rates=completion_rates(db, now), keys=timepoint_keys(db),
                           categories=CATEGORIES, filters=filters, now=now,
                           action_form=ActionForm(), contact_form=ContactLogForm()), \
        400 if errors else 200


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


def render_patient(patient: Patient, *, status: int = 200, errors=None, contact_form=None,
                   log_form=None):
    """Render the patient page (no audit: the caller records why it was shown)."""
    db = get_session()
    contacts = contact_history(db, patient.id)
    actions = [a for a, (allowed, _t) in STATUS_ACTIONS.items() if patient.status in allowed]
    return render_template(
        "coordinator/show_patient.html", patient=patient, tz=ZoneInfo(patient.timezone),
        schedule=patient_schedule(db, patient.id), reminders=reminder_history(db, patient.id),
        contacts=contacts, staff=_staff_names(c.staff_user_id for c in contacts),
        actions=actions, errors=errors or [], action_form=ActionForm(), now=utcnow(),
        one_second=timedelta(seconds=1),
        contact_form=contact_form or ContactDetailsForm(obj=patient),
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
    form = ContactDetailsForm()
    if not form.validate_on_submit():
        return render_patient(patient, status=400, contact_form=form)
    values = {f: (getattr(form, f).data or "").strip() or None for f in CONTACT_FIELDS}
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


def _enrolment_form() -> EnrolmentForm:
    db = get_session()
    ensure_default_protocol(db)
    db.commit()
    form = EnrolmentForm()
    form.regions.choices = [SelectChoice(r.code, r.code) for r in load_regions()]
    form.protocol_version_id.choices = [
        SelectChoice(v.id, f"{p.name} (version {v.version})") for p, v in latest_versions(db)]
    if request.method == "GET":
        form.enrolled_on.data = utcnow().date()
    return form


def _enrolment_from(form: EnrolmentForm) -> Enrolment:
    def text(field):
        return (field.data or "").strip() or None

    return Enrolment(study_code=form.study_code.data.strip(),
                     first_name=form.first_name.data.strip(), email=text(form.email),
                     phone=text(form.phone), timezone=form.timezone.data.strip(),
                     language=form.language.data.strip(),
                     preferred_channel=form.preferred_channel.data,
                     consent_date=form.consent_date.data, regions=list(form.regions.data),
                     protocol_version_id=form.protocol_version_id.data,
                     enrolled_on=form.enrolled_on.data,
                     first_session_local=form.first_session.data)


@bp.route("/patients/new", methods=["GET", "POST"])
@role_required("coordinator")
def enrol_new_patient():
    """Enrol a patient: "Preview schedule" plans without saving, "Enrol" saves and plans."""
    form = _enrolment_form()
    preview, errors = None, []
    if form.validate_on_submit():
        enrolment = _enrolment_from(form)
        try:
            if request.form.get("action") != "enrol":
                preview = preview_rows(preview_plan(get_session(), enrolment, now=utcnow()),
                                       ZoneInfo(enrolment.timezone))
            else:
                return _save_enrolment(enrolment)
        except (CareError, PlanError) as exc:
            get_session().rollback()
            _attach_error(form, errors, str(exc))
    status = 400 if request.method == "POST" and (form.errors or errors) else 200
    return render_template("coordinator/enrol_new_patient.html", form=form, errors=errors,
                           preview=preview, region_groups=regions_by_limb(),
                           zones=ZONES), status


def _attach_error(form: EnrolmentForm, errors: list[str], message: str) -> None:
    if "Study code" in message:
        form.study_code.errors = [message]
    else:
        errors.append(message)


def _save_enrolment(enrolment: Enrolment):
    db = get_session()
    course = enrol(db, enrolment, now=utcnow(), actor=request_actor())
    audit.record(db, "patient_enrolled", record_type="patient", record_id=course.patient_id,
                 patient_id=course.patient_id,
                 detail={"course_id": course.id, "protocol_version_id": course.protocol_version_id,
                         "regions": len(enrolment.regions)})
    db.commit()
    flash(f"Enrolled {enrolment.study_code}.", "info")
    return redirect(url_for("coordinator.show_patient", patient_id=course.patient_id))
