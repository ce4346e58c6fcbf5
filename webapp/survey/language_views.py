"""The patient's own choice of language (on the patient blueprint).

Offered on the first page a patient sees after tapping a link. The choice is stored on the
patient, so the next pages and the next reminders speak it; it is audited as the patient's own.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, redirect, request, url_for

from webapp.audit import record
from webapp.db import get_session
from webapp.i18n import clinic_languages
from webapp.i18n import gettext as _
from webapp.models import Patient
from webapp.survey.views import _problem, bp, patient_required


@bp.route("/language", methods=["POST"])
@patient_required
def choose_language():
    """Store the language the patient picked among the clinic's, then show the start page."""
    chosen = request.form.get("language", "")
    if chosen not in clinic_languages(current_app.config):
        return _problem(400, _("Please choose one of the languages on the page."))
    db = get_session()
    changed = db.execute(sa.update(Patient).where(Patient.id == g.patient_id)
                         .values(language=chosen)).rowcount
    if changed != 1:
        return redirect(url_for(".start"), 303)
    record(db, "patient_language_chosen", actor_type="patient", actor_id=g.patient_id,
           patient_id=g.patient_id, record_type="patient", record_id=g.patient_id,
           detail={"language": chosen})
    db.commit()
    g.locale = chosen
    return redirect(url_for(".start"), 303)
