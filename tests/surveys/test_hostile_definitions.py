"""Hostile definition files: loaded, or rejected with a message naming the file, never a crash."""

import json
import math
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.loader import BUILTIN_DIR, TEMPLATE_DIR, load_library
from surveys.schema import DefinitionError, Instrument, parse_definition
from surveys.validation import validate_answers
from tests.surveys.hostile import (
    ANY_TEXT,
    DEPTH,
    FUZZ,
    HUGE,
    JSONISH,
    LIBRARY,
    NASTY_TEXTS,
    answers_for,
    check_scored,
    nested,
)

DEFINITION_FILES = sorted(BUILTIN_DIR.glob("*.json")) + sorted(TEMPLATE_DIR.glob("*.json"))


def rejected_or_instrument(raw, file="fuzz.json"):
    try:
        defn = parse_definition(raw, file)
    except DefinitionError as exc:
        assert exc.reason and exc.file == file
        return None
    assert isinstance(defn, Instrument)
    return defn


def deep_json(kind):
    """Return a JSON-ish value nested far past the recursion limit."""
    return nested(DEPTH, kind=kind)


@st.composite
def mutated_definition(draw, deep=True):
    """A real definition with one value somewhere replaced by arbitrary JSON-ish data."""
    values = JSONISH | st.sampled_from([list, dict]).map(deep_json) if deep else JSONISH
    data = json.loads(draw(st.sampled_from(DEFINITION_FILES)).read_text(encoding="utf-8"))
    node = data
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(values)
            return data
        node = node[key]
    return data


@FUZZ
@given(JSONISH)
def test_any_json_value_is_a_definition_or_rejected(raw):
    rejected_or_instrument(raw)


@FUZZ
@given(mutated_definition(), st.data())
def test_damaged_definitions_are_rejected_or_still_safe(raw, data):
    defn = rejected_or_instrument(raw)
    if defn is not None:
        clean, _ = validate_answers(defn, data.draw(answers_for(defn)))
        check_scored(defn, clean)


NUMBER_FIELDS = st.one_of(st.none(), st.floats(), st.integers(-10**6, 10**6),
                          st.sampled_from([1e308, -1e308, 5e-324, math.inf, math.nan]))


@FUZZ
@given(st.sampled_from(["nrs", "number"]), NUMBER_FIELDS, NUMBER_FIELDS, NUMBER_FIELDS,
       ANY_TEXT | NASTY_TEXTS)
def test_any_number_item_checks_any_answer(kind, low, high, step, text):
    item = {"id": "n", "type": kind, "text": "N", "min": low, "max": high, "step": step}
    defn = rejected_or_instrument({"id": "x", "version": 1, "title": "X", "per_region": False,
                                   "items": [item]})
    if defn is not None:
        clean, errors = validate_answers(defn, {"n": text})
        assert set(clean) | set(errors) == {"n"}


def load_files(texts):
    """Write each text as a clinic definition file and load the library from that folder."""
    with tempfile.TemporaryDirectory() as folder:
        for number, text in enumerate(texts):
            path = Path(folder, f"f{number}.json")
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return load_library(extra_dir=Path(folder))


def wording_for(template):
    """Return a complete, valid wording file for a template."""
    labels = {"*": {str(v): f"Option {v}" for i in template.items for v in i.option_values()}}
    return {"id": f"{template.id}-x", "version": 1, "extends": template.id, "title": "T",
            "wording": {item.id: f"Question {item.id}" for item in template.items},
            "option_labels": labels if labels["*"] else {}}


@st.composite
def definition_file_texts(draw):
    if draw(st.booleans()):
        return json.dumps(draw(JSONISH))
    if draw(st.booleans()):
        return json.dumps(draw(mutated_definition(deep=False)))  # deep files: DEEP_TEXTS
    wording = wording_for(draw(st.sampled_from(sorted(LIBRARY.templates.values(), key=str))))
    wording[draw(st.sampled_from(sorted(wording)))] = draw(JSONISH)
    return json.dumps(wording)


@FUZZ
@given(st.lists(definition_file_texts(), min_size=1, max_size=3))
def test_definition_files_load_or_are_listed_as_errors(texts):
    library = load_files(texts)
    assert len(library.errors) + sum(map(len, library.instruments.values())) >= len(texts)
    assert all(isinstance(e, DefinitionError) and e.reason for e in library.errors)
    for defn in library.all():
        check_scored(defn, validate_answers(defn, {})[0])


READABLE_DEPTH = sys.getrecursionlimit() - 100  # json can still read this much nesting
DEEP_TEXTS = [
    ("[" * 100_000, "(file)"),
    ('{"a": ' * 100_000, "(file)"),
    ('{"id": "x", "items": ' + "[" * 100_000 + "]" * 100_000 + "}", "(file)"),
    ("1" * 5000, "(file)"),
    ('{"version": ' + "1" * 5000 + "}", "(file)"),
    ("\ud800", "(file)"),
    ("", "(file)"),
    ("[" * READABLE_DEPTH + "]" * READABLE_DEPTH, "(definition)"),
    ('{"id": "x", "items": ' + "[" * READABLE_DEPTH + "]" * READABLE_DEPTH + "}", "(definition)"),
    ("NaN", "(definition)"),
]


@pytest.mark.parametrize(("text", "item"), DEEP_TEXTS, ids=lambda v: f"{v[:12]!r}x{len(v)}")
def test_deep_or_huge_files_are_rejected_with_a_message(text, item):
    library = load_files([text])
    assert [(e.file, e.item) for e in library.errors] == [("f0.json", item)]
    assert 0 < len(library.errors[0].reason) < 300


def definition_with(**changes):
    base = {"id": "x", "version": 1, "title": "X", "per_region": False,
            "items": [{"id": "n", "type": "nrs", "text": "N"}]}
    return {**base, **changes}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(nested(DEPTH), id="deep-list"),
        pytest.param(nested(DEPTH, kind=dict), id="deep-dict"),
        pytest.param(definition_with(items=nested(DEPTH)), id="deep-items"),
        pytest.param(definition_with(title=nested(DEPTH, kind=dict)), id="deep-title"),
        pytest.param(definition_with(items=[{"id": nested(DEPTH), "type": "nrs", "text": "N"}]),
                     id="deep-item-id"),
        pytest.param(definition_with(items=[{"id": HUGE, "type": "nrs", "text": "N"}]),
                     id="huge-item-id"),
        pytest.param(definition_with(flags=[{"id": "f", "item": "n", "when": nested(DEPTH),
                                             "severity": "watch", "message": "M"}]),
                     id="deep-flag-when"),
        pytest.param(definition_with(unknown=nested(DEPTH)), id="deep-extra-key"),
        pytest.param(definition_with(version=nested(DEPTH)), id="deep-version"),
    ],
)
def test_deep_or_huge_values_are_rejected_with_a_message(raw):
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw, "deep.json")
    assert len(str(caught.value)) < 300  # the hostile value itself is never printed


@pytest.mark.parametrize(
    "item",
    [
        {"id": "n", "type": "number", "text": "N", "min": 0, "max": 10, "step": math.nan},
        {"id": "n", "type": "number", "text": "N", "min": math.nan, "max": 10},
        {"id": "n", "type": "nrs", "text": "N", "max": math.inf},
    ],
    ids=["nan-step", "nan-min", "inf-max"],
)
def test_definitions_with_nan_or_infinity_are_rejected(item):
    with pytest.raises(DefinitionError, match="finite number"):
        parse_definition(definition_with(items=[item]), "nan.json")


@pytest.mark.parametrize("odd", ["\u00b2", "\uff15", "1" * 5000])
def test_versions_that_look_like_digits_still_sort(odd):
    texts = [json.dumps(definition_with(version=version)) for version in [2, "10", odd]]
    library = load_files(texts)
    assert library.errors == []
    assert library.get("x", odd).version == odd
    assert library.get("x").version in ("10", odd)
