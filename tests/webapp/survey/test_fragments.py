"""Tap-to-answer questions rendered once and reused: the kept HTML is the macro's, each state."""

from __future__ import annotations

import pytest
from flask import g, render_template_string

from surveys.loader import load_library
from webapp import create_app
from webapp.i18n import refresh
from webapp.survey import fragments
from webapp.survey.pages import item_question, localised, page_questions

LIBRARY = load_library()
MACRO = ('{% from "patient/_questions.html" import question %}'
         '{{ question(q, vals, error) }}')


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "LANGUAGES": "en,fr,fa",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


def _speak(locale: str) -> None:
    g.locale = locale
    refresh()


@pytest.mark.parametrize("locale", ["en", "fr", "fa"])
@pytest.mark.parametrize(("vals", "error"), [
    ([], None), (["7"], None), (["0"], None), ([], "Please choose a number from 0 to 10."),
    (["not-a-choice"], None), (["na"], "Please check this answer."),
])
def test_a_kept_question_is_the_html_the_macro_writes(app, locale, vals, error):
    pain = localised(LIBRARY.get("nt-pain"), locale, "en")
    with app.test_request_context("/p/"):
        _speak(locale)
        for q in page_questions(pain, set(), {}):
            expected = render_template_string(MACRO, q=q, vals=vals, error=error)
            first = fragments.question_html(q, vals, error)
            again = fragments.question_html(q, vals, error)
            assert first == again == expected
            assert again is first  # the second came from the cache


def test_the_kept_html_differs_by_language_answer_and_error(app):
    with app.test_request_context("/p/"):
        _speak("en")
        q = page_questions(localised(LIBRARY.get("nt-pain"), "en", "en"), set(), {})[0]
        blank, seven = fragments.question_html(q, []), fragments.question_html(q, ["7"])
        wrong = fragments.question_html(q, [], "Please choose a number from 0 to 10.")
        _speak("fa")
        q = page_questions(localised(LIBRARY.get("nt-pain"), "fa", "en"), set(), {})[0]
        persian = fragments.question_html(q, [])
    assert 'value="7" checked' in seven and "checked" not in blank
    assert "Please choose a number" in wrong and "Please choose a number" not in blank
    assert "۷" in persian and "۷" not in blank


def test_two_instruments_with_the_same_words_do_not_share_html(app):
    # A clinic's licensed wording may reuse an item id and a label: the item itself is the key.
    item = LIBRARY.get("nt-pain").items[0]
    twin = item.model_copy(update={"help": "A different help line."})
    with app.test_request_context("/p/"):
        _speak("en")
        first = fragments.question_html(item_question(item, item.text), [])
        second = fragments.question_html(item_question(twin, twin.text), [])
    assert "A different help line." in second and "A different help line." not in first


def test_typed_answers_are_not_kept(app):
    psfs = localised(LIBRARY.get("nt-psfs"), "en", "en")
    typed = [item for item in psfs.items if item.type == "text"]
    assert typed, "the PSFS names its activities in words"
    with app.test_request_context("/p/"):
        _speak("en")
        before = len(fragments._rendered)
        html = fragments.question_html(item_question(typed[0], typed[0].text), ["gardening"])
    assert 'value="gardening"' in html and len(fragments._rendered) == before


def test_the_cache_stays_bounded(app, monkeypatch):
    monkeypatch.setattr(fragments, "LIMIT", 5)
    monkeypatch.setattr(fragments, "_rendered", {})
    pain = localised(LIBRARY.get("nt-pain"), "en", "en")
    q = page_questions(pain, set(), {})[0]
    with app.test_request_context("/p/"):
        _speak("en")
        for value in range(11):
            assert f'value="{value}" checked' in fragments.question_html(q, [str(value)])
            assert len(fragments._rendered) <= 5
