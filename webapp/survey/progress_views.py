"""Routes of the patient's "My progress" page (on the patient blueprint).

The page itself is the signed-in patient's start page (webapp/survey/progress_page.py); here are
the same page with another area's chart drawn, and the calendar file of the check-ins ahead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, g

from webapp.db import get_session
from webapp.i18n import gettext as _
from webapp.i18n import refresh
from webapp.models import Patient, utcnow
from webapp.survey.calendar_file import checkins_calendar
from webapp.survey.progress import upcoming_checkins
from webapp.survey.progress_page import render_progress_page
from webapp.survey.views import bp, patient_required


@bp.route("/progress/<int:number>")
@patient_required
def show_progress(number: int):
    """Show the progress page with the chart of the patient's area `number` drawn."""
    html = render_progress_page(get_session(), g.patient_id, utcnow(), shown=number)
    if html is None:
        abort(404)
    return html


@bp.route("/calendar.ics")
@patient_required
def download_calendar():
    """Send the signed-in patient's upcoming check-ins as an .ics file (generic words only)."""
    db, now = get_session(), utcnow()
    patient = db.get(Patient, g.patient_id)
    g.locale = patient.language
    refresh()
    clinic = current_app.config["CLINIC_NAME"]
    base_url = str(current_app.config["BASE_URL"]).rstrip("/")
    body = checkins_calendar(
        upcoming_checkins(db, patient.id, now), timezone=patient.timezone, now=now,
        summary=_("Check-in for %(clinic)s", clinic=clinic),
        description=_("%(clinic)s would like to hear how you are doing. We will send you a "
                      "message with a link. It takes about two minutes.", clinic=clinic),
        url=f"{base_url}/p/", domain=urlsplit(base_url).hostname or "localhost")
    return body, 200, {"Content-Type": "text/calendar; charset=utf-8",
                       "Content-Disposition": 'attachment; filename="check-ins.ics"'}
