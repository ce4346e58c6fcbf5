"""The web form follows the one number rule of surveys.answer_input: what is stored, what is
refused and with which message, and that a refused page stores nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from surveys.answer_input import OTHER_DIGITS_MESSAGE, UNUSUAL_CHARACTERS_MESSAGE
from tests.support.patient import FIRST_PSFS, answer_all, open_survey, post_page, sign_in
from webapp.models import SurveyResponse, SurveyScore

RANGE_MESSAGE = "Choose a number from 0 to 10."
PAIN_PAGES = [{"pain_now": "7", "pain_worst": "8"}, {"pain_now": "4", "pain_worst": "6"},
              {"paresthesia": "5"}, {"paresthesia": "2"}]


@pytest.fixture
def survey(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    return assignment


def _stored(db):
    db.expire_all()
    return [r.answers for r in db.exec(select(SurveyResponse)).all()]


@pytest.mark.parametrize("typed, stored", [
    ("5", 5),
    (" 5 ", 5),  # spaces a phone keyboard adds
    ("-0", 0),
    ("05", 5),
    ("\u0665", 5),  # Arabic-Indic five, read on purpose for right-to-left languages
    ("\u06f5", 5),  # Extended Arabic-Indic (Persian) five
    ("\u0661\u0660", 10),
])
def test_accepted_digit_forms_are_stored_as_plain_numbers(db, survey, client, typed, stored):
    response = post_page(client, f"/p/a/{survey.id}/1", {"pain_now": typed, "pain_worst": "6"})
    assert response.status_code == 303
    assert _stored(db) == [{"pain_now": stored, "pain_worst": 6}]
    db.expire_all()
    scores = {s.score_id: s.value for s in db.exec(select(SurveyScore)).all()}
    assert scores == {"pain_now": stored, "pain_worst": 6}


@pytest.mark.parametrize("typed, message", [
    ("\uff15", OTHER_DIGITS_MESSAGE),  # full-width five
    ("\u00b2", OTHER_DIGITS_MESSAGE),  # superscript two: isdigit() says yes, int() says no
    ("\U0001d7d3", OTHER_DIGITS_MESSAGE),  # mathematical bold five
    ("\u096b", OTHER_DIGITS_MESSAGE),  # Devanagari five
    ("5e0", RANGE_MESSAGE),
    ("+5", RANGE_MESSAGE),
    ("1\u0665", RANGE_MESSAGE),  # digits from two sets
    ("9" * 20, RANGE_MESSAGE),
])
def test_other_digit_forms_are_refused_clearly_and_nothing_is_stored(db, survey, client,
                                                                     typed, message):
    response = post_page(client, f"/p/a/{survey.id}/1", {"pain_now": typed, "pain_worst": "6"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<p class="error" id="err-pain_now">{message}</p>' in html
    assert 'name="pain_worst" value="6" checked' in html
    assert _stored(db) == []


def test_a_control_character_in_a_typed_activity_is_refused(db, survey, client):
    answer_all(client, survey.id, PAIN_PAGES)
    response = post_page(client, f"/p/a/{survey.id}/5",
                         {**FIRST_PSFS, "activity_1": "Holding\x07 a cup"})
    assert response.status_code == 400
    assert UNUSUAL_CHARACTERS_MESSAGE in response.get_data(as_text=True)
    assert len(_stored(db)) == 4
