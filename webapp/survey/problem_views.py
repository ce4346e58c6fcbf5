"""The patient area's error pages (on the patient blueprint): kind words, never a stack trace.

A survey page posted after its form token expired is shown again with the answers as typed,
in the patient's language, so nothing they entered is lost.
"""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_wtf.csrf import CSRFError

from webapp.auth import signin_sessions
from webapp.db import get_session
from webapp.i18n import gettext as _
from webapp.i18n import refresh
from webapp.models import utcnow
from webapp.survey.views import (
    FORM_EXPIRED,
    _is_open,
    _own_assignment,
    _pages,
    _problem,
    _render_page,
    bp,
)


@bp.errorhandler(404)
@bp.errorhandler(405)
def _not_found(exc):
    return _problem(exc.code, _("We could not find that page. The questions may be finished "
                                "or closed. Please use the link in your latest message."))


@bp.errorhandler(413)
def _too_large(exc):
    return _problem(413, _("That was more text than we can take. Please go back, shorten "
                           "your answer and try again."))


@bp.errorhandler(CSRFError)
def _form_expired(exc):
    """Re-show a survey page with the answers as typed; other forms get a plain message."""
    args = request.view_args or {}
    psid = session.get("psid")
    visit = (signin_sessions.load_patient_visit(get_session(), psid, current_app.config)
             if psid else None)
    if visit is not None:
        g.locale = visit.language  # the page comes back in the patient's language
        refresh()
    assignment = _own_assignment(args.get("assignment_id", 0),
                                 visit.patient_id if visit else None)
    if request.endpoint != "patient.answer_page" or assignment is None \
            or not _is_open(assignment, utcnow()):
        return _problem(400, _("This page was open for a long time. Please go back, reload "
                               "the page and try again."))
    pages = _pages(assignment)
    number = args.get("number", 0)
    if not 1 <= number <= len(pages):
        return _problem(400, FORM_EXPIRED)
    values = {key: request.form.getlist(key) for key in request.form}
    return _render_page(assignment, pages, number, values, {}, 400, notice=FORM_EXPIRED)
