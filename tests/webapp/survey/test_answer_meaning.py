"""The review says what each answer means ("5 out of 10" with the scale's words, option labels,
the activity's name with its score); pages and review in the patient's language, with Persian
digits shown while the values sent and stored stay plain integers."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from surveys.catalogue import region_label
from surveys.i18n import localise
from tests.support.activities import PAIN_PAGES
from tests.support.patient import AFTER_OK, FIRST_PSFS, answer_all, open_survey, sign_in
from webapp.models import Patient, SurveyResponse, SurveyScore
from webapp.survey.instruments import library_for

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ASCII_DIGIT = re.compile(r"[0-9]")
PARESTHESIA = "In the past 7 days, how strong was the tingling, numbness or burning?"
TINGLING = "0 = None, 10 = As bad as it could be"


def _survey(db, client, instruments=None, language=None):
    assignment = open_survey(db)
    if instruments:
        assignment.instruments = instruments
        db.add(assignment)
    if language:
        patient = db.get(Patient, assignment.patient_id)
        patient.language = language
        db.add(patient)
    db.commit()
    sign_in(client, db, assignment)
    return assignment


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)


def test_review_gives_scores_with_their_scale_words_and_activities_by_name(db, client):
    survey = _survey(db, client)
    answer_all(client, survey.id, [*PAIN_PAGES, FIRST_PSFS])
    rows = _rows(client.get(f"/p/a/{survey.id}/review").get_data(as_text=True))
    pain = "0 = No pain, 10 = Worst pain you can imagine"
    able = "0 = I cannot do it, 10 = As well as before the problem"
    assert rows == [
        ("How much pain do you have right now?", f"7 out of 10 ({pain})"),
        ("What was your worst pain in the past 7 days?", f"8 out of 10 ({pain})"),
        ("How much pain do you have right now?", f"4 out of 10 ({pain})"),
        ("What was your worst pain in the past 7 days?", f"6 out of 10 ({pain})"),
        (PARESTHESIA, f"5 out of 10 ({TINGLING})"), (PARESTHESIA, f"2 out of 10 ({TINGLING})"),
        ("Holding a cup", f"3 out of 10 ({able})"), ("Typing", f"5 out of 10 ({able})")]


@pytest.mark.parametrize("instruments, answers, label, words", [
    (["nt-pgic"], {"pgic": "2"}, "Since your first treatment, how is the problem now?",
     "Much better"),
    (["nt-after-session"], {**AFTER_OK, "bruising": "yes"},
     "Did you get a bruise where the needle went in?", "Yes"),
    (["nt-after-session"], AFTER_OK, "If you want, tell us more in your own words.",
     "Not answered"),
    (["nt-after-session"], {**AFTER_OK, "details": "Sore <b>arm</b>"},
     "If you want, tell us more in your own words.", "Sore &lt;b&gt;arm&lt;/b&gt;"),
])
def test_review_gives_option_words_and_says_what_was_skipped(db, client, instruments, answers,
                                                            label, words):
    survey = _survey(db, client, instruments)
    answer_all(client, survey.id, [answers])
    rows = _rows(client.get(f"/p/a/{survey.id}/review").get_data(as_text=True))
    assert (label, words) in rows, rows


class TestPersian:
    @pytest.fixture
    def survey(self, db, client):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fa"
        return _survey(db, client, language="fa")

    def test_the_page_is_worded_in_persian_and_counts_in_persian_digits(self, app, client,
                                                                         survey):
        html = client.get(f"/p/a/{survey.id}/1").get_data(as_text=True)
        pain = localise(library_for(app).get("nt-pain"), "fa", "en")
        assert f"<h1>{pain.title}</h1>" in html
        assert region_label(survey.regions[0], "fa") in html
        labels = re.findall(r'name="pain_now" value="(\d+)"><span>(.*?)</span>', html)
        assert labels == [(str(n), "".join(PERSIAN[int(d)] for d in str(n))) for n in range(11)]
        assert f"۰ = {pain.items[0].anchors.min}" in html
        progress = re.search(r'<label for="progress">(.*?)</label>', html).group(1)
        assert "۱" in progress and "۵" in progress and not ASCII_DIGIT.search(progress)

    def test_answers_are_stored_as_integers_under_the_real_instrument(self, db, client, survey):
        answer_all(client, survey.id, [{"pain_now": "۷", "pain_worst": "8"}])
        db.expire_all()
        row = db.exec(select(SurveyResponse)).one()
        assert (row.instrument_id, row.instrument_version) == ("nt-pain", "1")
        assert row.answers == {"pain_now": 7, "pain_worst": 8}
        scores = {s.score_id: s.value for s in db.exec(select(SurveyScore)).all()}
        assert scores == {"pain_now": 7, "pain_worst": 8}

    def test_the_review_shows_persian_digits_and_words(self, app, client, survey):
        answer_all(client, survey.id, [*PAIN_PAGES, FIRST_PSFS])
        html = client.get(f"/p/a/{survey.id}/review").get_data(as_text=True)
        rows = _rows(html)
        pain = localise(library_for(app).get("nt-pain"), "fa", "en")
        assert rows[0][0] == pain.items[0].text
        words = rows[0][1]
        assert "۷" in words and "۱۰" in words and pain.items[0].anchors.max in words
        assert not ASCII_DIGIT.search(words)
        assert rows[-2][0] == "Holding a cup" and rows[-2][1].startswith("۳ ")
