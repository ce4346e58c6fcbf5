"""Enrolment: the form with its schedule preview beside it, then the patient, course and plan.

"Preview schedule" plans without storing anything; "Enrol" stores the patient, the course, its
regions and first session, and plans the follow-ups at once (a window already open gets its first
reminder now, outside quiet hours).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from scheduler.plan_model import PlanError
from surveys.catalogue import load_regions
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import role_required
from webapp.care.records import CareError
from webapp.db import get_session
from webapp.models import utcnow
from webapp.patients.actions import (
    Enrolment,
    enrol,
    preview_plan,
    preview_rows,
    regions_by_limb,
    zones_first,
)
from webapp.patients.blueprint import bp
from webapp.patients.enrolment import check_index_region, parse_tags
from webapp.patients.forms import EnrolmentForm, language_choices
from webapp.protocols.lookups import instrument_titles
from webapp.protocols.store import ensure_default_protocol, latest_versions


def clinic_zone() -> str:
    """The clinic's IANA time zone (NERVETRACK_CLINIC_TIMEZONE), listed first."""
    return current_app.config.get("CLINIC_TIMEZONE", "UTC")


def _enrolment_form() -> EnrolmentForm:
    db = get_session()
    ensure_default_protocol(db)
    db.commit()
    form = EnrolmentForm()
    form.regions.choices = [SelectChoice(r.code, r.code) for r in load_regions()]
    form.protocol_version_id.choices = [
        SelectChoice(v.id, f"{p.name} (version {v.version})") for p, v in latest_versions(db)]
    form.language.choices = language_choices(current_app.config)
    if request.method == "GET":
        form.enrolled_on.data = utcnow().date()
        form.timezone.data = clinic_zone()
        form.language.data = form.language.choices[0].value
    return form


def _enrolment_from(form: EnrolmentForm) -> Enrolment:
    def text(field):
        return (field.data or "").strip() or None

    regions = list(form.regions.data)
    return Enrolment(study_code=form.study_code.data.strip(),
                     first_name=form.first_name.data.strip(), email=text(form.email),
                     phone=text(form.phone), timezone=form.timezone.data.strip(),
                     language=form.language.data, preferred_channel=form.preferred_channel.data,
                     consent_date=form.consent_date.data, regions=regions,
                     protocol_version_id=form.protocol_version_id.data,
                     enrolled_on=form.enrolled_on.data,
                     first_session_local=form.first_session.data,
                     tags=tuple(parse_tags(form.tags.data)),
                     index_region=check_index_region(text(form.index_region), regions))


@bp.route("/patients/new", methods=["GET", "POST"])
@role_required("coordinator")
def enrol_new_patient():
    """Enrol a patient: "Preview schedule" plans without saving, "Enrol" saves and plans."""
    form = _enrolment_form()
    preview, errors = None, []
    if form.validate_on_submit():
        try:
            enrolment = _enrolment_from(form)
            if request.form.get("action") != "enrol":
                plan = preview_plan(get_session(), enrolment, now=utcnow())
                preview = preview_rows(plan, ZoneInfo(enrolment.timezone), instrument_titles())
            else:
                return _save_enrolment(enrolment)
        except (CareError, PlanError) as exc:
            get_session().rollback()
            _attach_error(form, errors, str(exc))
    status = 400 if request.method == "POST" and (form.errors or errors) else 200
    return render_template("coordinator/enrol_new_patient.html", form=form, errors=errors,
                           preview=preview, region_groups=regions_by_limb(),
                           zones=zones_first(clinic_zone())), status


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
