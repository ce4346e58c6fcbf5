"""Hostile answers: a clear validation message or a score out, never another exception."""

import math

from hypothesis import given
from hypothesis import strategies as st

from surveys.answer_input import AnswerError, parse_answer_number
from surveys.outcomes import is_worsening, pgic_responder, pgic_worsening
from surveys.validation import unknown_fields, validate_answers
from tests.surveys.hostile import (
    ANY_TEXT,
    FUZZ,
    LIBRARY,
    NASTY_TEXTS,
    VALUES,
    answers_for,
    check_scored,
)

INSTRUMENTS = LIBRARY.all() + [LIBRARY.templates[key] for key in sorted(LIBRARY.templates)]


@st.composite
def instrument_and_answers(draw):
    defn = draw(st.sampled_from(INSTRUMENTS))
    return defn, draw(answers_for(defn))


def check_clean(defn, clean):
    for item_id, value in clean.items():
        item = defn.item(item_id)
        if item.type in ("nrs", "number"):
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert item.bounds()[0] <= value <= item.bounds()[1]
        elif item.type == "single":
            assert value in item.option_values()
        elif item.type == "multi":
            assert all(v in item.option_values() for v in value)
        elif item.type == "yesno":
            assert isinstance(value, bool)
        else:
            assert isinstance(value, str) and "\x00" not in value


@FUZZ
@given(instrument_and_answers())
def test_any_answers_give_messages_or_scores(case):
    defn, raw = case
    clean, errors = validate_answers(defn, raw)
    assert set(clean).isdisjoint(errors)
    assert all(isinstance(m, str) and m.endswith(".") and len(m) < 300 for m in errors.values())
    check_clean(defn, clean)
    check_scored(defn, clean)
    assert all(isinstance(name, str) for name in unknown_fields(defn, raw))


@FUZZ
@given(instrument_and_answers())
def test_stored_answers_of_any_shape_score_or_say_why(case):
    defn, stored = case
    check_scored(defn, stored)


@FUZZ
@given(st.sampled_from(INSTRUMENTS), VALUES)
def test_a_form_that_is_not_a_mapping(defn, raw):
    clean, errors = validate_answers(defn, raw)
    assert isinstance(clean, dict) and isinstance(errors, dict)
    assert unknown_fields(defn, raw) == [] or isinstance(raw, dict)
    check_scored(defn, raw)


@FUZZ
@given(VALUES, VALUES, VALUES)
def test_outcome_rules_take_anything(baseline, previous, value):
    assert is_worsening(baseline, previous, value) in (True, False)
    assert pgic_worsening(value) in (True, False)
    assert pgic_responder(value, "7-best") in (True, False)


@FUZZ
@given(ANY_TEXT | NASTY_TEXTS)
def test_number_parser_reads_or_refuses(text):
    try:
        number = parse_answer_number(text)
    except AnswerError as exc:
        assert str(exc).endswith(".")
        return
    assert isinstance(number, int | float) and math.isfinite(number)


@FUZZ
@given(st.integers(-10**30, 10**30), st.sampled_from(["0123456789", "\u0660\u0661\u0662\u0663"
       "\u0664\u0665\u0666\u0667\u0668\u0669", "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7"
       "\u06f8\u06f9"]))
def test_every_whole_number_reads_back_in_each_digit_set(number, digits):
    text = str(number).translate(str.maketrans("0123456789", digits))
    assert parse_answer_number(f" {text} ") == number
