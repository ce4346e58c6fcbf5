"""Answer validation for web forms: plain messages, never an exception."""

import pytest

from surveys.loader import load_library
from surveys.schema import Instrument
from surveys.validation import unknown_fields, validate_answers

LIBRARY = load_library()
PAIN = LIBRARY.get("nt-pain")
PSFS = LIBRARY.get("nt-psfs")
MIXED = Instrument.model_validate(
    {
        "id": "mixed",
        "version": 1,
        "title": "Mixed",
        "per_region": False,
        "items": [
            {"id": "nrs", "type": "nrs", "text": "N"},
            {
                "id": "one",
                "type": "single",
                "text": "S",
                "options": [{"value": 1, "label": "A"}, {"value": "b", "label": "B"}],
            },
            {
                "id": "many",
                "type": "multi",
                "text": "M",
                "required": False,
                "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
            },
            {"id": "yn", "type": "yesno", "text": "Y", "required": False},
            {
                "id": "kg",
                "type": "number",
                "text": "K",
                "min": 0.5,
                "max": 2.5,
                "step": 0.5,
                "required": False,
            },
            {
                "id": "age",
                "type": "number",
                "text": "A",
                "min": 0,
                "max": 120,
                "integer": True,
                "required": False,
            },
            {"id": "note", "type": "text", "text": "T", "required": False, "max_length": 10},
        ],
    }
)
GOOD = {"nrs": "7", "one": "1"}


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("nrs", "11", "Choose a number from 0 to 10."),
        ("nrs", "-1", "Choose a number from 0 to 10."),
        ("nrs", "abc", "Choose a number from 0 to 10."),
        ("nrs", "7.5", "Choose a number from 0 to 10."),
        ("nrs", "nan", "Choose a number from 0 to 10."),
        ("nrs", "inf", "Choose a number from 0 to 10."),
        ("nrs", "9" * 10000, "Choose a number from 0 to 10."),
        ("nrs", "x" * 10000, "Choose a number from 0 to 10."),
        ("nrs", "", "Please answer this question."),
        ("nrs", "   ", "Please answer this question."),
        ("nrs", ["3", "4"], "Please give just one answer."),
        ("one", "c", "Choose one of the options shown."),
        ("one", "B", "Choose one of the options shown."),
        ("many", ["x", "z"], "Choose one of the options shown."),
        ("yn", "maybe", "Please answer yes or no."),
        ("kg", "0.7", "Use steps of 0.5, from 0.5 to 2.5."),
        ("kg", "3", "Enter a number from 0.5 to 2.5."),
        ("age", "30.5", "Enter a whole number from 0 to 120."),
        ("note", "x" * 11, "Please keep this under 10 characters."),
        ("note", "x" * 10000, "Please keep this under 10 characters."),
    ],
)
def test_bad_input_gives_a_message(field, raw, message):
    clean, errors = validate_answers(MIXED, {**GOOD, field: raw})
    assert errors == {field: message}
    assert field not in clean


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("nrs", " 0 ", 0),
        ("nrs", "10", 10),
        ("nrs", ["4"], 4),
        ("one", "b", "b"),
        ("many", ["y", "x", "y"], ["y", "x"]),
        ("yn", "yes", True),
        ("yn", "no", False),
        ("kg", "1.5", 1.5),
        ("kg", "2", 2),
        ("age", "42", 42),
        ("note", "  short  ", "short"),
    ],
)
def test_good_input_is_cleaned(field, raw, expected):
    clean, errors = validate_answers(MIXED, {**GOOD, field: raw})
    assert errors == {}
    assert clean[field] == expected
    assert type(clean[field]) is type(expected)


def test_missing_required_and_partial():
    _, errors = validate_answers(PAIN, {})
    missing = "Please answer this question."
    assert errors == {"pain_now": missing, "pain_worst": missing}
    clean, errors = validate_answers(PAIN, {"pain_now": "3"}, partial=True)
    assert (clean, errors) == ({"pain_now": 3}, {})
    _, errors = validate_answers(PAIN, {"pain_now": "30"}, partial=True)
    assert errors == {"pain_now": "Choose a number from 0 to 10."}


def test_extra_fields_are_ignored_and_reported():
    raw = {"pain_now": "2", "pain_worst": "5", "csrf_token": "abc", "evil": ["x"]}
    clean, errors = validate_answers(PAIN, raw)
    assert (clean, errors) == ({"pain_now": 2, "pain_worst": 5}, {})
    assert unknown_fields(PAIN, raw) == ["csrf_token", "evil"]


@pytest.mark.parametrize(
    ("raw", "clean_keys", "errors"),
    [
        ({"activity_1": "Typing", "rating_1": "3"}, {"activity_1", "rating_1"}, {}),
        ({"activity_1": "Typing"}, {"activity_1"}, {"rating_1": "Please answer this question."}),
        (
            {"activity_1": "Typing", "rating_1": "3", "activity_2": "Driving"},
            {"activity_1", "rating_1", "activity_2"},
            {"rating_2": "Please answer this question."},
        ),
        ({"activity_1": "Typing", "rating_1": "3", "rating_2": ""}, {"activity_1", "rating_1"}, {}),
        (
            {"activity_1": "Typing", "rating_1": "3", "rating_3": "5"},
            {"activity_1", "rating_1"},
            {
                "rating_3": 'Please answer "Another hard activity (number 3), if you have one." '
                "first, or leave this blank."
            },
        ),
        ({}, set(), {"activity_1": "Please answer this question."}),
    ],
)
def test_depends_on(raw, clean_keys, errors):
    clean, found = validate_answers(PSFS, raw)
    assert set(clean) == clean_keys
    assert found == errors


def test_psfs_shape():
    assert [i.id for i in PSFS.items if i.carry_forward] == [f"activity_{n}" for n in range(1, 6)]
    assert [i.id for i in PSFS.items if i.required and not i.depends_on] == ["activity_1"]
    assert PSFS.item("rating_2").depends_on == "activity_2"


class FakeMultiDict(dict):
    def getlist(self, key):
        value = self.get(key)
        return [] if value is None else value if isinstance(value, list) else [value]


def test_multidict_like_input():
    raw = FakeMultiDict({"nrs": "5", "one": "1", "many": ["x", "y"]})
    clean, errors = validate_answers(MIXED, raw)
    assert errors == {}
    assert clean["many"] == ["x", "y"]


@pytest.mark.parametrize("raw", [{"nrs": None}, {"nrs": 5}, {"nrs": ["", None]}, {"many": "x"}])
def test_odd_types_never_raise(raw):
    validate_answers(MIXED, raw)
