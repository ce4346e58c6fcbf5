"""The patient's way through a survey: pages, checks, resume, review, completion, scoping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.patient import (
    AFTER_OK,
    CSRF_RE,
    FIRST_PSFS,
    TWO_REGIONS,
    answer_all,
    csrf_of,
    open_survey,
    post_page,
    sign_in,
)
from webapp.models import (
    AuthSession,
    Reminder,
    SafetyFlag,
    SurveyAssignment,
    SurveyResponse,
    SurveyScore,
    utcnow,
)

BASELINE = [{"pain_now": "7", "pain_worst": "8"}, {"pain_now": "4", "pain_worst": "6"},
            {"paresthesia": "5"}, {"paresthesia": "2"}, FIRST_PSFS]


@pytest.fixture
def survey(db, client):
    """A baseline survey over two regions, open now, with the patient signed in."""
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    return assignment


def _responses(db, assignment_id=None):
    db.expire_all()
    query = select(SurveyResponse)
    if assignment_id is not None:
        query = query.where(SurveyResponse.assignment_id == assignment_id)
    return db.exec(query).all()


def _submit(client, assignment_id):
    token = csrf_of(client, f"/p/a/{assignment_id}/review")
    return client.post(f"/p/a/{assignment_id}/submit", data={"csrf_token": token})


@pytest.mark.parametrize("number, title, region, inputs", [
    (1, "Pain", "Right wrist and fingers", ["pain_now", "pain_worst"]),
    (2, "Pain", "Left elbow, ring and little finger", ["pain_now", "pain_worst"]),
    (3, "Tingling, numbness or burning", "Right wrist and fingers", ["paresthesia"]),
    (4, "Tingling, numbness or burning", "Left elbow, ring and little finger", ["paresthesia"]),
    (5, "Everyday activities", None, ["activity_1", "rating_1", "add"]),  # one at a time
])
def test_every_page_of_a_two_region_survey(survey, client, number, title, region, inputs):
    html = client.get(f"/p/a/{survey.id}/{number}").get_data(as_text=True)
    assert f"Page {number} of 5" in html and f'<progress id="progress" value="{number}"' in html
    assert f"<h1>{title}</h1>" in html
    if region:
        assert region in html and "<svg" in html
    else:
        assert "<svg" not in html
    for name in inputs:
        assert f'name="{name}"' in html
    assert "<script>" not in html and "style=" not in html


def test_a_rating_page_has_eleven_labelled_choices_and_both_anchors(survey, client):
    html = client.get(f"/p/a/{survey.id}/1").get_data(as_text=True)
    fieldset = html.split("<fieldset", 2)[1]
    assert "<legend>How much pain do you have right now?</legend>" in fieldset
    values = re.findall(r'<label class="tap"><input type="radio" name="pain_now" value="(\d+)"',
                        fieldset)
    assert values == [str(n) for n in range(11)]
    assert "0 = No pain" in fieldset and "10 = Worst pain you can imagine" in fieldset


def test_whole_survey_review_submit_and_thank_you(db, survey, client):
    start = client.get(f"/p/a/{survey.id}/")
    assert start.status_code == 303 and start.headers["Location"] == f"/p/a/{survey.id}/1"
    answer_all(client, survey.id, BASELINE)
    review = client.get(f"/p/a/{survey.id}/review").get_data(as_text=True)
    assert review.count('class="change"') == 5
    assert "<dt>Holding a cup</dt><dd>3 out of 10 (0 = I cannot do it, 10 = As well as " \
        "before the problem)</dd>" in review
    done = _submit(client, survey.id)
    assert done.status_code == 303 and done.headers["Location"] == f"/p/a/{survey.id}/thanks"
    thanks = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in thanks and "<svg" not in thanks  # one score: a sentence, no lone dot
    assert "Your pain score today: 5.5" in thanks  # mean of 7 and 4 across the two regions
    db.expire_all()
    assert db.get(SurveyAssignment, survey.id).status == "completed"


def test_stored_scores_match_what_was_entered(db, survey, client):
    answer_all(client, survey.id, BASELINE)
    _submit(client, survey.id)
    db.expire_all()
    scores = {(s.score_id, s.region_code): s.value for s in db.exec(select(SurveyScore)).all()}
    right, left = TWO_REGIONS
    assert scores == {("pain_now", right): 7, ("pain_worst", right): 8,
                      ("pain_now", left): 4, ("pain_worst", left): 6,
                      ("paresthesia", right): 5, ("paresthesia", left): 2,
                      ("psfs", ""): 4.0}


BAD = [
    ("too high", {"pain_now": "11"}, "pain_now", "Choose a number from 0 to 10."),
    ("negative", {"pain_now": "-1"}, "pain_now", "Choose a number from 0 to 10."),
    ("not a number", {"pain_now": "abc"}, "pain_now", "Choose a number from 0 to 10."),
    ("huge", {"pain_now": "x" * 10000}, "pain_now", "Choose a number from 0 to 10."),
    ("missing", {}, "pain_now", "Please answer this question."),
    ("two answers", {"pain_now": ["3", "4"]}, "pain_now", "Please give just one answer."),
]


@pytest.mark.parametrize("case, bad, field, message", BAD, ids=[c[0] for c in BAD])
def test_bad_answers_are_shown_next_to_the_question_and_nothing_is_stored(
        db, survey, client, case, bad, field, message):
    response = post_page(client, f"/p/a/{survey.id}/1", {"pain_worst": "6", **bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<p class="error" id="err-{field}">{message}</p>' in html
    assert f'aria-describedby="err-{field}' in html
    assert 'name="pain_worst" value="6" checked' in html  # the other answer is kept
    assert _responses(db) == []


def test_a_too_long_activity_name_is_refused(db, survey, client):
    answer_all(client, survey.id, BASELINE[:4])
    response = post_page(client, f"/p/a/{survey.id}/5", {**FIRST_PSFS, "activity_1": "x" * 10000})
    assert response.status_code == 400
    assert "Please keep this under 100 characters." in response.get_data(as_text=True)
    assert 'value="Typing"' in response.get_data(as_text=True)
    assert len(_responses(db)) == 4


def test_a_wrong_csrf_token_keeps_the_answers_and_stores_nothing(db, survey, client):
    response = post_page(client, f"/p/a/{survey.id}/1", {"pain_now": "3", "pain_worst": "6"},
                         token="not-the-token")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please check your answers and press Next." in html
    assert 'name="pain_now" value="3" checked' in html
    assert 'name="pain_worst" value="6" checked' in html
    assert _responses(db) == []


def test_extra_fields_are_ignored(db, survey, client):
    response = post_page(client, f"/p/a/{survey.id}/1",
                         {"pain_now": "3", "pain_worst": "6", "is_admin": "1", "patient_id": "2"})
    assert response.status_code == 303
    assert [r.answers for r in _responses(db)] == [{"pain_now": 3, "pain_worst": 6}]


def test_a_huge_request_gets_a_friendly_413(db, survey, client):
    response = client.post(f"/p/a/{survey.id}/1", data={"pain_now": "x" * 300_000})
    assert response.status_code == 413
    assert "more text than we can take" in response.get_data(as_text=True)
    assert _responses(db) == []


def test_resume_after_interruption_lands_on_the_first_unanswered_page(db, app, survey, client):
    answer_all(client, survey.id, BASELINE[:2])
    other_phone = app.test_client()
    sign_in(other_phone, db, survey)
    resumed = other_phone.get(f"/p/a/{survey.id}/")
    assert resumed.status_code == 303 and resumed.headers["Location"] == f"/p/a/{survey.id}/3"
    start = other_phone.get("/p/").get_data(as_text=True)
    assert "Carry on" in start
    back = other_phone.get(f"/p/a/{survey.id}/2").get_data(as_text=True)
    assert 'name="pain_now" value="4" checked' in back  # Back shows what was answered


def test_review_redirects_to_an_unanswered_page(survey, client):
    answer_all(client, survey.id, BASELINE[:3])
    response = client.get(f"/p/a/{survey.id}/review")
    assert response.status_code == 303 and response.headers["Location"] == f"/p/a/{survey.id}/4"


def test_change_from_review_returns_to_review(db, survey, client):
    answer_all(client, survey.id, BASELINE)
    path = f"/p/a/{survey.id}/2?then=review"
    html = client.get(path).get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    assert 'name="then" value="review"' in html
    response = client.post(f"/p/a/{survey.id}/2", data={
        "pain_now": "1", "pain_worst": "2", "then": "review", "csrf_token": token})
    assert response.headers["Location"] == f"/p/a/{survey.id}/review"
    db.expire_all()
    assert {r.region_code: r.answers.get("pain_now") for r in _responses(db)
            if r.instrument_id == "nt-pain"} == {TWO_REGIONS[0]: 7, TWO_REGIONS[1]: 1}


def test_double_submit_stores_one_response(db, survey, client):
    token = csrf_of(client, f"/p/a/{survey.id}/1")
    for _ in range(2):
        response = post_page(client, f"/p/a/{survey.id}/1", {"pain_now": "3", "pain_worst": "6"},
                             token=token)
        assert response.status_code == 303
    assert len(_responses(db)) == 1
    assert len(db.exec(select(SurveyScore)).all()) == 2


def test_double_submit_of_the_review_completes_once(db, survey, client):
    answer_all(client, survey.id, BASELINE)
    token = csrf_of(client, f"/p/a/{survey.id}/review")
    for _ in range(2):
        response = client.post(f"/p/a/{survey.id}/submit", data={"csrf_token": token})
        assert response.headers["Location"] == f"/p/a/{survey.id}/thanks"
    from webapp.models import AuditEvent
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "survey_completed")).all()
    assert len(events) == 1


@pytest.mark.parametrize("method, suffix", [
    ("get", "/"), ("get", "/1"), ("post", "/1"), ("get", "/review"), ("post", "/submit"),
    ("get", "/thanks"),
])
def test_another_patients_assignment_is_not_found(db, survey, client, method, suffix):
    other = open_survey(db, study_code="NT-0002", email="other@example.test")
    token = csrf_of(client, f"/p/a/{survey.id}/1")
    data = {"pain_now": "3", "pain_worst": "6", "csrf_token": token}
    response = getattr(client, method)(f"/p/a/{other.id}{suffix}", data=data)
    assert response.status_code == 404
    assert "could not find that page" in response.get_data(as_text=True)
    assert _responses(db) == []
    db.expire_all()
    assert db.get(SurveyAssignment, other.id).status == "pending"


@pytest.mark.parametrize("change", ["closed", "cancelled", "not yet open"])
def test_a_survey_outside_its_window_is_not_found(db, survey, client, change):
    if change == "closed":
        survey.closes_at = utcnow() - timedelta(minutes=1)
    elif change == "cancelled":
        survey.status = "cancelled"
    else:
        survey.opens_at = utcnow() + timedelta(hours=1)
    db.add(survey)
    db.commit()
    assert client.get(f"/p/a/{survey.id}/1").status_code == 404
    assert "Nothing to answer right now" in client.get("/p/").get_data(as_text=True)


def test_page_number_out_of_range_is_not_found(survey, client):
    assert client.get(f"/p/a/{survey.id}/6").status_code == 404
    assert client.get(f"/p/a/{survey.id}/0").status_code == 404


def test_an_expired_patient_session_goes_back_to_the_start_page(db, survey, client):
    row = db.exec(select(AuthSession).where(AuthSession.kind == "patient")).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    response = client.get(f"/p/a/{survey.id}/1")
    assert response.status_code == 303 and response.headers["Location"] == "/p/"
    start = client.get("/p/").get_data(as_text=True)
    assert "your time to answer ran out" in start and "Send me a fresh link" in start
    posted = client.post(f"/p/a/{survey.id}/1", data={"pain_now": "3", "pain_worst": "6",
                                                      "csrf_token": CSRF_RE.search(start)[1]})
    assert posted.status_code == 303 and _responses(db) == []


def _after_session(db, client, answers):
    assignment = open_survey(db, slot="after-session:1")
    sign_in(client, db, assignment)
    pending = db.exec(select(Reminder).where(Reminder.assignment_id == assignment.id,
                                             Reminder.status == "pending")).all()
    assert pending, "the plan should have queued reminders"
    answer_all(client, assignment.id, [answers])
    assert _submit(client, assignment.id).status_code == 303
    db.expire_all()
    return assignment


def test_completion_cancels_reminders_and_flags_new_weakness(db, client):
    answers = {**AFTER_OK, "new_weakness_numbness": "yes", "details": "Hand weak since Monday"}
    assignment = _after_session(db, client, answers)
    statuses = {r.status for r in db.exec(select(Reminder).where(
        Reminder.assignment_id == assignment.id)).all()}
    assert statuses == {"cancelled"}
    flags = db.exec(select(SafetyFlag)).all()
    assert [(f.kind, f.severity, f.rule_id) for f in flags] == [
        ("adverse_event", "serious", "new-weakness-numbness")]
    assert flags[0].patient_id == assignment.patient_id


def test_a_quiet_after_session_check_raises_no_flag(db, client):
    _after_session(db, client, AFTER_OK)
    assert db.exec(select(SafetyFlag)).all() == []


def _complete(db, client, assignment, pages):
    sign_in(client, db, assignment)
    answer_all(client, assignment.id, pages)
    assert _submit(client, assignment.id).status_code == 303


def test_psfs_activities_are_carried_forward_and_not_asked_again(db, client):
    baseline = open_survey(db)
    _complete(db, client, baseline, BASELINE)
    later = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "m1")).one()
    later.opens_at, later.closes_at = baseline.opens_at, baseline.closes_at
    db.commit()
    psfs_page = f"/p/a/{later.id}/5"
    html = client.get(psfs_page).get_data(as_text=True)
    assert 'name="activity_1"' not in html and 'name="rating_3"' not in html
    assert "Last time you named: Holding a cup</span>" in html  # rated one at a time
    assert '<strong id="an-2">Typing</strong>: Not rated yet' in html
    response = post_page(client, psfs_page, {"rating_1": "7", "rating_2": "9",
                                             "activity_1": "Renamed", "rating_3": "1"})
    assert response.status_code == 303
    db.expire_all()
    stored = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == later.id,
                                                  SurveyResponse.instrument_id == "nt-psfs")).one()
    assert stored.answers == {"activity_1": "Holding a cup", "activity_2": "Typing",
                              "rating_1": 7, "rating_2": 9}
    score = db.exec(select(SurveyScore).where(SurveyScore.response_id == stored.id)).one()
    assert score.value == 8.0


def test_a_carried_rating_is_still_required(db, client):
    baseline = open_survey(db)
    _complete(db, client, baseline, BASELINE)
    later = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "m1")).one()
    later.opens_at, later.closes_at = baseline.opens_at, baseline.closes_at
    db.commit()
    response = post_page(client, f"/p/a/{later.id}/5", {"rating_1": "7", "asked": "1"})
    assert response.status_code == 200  # activity 2's turn: nothing is stored yet
    assert '<input type="hidden" name="asked" value="2">' in response.get_data(as_text=True)
    response = post_page(client, f"/p/a/{later.id}/5", {"rating_1": "7", "asked": "2"})
    assert response.status_code == 400
    assert '<p class="error" id="err-rating_2">Please answer this question.</p>' in \
        response.get_data(as_text=True)
    assert db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == later.id,
                                                SurveyResponse.instrument_id == "nt-psfs")
                   ).all() == []


def test_thank_you_trend_shows_the_mean_pain_of_each_survey_in_order(db, client):
    baseline = open_survey(db)
    _complete(db, client, baseline, BASELINE)  # pain 7 and 4 -> 5.5
    check = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "pre-session:2")).one()
    check.opens_at = baseline.opens_at + timedelta(hours=1)
    check.closes_at = baseline.closes_at
    db.commit()
    pages = [{"pain_now": "3", "pain_worst": "5"}, {"pain_now": "2", "pain_worst": "3"},
             {"paresthesia": "1"}, {"paresthesia": "0"}]
    answer_all(client, check.id, pages)
    thanks = client.get(_submit(client, check.id).headers["Location"]).get_data(as_text=True)
    assert "Your pain score over time (0 = no pain, 10 = worst pain): 5.5, 2.5" in thanks
    assert "went from 5.5 at the start to 2.5 now" in thanks


@pytest.mark.parametrize("item_id, value, words, form", [
    ("pgic", 2, "Much better", ["2"]),
    ("pain_now", 0, "0 out of 10 (0 = No pain, 10 = Worst pain you can imagine)", ["0"]),
    ("bruising", True, "Yes", ["yes"]),
    ("bruising", False, "No", ["no"]),
    ("activity_1", "Typing", "Typing", ["Typing"]),
    ("pain_now", None, "Not answered", []),
])
def test_answers_in_words_and_back_into_form_values(item_id, value, words, form):
    from surveys import load_library
    from webapp.survey.pages import as_form_values, display_answer

    library = load_library()
    instrument = next(i for i in library.all() if any(it.id == item_id for it in i.items))
    assert display_answer(instrument.item(item_id), value) == words
    assert as_form_values({item_id: value}) == {item_id: form}
