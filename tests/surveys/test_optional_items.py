"""Optional items and "does not apply": skipping is how patients say an item is not theirs.

The instrument's published missing-data rule then decides whether it can be scored (CLINICAL.md:
QuickDASH is not scored with more than one item missing; NerveTrack's stated BCTQ rule needs 10
of 11 symptom items and 7 of 8 function items).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.answer_input import NOT_APPLICABLE
from surveys.loader import load_library
from surveys.schema import Item
from surveys.scoring import score_answers
from surveys.validation import validate_answers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instruments"
QUICKDASH = [2, 3, 1, 2, 1, 4, 2, 3, 3, 4, 2]  # 36.36 (CLINICAL.md worked vector)


@pytest.fixture(scope="module")
def library():
    lib = load_library(extra_dir=FIXTURES)
    assert not lib.errors
    return lib


def _form(values, prefix="q"):
    return {f"{prefix}{i}": [str(v)] for i, v in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("replaced", "expected"),
    [({}, 36.36), ({11: NOT_APPLICABLE}, 37.5), ({11: None}, 37.5),
     ({10: NOT_APPLICABLE, 11: NOT_APPLICABLE}, None), ({1: NOT_APPLICABLE, 11: None}, None)],
)
def test_quickdash_skips_follow_the_published_rule(library, replaced, expected):
    values = [replaced.get(i, v) for i, v in enumerate(QUICKDASH, start=1)]
    form = {k: v for k, v in _form(values).items() if v != ["None"]}
    clean, errors = validate_answers(library.get("quickdash-en"), form)
    assert errors == {}  # skipping or "does not apply" is never refused
    result = score_answers(library.get("quickdash-en"), clean)["quickdash"]
    assert (None if result.value is None else round(result.value, 2)) == expected
    if expected is None:
        assert "missing" in result.reason


def test_a_not_applicable_answer_is_kept_as_such(library):
    clean, errors = validate_answers(library.get("quickdash-en"), {"q3": [NOT_APPLICABLE]})
    assert errors == {} and clean == {"q3": NOT_APPLICABLE}


@pytest.mark.parametrize(("skipped_sss", "skipped_fss", "sss_scored", "fss_scored"),
                         [(1, 1, True, True), (2, 0, False, True), (0, 2, True, False)])
def test_bctq_states_its_own_rule(library, skipped_sss, skipped_fss, sss_scored, fss_scored):
    bctq = library.get("bctq-en")
    form = {}
    for item in bctq.items:
        form[item.id] = ["3"]
    sss = [i.id for i in bctq.items if i.id.startswith("s")][:skipped_sss]
    fss = [i.id for i in bctq.items if i.id.startswith("f")][:skipped_fss]
    for item_id in sss + fss:
        form[item_id] = [NOT_APPLICABLE]
    clean, errors = validate_answers(bctq, form)
    assert errors == {}
    scores = score_answers(bctq, clean)
    assert [scores[k].value is not None for k in sorted(scores)] == [fss_scored, sss_scored]


@pytest.mark.parametrize("instrument_id", ["nt-pain", "nt-paresthesia", "nt-pgic"])
def test_built_in_single_answer_items_do_not_offer_it(library, instrument_id):
    instrument = library.get(instrument_id)
    item = instrument.items[0]
    clean, errors = validate_answers(instrument, {item.id: [NOT_APPLICABLE]})
    assert item.id in errors and item.id not in clean


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"type": "nrs", "required": True}, "optional"),
     ({"type": "text", "required": False}, "optional nrs, number, single or yesno"),
     ({"type": "multi", "required": False, "options": [{"value": 1, "label": "a"}]},
      "optional nrs, number, single or yesno")],
)
def test_only_optional_answer_items_may_offer_it(fields, message):
    with pytest.raises(ValueError, match=message):
        Item(id="x", text="Question", not_applicable=True, **fields)
