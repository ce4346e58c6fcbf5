"""The one rule for numbers patients type: which forms are read, to what, and what is refused."""

import pytest

from surveys.answer_input import (
    COMMA_MESSAGE,
    NOT_A_NUMBER_MESSAGE,
    OTHER_DIGITS_MESSAGE,
    UNREADABLE_MESSAGE,
    UNUSUAL_CHARACTERS_MESSAGE,
    AnswerError,
    answer_text,
    parse_answer_number,
)
from surveys.schema import Instrument
from surveys.validation import validate_answers

HUGE = 10**5000  # too long for str(); pytest cannot even name it, so each use has an id

ACCEPTED = [
    ("0", 0),
    ("7", 7),
    ("10", 10),
    ("05", 5),
    ("007", 7),
    ("-0", 0),
    ("-3", -3),
    (" 5 ", 5),
    ("\t5\n", 5),
    ("\u00a05\u3000", 5),  # no-break and ideographic spaces around the number
    ("1.5", 1.5),
    ("0.25", 0.25),
    ("5.0", 5),
    ("-0.0", 0),
    ("-2.5", -2.5),
    ("1" * 32, int("1" * 32)),
    ("\u0665", 5),  # Arabic-Indic five
    ("\u0661\u0660", 10),
    ("\u0660\u0665", 5),
    ("\u06f5", 5),  # Extended Arabic-Indic (Persian) five
    ("\u06f1\u06f0", 10),
    ("\u0665\u066b\u0665", 5.5),  # Arabic decimal separator
    ("\u06f1\u066b\u06f5", 1.5),
    ("\u0665.\u0665", 5.5),
    ("1\u066b5", 1.5),
    ("-\u06f3", -3),
]

REFUSED = [
    ("\u00b2", OTHER_DIGITS_MESSAGE),  # superscript two
    ("5\u00b2", OTHER_DIGITS_MESSAGE),
    ("\uff15", OTHER_DIGITS_MESSAGE),  # full-width five
    ("\U0001d7d3", OTHER_DIGITS_MESSAGE),  # mathematical bold five
    ("\u2460", OTHER_DIGITS_MESSAGE),  # circled one
    ("\u096b", OTHER_DIGITS_MESSAGE),  # Devanagari five
    ("1,5", COMMA_MESSAGE),
    ("1,000", COMMA_MESSAGE),
    ("+5", NOT_A_NUMBER_MESSAGE),
    ("5e0", NOT_A_NUMBER_MESSAGE),
    ("5E0", NOT_A_NUMBER_MESSAGE),
    ("1e1", NOT_A_NUMBER_MESSAGE),
    ("1_0", NOT_A_NUMBER_MESSAGE),
    ("1 0", NOT_A_NUMBER_MESSAGE),
    ("0x5", NOT_A_NUMBER_MESSAGE),
    ("\u22125", NOT_A_NUMBER_MESSAGE),  # minus sign, not hyphen-minus
    ("--5", NOT_A_NUMBER_MESSAGE),
    ("5-", NOT_A_NUMBER_MESSAGE),
    ("-", NOT_A_NUMBER_MESSAGE),
    (".", NOT_A_NUMBER_MESSAGE),
    ("5.", NOT_A_NUMBER_MESSAGE),
    (".5", NOT_A_NUMBER_MESSAGE),
    ("\u066b5", NOT_A_NUMBER_MESSAGE),
    ("1.2.3", NOT_A_NUMBER_MESSAGE),
    ("1\u0665", NOT_A_NUMBER_MESSAGE),  # digits from two sets
    ("\u0665\u06f5", NOT_A_NUMBER_MESSAGE),
    ("\u00bd", NOT_A_NUMBER_MESSAGE),  # vulgar fraction one half
    ("\u0665\u200f", NOT_A_NUMBER_MESSAGE),  # right-to-left mark is not whitespace
    ("nan", NOT_A_NUMBER_MESSAGE),
    ("inf", NOT_A_NUMBER_MESSAGE),
    ("-Infinity", NOT_A_NUMBER_MESSAGE),
    ("five", NOT_A_NUMBER_MESSAGE),
    ("", NOT_A_NUMBER_MESSAGE),
    ("   ", NOT_A_NUMBER_MESSAGE),
    ("5\x00", NOT_A_NUMBER_MESSAGE),
    ("\ud800", NOT_A_NUMBER_MESSAGE),
    ("1" * 33, NOT_A_NUMBER_MESSAGE),
    ("9" * 100_000, NOT_A_NUMBER_MESSAGE),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms_are_normalised(text, expected):
    number = parse_answer_number(text)
    assert number == expected
    assert type(number) is type(expected)


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_forms_say_why(text, message):
    with pytest.raises(AnswerError) as caught:
        parse_answer_number(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [5, 5.0, None, b"5", ["5"], {"5": 5}])
def test_only_text_is_parsed(value):
    with pytest.raises(AnswerError, match="Please enter a number"):
        parse_answer_number(value)


def test_the_caller_words_the_unreadable_message():
    with pytest.raises(AnswerError, match="^Choose 0 to 10.$"):
        parse_answer_number("abc", unreadable="Choose 0 to 10.")
    with pytest.raises(AnswerError, match="ordinary digits"):
        parse_answer_number("\uff15", unreadable="Choose 0 to 10.")


@pytest.mark.parametrize(
    ("value", "text"),
    [("5", "5"), (5, "5"), (2.5, "2.5"), (True, "True"), pytest.param(HUGE, None, id="huge-int"),
     ([5], None), ({}, None), (b"5", None), (object(), None)],
)
def test_answer_text(value, text):
    if text is None:
        with pytest.raises(AnswerError, match=UNREADABLE_MESSAGE):
            answer_text(value)
    else:
        assert answer_text(value) == text


FORM = Instrument.model_validate(
    {
        "id": "form",
        "version": 1,
        "title": "Form",
        "per_region": False,
        "items": [
            {"id": "nrs", "type": "nrs", "text": "N", "required": False},
            {"id": "kg", "type": "number", "text": "K", "min": 0.5, "max": 2.5, "step": 0.5,
             "required": False},
            {"id": "age", "type": "number", "text": "A", "min": 0, "max": 120, "integer": True,
             "required": False},
            {"id": "note", "type": "text", "text": "T", "required": False},
        ],
    }
)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("nrs", "\u0667", 7),
        ("nrs", "\u06f1\u06f0", 10),
        ("nrs", "07", 7),
        ("nrs", "-0", 0),
        ("nrs", "7.0", 7),
        ("nrs", 7, 7),
        ("nrs", 7.0, 7),
        ("kg", "\u0661\u066b\u0665", 1.5),
        ("kg", "1.50", 1.5),
        ("age", "\u06f4\u06f2", 42),
        ("age", "30.0", 30),
        ("note", "tab\tand\nnew line", "tab\tand\nnew line"),
        ("note", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", None),  # Persian with ZWNJ
    ],
)
def test_forms_read_numbers_by_the_rule(field, raw, expected):
    clean, errors = validate_answers(FORM, {field: raw})
    assert errors == {}
    expected = raw if expected is None else expected
    assert clean[field] == expected
    assert type(clean[field]) is type(expected)


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("nrs", "\uff15", OTHER_DIGITS_MESSAGE),
        ("nrs", "\u00b2", OTHER_DIGITS_MESSAGE),
        ("nrs", "5e0", "Choose a number from 0 to 10."),
        ("nrs", "+5", "Choose a number from 0 to 10."),
        ("nrs", "1_0", "Choose a number from 0 to 10."),
        ("nrs", "7.5", "Choose a number from 0 to 10."),
        ("nrs", 7.5, "Choose a number from 0 to 10."),
        ("nrs", 1e300, "Choose a number from 0 to 10."),
        ("nrs", float("nan"), "Choose a number from 0 to 10."),
        pytest.param("nrs", HUGE, UNREADABLE_MESSAGE, id="nrs-huge-int"),
        ("nrs", [["5"]], UNREADABLE_MESSAGE),
        ("nrs", {"5": 5}, UNREADABLE_MESSAGE),
        ("kg", "1,5", COMMA_MESSAGE),
        ("kg", "\u0661\u066b\u0667", "Use steps of 0.5, from 0.5 to 2.5."),
        ("age", "\u06f4\u06f2.5", "Enter a whole number from 0 to 120."),
        ("note", "a\x00b", UNUSUAL_CHARACTERS_MESSAGE),
        ("note", "a\ud800b", UNUSUAL_CHARACTERS_MESSAGE),
        ("note", "bell\x07", UNUSUAL_CHARACTERS_MESSAGE),
        ("note", "\x9b[2J", UNUSUAL_CHARACTERS_MESSAGE),
    ],
)
def test_forms_refuse_other_forms_with_a_message(field, raw, message):
    clean, errors = validate_answers(FORM, {field: raw})
    assert errors == {field: message}
    assert clean == {}
