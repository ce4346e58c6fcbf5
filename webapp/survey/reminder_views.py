"""The patient's reminder choices (on the patient blueprint): pause for a week, or stop.

Reached from the signed link in every reminder email (and from the signed-in patient's page);
no sign-in is needed, and the link works for its one patient only. Opening it changes nothing
(mail scanners open links): the page offers the two choices as forms with CSRF tokens. A mail
provider's RFC 8058 one-click POST (body ``List-Unsubscribe=One-Click``, no cookie, no CSRF
token) stops reminders: that route is exempt from CSRF and relies on the signature, and any
other POST to it must carry a CSRF token.
"""

from __future__ import annotations

from flask import current_app, g, render_template, request

from webapp.audit import Actor
from webapp.auth.security import csrf
from webapp.db import get_session
from webapp.followup.reminder_choices import pause_reminders, reminder_state, stop_reminders
from webapp.i18n import gettext as _
from webapp.i18n import refresh
from webapp.models import Patient, utcnow
from webapp.survey.progress_page import local_day_text
from webapp.survey.stop_links import read_stop_token
from webapp.survey.views import bp

CHOICES = ("pause", "stop")


def _link_problem(status: str):
    if status == "expired":
        message = _("This link is too old to use. The latest message from us has a newer one, "
                    "or you can call the clinic.")
        return render_template("patient/problem.html", message=message), 410
    message = _("This link does not work. Please check that you copied the whole link from "
                "your message, or call the clinic.")
    return render_template("patient/problem.html", message=message), 404


def _linked_patient(token: str):
    """Return (patient, None) for a good link, else (None, the refusal to send)."""
    status, patient_id = read_stop_token(current_app.config["SECRET_KEY"], token, now=utcnow())
    patient = get_session().get(Patient, patient_id) if status == "ok" else None
    if patient is None or patient.erased_at is not None:
        return None, _link_problem("expired" if status == "expired" else "bad")
    g.locale = patient.language  # the patient's language, whatever the browser asks for
    refresh()
    return patient, None


def _page(patient: Patient, token: str, *, done: str | None = None, error: str | None = None,
          status: int = 200):
    db, now = get_session(), utcnow()
    if done:
        db.refresh(patient)  # the choice was written with one UPDATE statement
    state = reminder_state(patient.reminders_paused_until, patient.reminders_stopped_at, now)
    until = (local_day_text(patient.reminders_paused_until, patient.timezone)
             if state == "paused" else None)
    return render_template("patient/choose_reminders.html", state=state, until=until,
                           done=done, error=error, token=token), status


def _apply(patient: Patient, choice: str, via: str) -> str:
    """Apply a choice, audited as the patient's own; return what happened for the page."""
    db, now = get_session(), utcnow()
    actor = Actor("patient", patient.id, None, request.remote_addr)
    if choice == "stop":
        changed = stop_reminders(db, patient.id, now=now, actor=actor, via=via)
    else:
        changed = pause_reminders(db, patient.id, now=now, actor=actor, via=via) is not None
    db.commit()
    return choice if changed else "unchanged"


@bp.route("/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def choose_reminders(token: str):
    """Offer pause or stop; a choice (CSRF) or a mail provider's one-click POST applies it."""
    patient, refusal = _linked_patient(token)
    if refusal is not None:
        return refusal
    if request.method == "GET":
        return _page(patient, token)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return _page(patient, token, done=_apply(patient, "stop", "one-click"))
    csrf.protect()  # every other POST is a person's choice on our page
    choice = request.form.get("choice")
    if choice not in CHOICES:
        return _page(patient, token, error=_("Please choose one of the two options."),
                     status=400)
    return _page(patient, token, done=_apply(patient, choice, "link"))
