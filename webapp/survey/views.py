"""The patient area: survey links and questionnaires (no staff sign-in)."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
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
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from charts.sparkline import render_sparkline_svg
from scheduler.states import LIVE_ASSIGNMENT_STATUSES
from surveys import render_body_map_svg, validate_answers
from webapp import audit
from webapp.auth import signin_sessions
from webapp.db import DriverQuery, get_session
from webapp.i18n import gettext as _
from webapp.models import SurveyAssignment, SurveyResponse, utcnow
from webapp.survey.activities import (
    activity_pairs,
    activity_step,
    asked_slots,
    compact_activities,
    name_first,
    named_count,
    page_slots,
    slot_number,
    slot_view,
    split_waiting,
)
from webapp.survey.answers import complete_assignment, save_answers
from webapp.survey.fragments import activity_html, question_html
from webapp.survey.instruments import get_library
from webapp.survey.links import open_assignments, redeem_link, request_fresh_link
from webapp.survey.pages import (
    Page,
    as_form_values,
    carried_activities,
    carried_items,
    first_unanswered,
    local_number,
    merge_carried,
    page_language,
    page_questions,
    pain_trend,
    stored_responses,
    survey_pages,
)
from webapp.survey.progress_page import render_progress_page
from webapp.survey.review import answer_rows

# The patient pages' assignment: read with the patient's session, or loaded by id.
Assignment = SurveyAssignment | signin_sessions.VisitAssignment

bp = Blueprint("patient", __name__, url_prefix="/p", template_folder="templates")
bp.add_app_template_global(question_html)
bp.add_app_template_global(activity_html)

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


def _own_assignment(assignment_id: int, patient_id: int | None) -> Assignment | None:
    """Return the patient's own assignment: read with their session (a VisitAssignment), or
    loaded here (a SurveyAssignment) when the page's URL did not name it; else None."""
    visit = g.get("patient_visit")
    if visit is not None and visit.assignment_id == assignment_id \
            and visit.patient_id == patient_id:
        return visit.assignment  # read with the patient's session, in the same query
    row = get_session().get(SurveyAssignment, assignment_id)
    return row if row is not None and patient_id and row.patient_id == patient_id else None


def _is_open(row: Assignment, now) -> bool:
    return row.status in LIVE_ASSIGNMENT_STATUSES and row.opens_at <= now < row.closes_at


def _open_assignment(assignment_id: int, now) -> Assignment:
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


def _carry(assignment: Assignment, page: Page) -> tuple[dict, set]:
    if not any(item.carry_forward for item in page.instrument.items):
        return {}, set()  # nothing on this page comes from an earlier survey: no query
    carried = carried_activities(get_session(), assignment.patient_id, assignment.id)
    return carried, carried_items(page.instrument, carried)


_RESPONSES = SurveyResponse.__table__  # Core columns: no ORM work for one JSON value
_PAGE_ANSWERS = DriverQuery(
    sa.select(_RESPONSES.c.answers)
    .where(_RESPONSES.c.assignment_id == sa.bindparam("assignment_id"),
           _RESPONSES.c.instrument_id == sa.bindparam("instrument_id"),
           _RESPONSES.c.region_code == sa.bindparam("region_code"),
           _RESPONSES.c.is_complete.is_(True)))


def _stored_answers(db, assignment_id: int, page: Page) -> dict:
    """Return the answers stored for one page ({} if none): one indexed row, one column."""
    rows = _PAGE_ANSWERS.rows(db, {"assignment_id": assignment_id, "instrument_id": page.key[0],
                                   "region_code": page.key[1]})
    return (rows[0].answers if rows else None) or {}


def _pages(assignment: Assignment) -> list[Page]:
    """Return the assignment's pages worded in this request's language."""
    return survey_pages(assignment, get_library(), *page_language(current_app.config))


def _render_page(assignment, pages, number, values, errors, status=200, notice=None,
                 open_slot=None, carry=None):
    page = pages[number - 1]
    carried, hidden = carry or _carry(assignment, page)  # a POST has read them already
    pairs = activity_pairs(page.instrument)
    asked_apart = {item.id for pair in pairs for item in pair}  # activities: one at a time
    questions = page_questions(page.instrument, hidden | asked_apart, carried)
    slots = [slot_view(s) for s in page_slots(pairs, values, carried, errors, open_slot)]
    naming = bool(slots) and not carried  # new activities, named here one at a time
    body_map = (render_body_map_svg(page.region_code, page.region_label)
                if page.region_code else None)
    page_of = _("Page %(n)s of %(total)s", n=local_number(page.number),
                total=local_number(len(pages)))
    html = render_template("patient/answer_page.html", assignment=assignment, page=page,
                           total=len(pages), page_of=page_of, questions=questions, slots=slots,
                           naming=naming, can_add=naming and len(slots) < len(pairs),
                           buttons_first=any(not v.slot.open for v in slots) or naming,
                           slot_limit=local_number(len(pairs)), values=values, errors=errors,
                           body_map=body_map, notice=notice, then=request.values.get("then", ""))
    return html, status


def _next_url(assignment, pages, number, again: bool = False, opens: int | None = None) -> str:
    review = request.form.get("then") == "review"
    if again:  # an activity was added, opened or removed: the same page again
        return url_for(".answer_page", assignment_id=assignment.id, number=number, open=opens,
                       then="review" if review else None,
                       _anchor=f"activity-{opens}" if opens else None)
    if review or number >= len(pages):
        missing = first_unanswered(pages, stored_responses(get_session(), assignment.id))
        return _page_url(assignment.id, missing)
    return _page_url(assignment.id, number + 1)


@bp.route("/a/<int:assignment_id>/<int:number>", methods=["GET", "POST"])
@patient_required
def answer_page(assignment_id: int, number: int):
    """Show one page of questions; on Next, check and store its answers."""
    db, now = get_session(), utcnow()
    assignment = _open_assignment(assignment_id, now)
    pages = _pages(assignment)
    if not 1 <= number <= len(pages):
        abort(404)
    page = pages[number - 1]
    pairs = activity_pairs(page.instrument)
    if request.method == "GET":
        return _render_page(assignment, pages, number,
                            as_form_values(_stored_answers(db, assignment.id, page)), {},
                            open_slot=slot_number(request.args.get("open"), pairs))
    carried, hidden = _carry(assignment, page)
    data, step = _posted_activities(pairs, merge_carried(request.form, carried, hidden), carried)
    if step and step.action == "remove" and not named_count(pairs, data):
        return _render_page(assignment, pages, number, data, {},  # nothing to store yet
                            carry=(carried, hidden))
    clean, errors = validate_answers(page.instrument, data)
    if carried and pairs:
        errors, waiting = split_waiting(pairs, errors, asked_slots(request.form, pairs))
        if waiting and not errors:  # the next activity's turn; stored once all are rated
            return _render_page(assignment, pages, number, data, {}, carry=(carried, hidden),
                                open_slot=step.number if step else waiting[0])
    if errors:
        return _render_page(assignment, pages, number, data, name_first(pairs, data, errors),
                            400, carry=(carried, hidden))
    if save_answers(db, assignment=assignment, instrument=page.stored,
                    region_code=page.region_code, answers=clean, now=now,
                    as_object=False) is None:
        abort(404)  # submitted in another tab meanwhile: nothing was stored
    db.commit()
    opens = step.opens(named_count(pairs, data), len(pairs)) if step else None
    return redirect(_next_url(assignment, pages, number, step is not None, opens), 303)


def _posted_activities(pairs, data: dict, carried: dict):
    """Return the answers with new activities renumbered, and the activity button pressed."""
    step = activity_step(pairs, request.form)
    if carried:  # last time's activities are kept: they can only be opened to change a score
        return data, step if step and step.action == "open" else None
    if pairs:
        data = compact_activities(pairs, data, step.number if step and step.action == "remove"
                                  else None)
    return data, step


def _review_rows(db, assignment, pages):
    # Carried activity names are stored with each answer, so no earlier survey is read here.
    answered = stored_responses(db, assignment.id)
    return [(page, answer_rows(page.instrument, answered[page.key].answers, {}))
            for page in pages]


@bp.route("/a/<int:assignment_id>/review")
@patient_required
def review_answers(assignment_id: int):
    """List every answer with a way to change it, and the Submit button."""
    db = get_session()
    assignment = _open_assignment(assignment_id, utcnow())
    pages = _pages(assignment)
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
