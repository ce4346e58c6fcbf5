"""The patient area: survey links and questionnaires (no staff sign-in)."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from charts.sparkline import render_sparkline_svg
from scheduler.states import LIVE_ASSIGNMENT_STATUSES
from surveys import render_body_map_svg, validate_answers
from webapp import audit
from webapp.auth import signin_sessions
from webapp.db import get_session
from webapp.models import SurveyAssignment, utcnow
from webapp.survey.answers import complete_assignment, save_answers
from webapp.survey.instruments import get_library
from webapp.survey.links import open_assignments, redeem_link, request_fresh_link
from webapp.survey.pages import (
    Page,
    as_form_values,
    carried_activities,
    carried_items,
    display_answer,
    first_unanswered,
    merge_carried,
    ordered_items,
    page_questions,
    pain_trend,
    question_label,
    stored_responses,
    survey_pages,
)
from webapp.survey.progress_page import render_progress_page

bp = Blueprint("patient", __name__, url_prefix="/p", template_folder="templates")

SESSION_ENDED = _l("For your privacy, your time to answer ran out. Please open the link in your "
                   "latest message again, or ask for a fresh link below.")
FORM_EXPIRED = _l("This page was open for a long time. Please check your answers and press Next.")
TREND_LABEL = _l("Your pain score over time (0 = no pain, 10 = worst pain)")


class RelinkForm(FlaskForm):
    address = StringField(_l("Your email address or mobile number"),
                          validators=[DataRequired(_l("Please enter your email or mobile number.")),
                                      Length(max=254, message=_l("That is too long."))])


def patient_required(view):
    """Send visitors without a live patient session back to the start page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.get("patient_id"):
            flash(str(SESSION_ENDED))
            return redirect(url_for(".start"), 303)
        return view(*args, **kwargs)

    return wrapped


def _own_assignment(assignment_id: int, patient_id: int | None) -> SurveyAssignment | None:
    row = get_session().get(SurveyAssignment, assignment_id)
    return row if row is not None and patient_id and row.patient_id == patient_id else None


def _is_open(row: SurveyAssignment, now) -> bool:
    return row.status in LIVE_ASSIGNMENT_STATUSES and row.opens_at <= now < row.closes_at


def _open_assignment(assignment_id: int, now) -> SurveyAssignment:
    row = _own_assignment(assignment_id, g.patient_id)
    if row is None or not _is_open(row, now):
        abort(404)
    return row


def _page_url(assignment_id: int, number: int | None) -> str:
    if number is None:
        return url_for(".review_answers", assignment_id=assignment_id)
    return url_for(".answer_page", assignment_id=assignment_id, number=number)


@bp.route("/")
def start():
    """Show a signed-in patient what is due and their progress, or explain how to get a link."""
    if not g.get("patient_id"):
        return render_template("patient/start.html", due=[], form=RelinkForm())
    return render_progress_page(get_session(), g.patient_id, utcnow())


@bp.route("/t/<token>")
def use_link(token: str):
    """Exchange a single-use link for a patient session, then drop the token from the URL."""
    db, now = get_session(), utcnow()
    status, row = redeem_link(db, token, now)
    if status == "used" and row is not None and g.get("patient_id") == row.patient_id:
        return redirect(url_for(".start"), 303)  # tapped again in the same browser
    if status != "ok":
        db.rollback()
        code = 404 if status == "unknown" else 410
        return render_template("patient/link_problem.html", status=status,
                               form=RelinkForm()), code
    if session.get("psid"):
        signin_sessions.revoke(db, session["psid"], now)  # one live patient session per browser
    minutes = int(current_app.config["PATIENT_SESSION_MINUTES"])
    sid = signin_sessions.start(db, kind="patient", patient_id=row.patient_id, now=now,
                         lifetime=timedelta(minutes=minutes), ip=request.remote_addr)
    audit.record(db, "patient_link_used", actor_type="patient", actor_id=row.patient_id,
                 record_type="patient_token", record_id=row.id, patient_id=row.patient_id,
                 detail={"assignment_id": row.assignment_id})
    db.commit()
    session.clear()
    session["psid"] = sid
    return redirect(url_for(".start"), 303)


@bp.route("/relink", methods=["POST"])
def request_link():
    """Queue a fresh link; the answer is the same whether or not we know the address."""
    form = RelinkForm()
    if not form.validate_on_submit():
        return render_template("patient/request_link.html", form=form, sent=False), 400
    db = get_session()
    request_fresh_link(db, form.address.data, utcnow())
    db.commit()
    return render_template("patient/request_link.html", form=None, sent=True)


@bp.route("/a/<int:assignment_id>/")
@patient_required
def resume_assignment(assignment_id: int):
    """Go to the first page without an answer (or the review when all are answered)."""
    assignment = _open_assignment(assignment_id, utcnow())
    pages = survey_pages(assignment, get_library())
    missing = first_unanswered(pages, stored_responses(get_session(), assignment.id))
    return redirect(_page_url(assignment.id, missing), 303)


def _carry(assignment: SurveyAssignment, page: Page) -> tuple[dict, set]:
    carried = carried_activities(get_session(), assignment.patient_id, assignment.id)
    return carried, carried_items(page.instrument, carried)


def _render_page(assignment, pages, number, values, errors, status=200, notice=None):
    page = pages[number - 1]
    carried, hidden = _carry(assignment, page)
    questions = page_questions(page.instrument, hidden, carried)
    body_map = render_body_map_svg(page.region_code) if page.region_code else None
    html = render_template("patient/answer_page.html", assignment=assignment, page=page,
                           total=len(pages), questions=questions, values=values,
                           errors=errors, body_map=body_map, notice=notice,
                           then=request.values.get("then", ""))
    return html, status


def _next_url(assignment, pages, number) -> str:
    if request.form.get("then") == "review" or number >= len(pages):
        missing = first_unanswered(pages, stored_responses(get_session(), assignment.id))
        return _page_url(assignment.id, missing)
    return _page_url(assignment.id, number + 1)


@bp.route("/a/<int:assignment_id>/<int:number>", methods=["GET", "POST"])
@patient_required
def answer_page(assignment_id: int, number: int):
    """Show one page of questions; on Next, check and store its answers."""
    db, now = get_session(), utcnow()
    assignment = _open_assignment(assignment_id, now)
    pages = survey_pages(assignment, get_library())
    if not 1 <= number <= len(pages):
        abort(404)
    page = pages[number - 1]
    if request.method == "GET":
        stored = stored_responses(db, assignment.id).get(page.key)
        return _render_page(assignment, pages, number,
                            as_form_values(stored.answers if stored else {}), {})
    carried, hidden = _carry(assignment, page)
    data = merge_carried(request.form, carried, hidden)
    clean, errors = validate_answers(page.instrument, data)
    if errors:
        return _render_page(assignment, pages, number, data, errors, 400)
    if save_answers(db, assignment=assignment, instrument=page.instrument,
                    region_code=page.region_code, answers=clean, now=now) is None:
        abort(404)  # submitted in another tab meanwhile: nothing was stored
    db.commit()
    return redirect(_next_url(assignment, pages, number), 303)


def _review_rows(db, assignment, pages):
    answered = stored_responses(db, assignment.id)
    carried = carried_activities(db, assignment.patient_id, assignment.id)
    rows = []
    for page in pages:
        answers = answered[page.key].answers
        names = carried or answers
        items = ordered_items(page.instrument, carried_items(page.instrument, carried))
        rows.append((page, [(question_label(page.instrument, item, names),
                             display_answer(item, answers.get(item.id)))
                            for item in items if answers.get(item.id) not in (None, "", [])]))
    return rows


@bp.route("/a/<int:assignment_id>/review")
@patient_required
def review_answers(assignment_id: int):
    """List every answer with a way to change it, and the Submit button."""
    db = get_session()
    assignment = _open_assignment(assignment_id, utcnow())
    pages = survey_pages(assignment, get_library())
    missing = first_unanswered(pages, stored_responses(db, assignment.id))
    if missing is not None:
        return redirect(_page_url(assignment.id, missing), 303)
    return render_template("patient/review_answers.html", assignment=assignment,
                           rows=_review_rows(db, assignment, pages))


@bp.route("/a/<int:assignment_id>/submit", methods=["POST"])
@patient_required
def submit_answers(assignment_id: int):
    """Send the answers to the care team; a repeated Submit just shows the thank-you page."""
    db, now = get_session(), utcnow()
    if (own := _own_assignment(assignment_id, g.patient_id)) and own.status == "completed":
        return redirect(url_for(".show_thanks", assignment_id=own.id), 303)
    assignment = _open_assignment(assignment_id, now)
    library = get_library()
    missing = first_unanswered(survey_pages(assignment, library),
                               stored_responses(db, assignment.id))
    if missing is not None:
        return redirect(_page_url(assignment.id, missing), 303)
    complete_assignment(db, assignment=assignment, library=library, now=now)
    db.commit()
    return redirect(url_for(".show_thanks", assignment_id=assignment.id), 303)


@bp.route("/a/<int:assignment_id>/thanks")
@patient_required
def show_thanks(assignment_id: int):
    """Thank the patient and show their own pain trend so far."""
    assignment = _own_assignment(assignment_id, g.patient_id)
    if assignment is None or assignment.status != "completed":
        abort(404)
    values = pain_trend(get_session(), g.patient_id)
    # One score is a sentence, not a chart: a lone dot without an axis says nothing.
    trend = render_sparkline_svg(values, label=str(TREND_LABEL)) if len(values) > 1 else None
    more = open_assignments(get_session(), g.patient_id, utcnow())
    return render_template("patient/show_thanks.html", trend=trend, values=values, more=more)


def _problem(status: int, message: str):
    return render_template("patient/problem.html", message=message), status


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
    patient_id = (signin_sessions.load_patient(get_session(), psid, current_app.config)
                  if psid else None)
    assignment = _own_assignment(args.get("assignment_id", 0), patient_id)
    if request.endpoint != "patient.answer_page" or assignment is None \
            or not _is_open(assignment, utcnow()):
        return _problem(400, _("This page was open for a long time. Please go back, reload "
                               "the page and try again."))
    pages = survey_pages(assignment, get_library())
    number = args.get("number", 0)
    if not 1 <= number <= len(pages):
        return _problem(400, FORM_EXPIRED)
    values = {key: request.form.getlist(key) for key in request.form}
    return _render_page(assignment, pages, number, values, {}, 400, notice=FORM_EXPIRED)
