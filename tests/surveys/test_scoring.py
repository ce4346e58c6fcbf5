"""Scoring engine, licensed templates via clinic fixtures, safety flags and outcome helpers."""

from pathlib import Path

import pytest

from surveys.loader import load_library
from surveys.outcomes import is_worsening, pgic_responder, pgic_worsening
from surveys.schema import Instrument, ScoreRule
from surveys.scoring import evaluate_flags, score_answers, score_rule

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instruments"


@pytest.fixture(scope="module")
def library():
    lib = load_library(extra_dir=FIXTURES)
    assert lib.errors == []
    return lib


def answers_for(prefix, values):
    return {f"{prefix}{n}": v for n, v in enumerate(values, 1)}


def rule(method="sum", items=("a", "b", "c"), **extra):
    return ScoreRule(
        id="s",
        label="S",
        outcome="other",
        method=method,
        items=list(items),
        direction="higher_worse",
        **extra,
    )


@pytest.mark.parametrize(
    ("method", "extra", "answers", "expected"),
    [
        ("sum", {}, {"a": 1, "b": 2, "c": 3}, 6),
        ("mean", {}, {"a": 1, "b": 2, "c": 4}, 7 / 3),
        ("rescaled_mean", {}, {"a": 1, "b": 1, "c": 1}, 0),
        ("rescaled_mean", {}, {"a": 5, "b": 5, "c": 5}, 100),
        ("count_yes", {}, {"a": True, "b": False, "c": "yes"}, 2),
        ("count_yes", {}, {"a": False, "b": False, "c": False}, 0),
        ("weighted_sum", {"weights": [1, 2, 0.5]}, {"a": 1, "b": 2, "c": 4}, 7),
        ("answer", {}, {"a": 7}, 7),
        ("answer", {}, {"a": 0}, 0),
        ("sum", {}, {"a": "2", "b": "3", "c": "4"}, 9),
    ],
)
def test_methods(method, extra, answers, expected):
    items = ("a",) if method == "answer" else ("a", "b", "c")
    result = score_rule(rule(method, items, **extra), answers)
    assert result.value == pytest.approx(expected)
    assert result.reason is None


@pytest.mark.parametrize(
    ("extra", "answers", "scored", "reason_fragment"),
    [
        ({"missing": "none"}, {"a": 1, "b": 2, "c": 3}, True, None),
        ({"missing": "none"}, {"a": 1, "b": 2}, False, "all are needed"),
        ({"missing": "none"}, {"a": 1, "b": 2, "c": None}, False, "1 of 3 items missing"),
        ({}, {"a": 1, "b": 2}, False, "all are needed"),
        ({"min_answered": 2}, {"a": 1, "b": 2}, True, None),
        ({"min_answered": 2}, {"a": 1}, False, "needs at least 2"),
        ({"max_missing": 1}, {"a": 1, "c": ""}, False, "at most 1 allowed"),
        ({"max_missing": 1}, {"a": 1, "b": 3}, True, None),
        ({"max_missing": 3}, {}, False, "no items answered"),
        ({"min_answered": 1}, {"a": [], "b": "  "}, False, "no items answered"),
    ],
)
def test_missing_data_rules(extra, answers, scored, reason_fragment):
    result = score_rule(rule("mean", **extra), answers)
    assert (result.value is not None) is scored
    if reason_fragment:
        assert reason_fragment in result.reason


def test_mean_with_missing_uses_only_answered_items():
    result = score_rule(rule("mean", min_answered=2), {"a": 2, "b": 4})
    assert result.value == pytest.approx(3)
    assert result.answered == 2


def test_non_numeric_answer_is_not_scored():
    result = score_rule(rule("sum"), {"a": 1, "b": "lots", "c": 2})
    assert result.value is None
    assert "'b'" in result.reason


def test_out_of_range_score_is_not_scored():
    result = score_rule(rule("sum", range=[0, 10]), {"a": 9, "b": 9, "c": 9})
    assert result.value is None and "outside" in result.reason


def test_display_rounds_to_two_decimals_but_value_keeps_precision():
    result = score_rule(rule("mean"), {"a": 1, "b": 1, "c": 2})
    assert result.display == "1.33"
    assert result.value == pytest.approx(4 / 3)


QUICKDASH = [2, 3, 1, 2, 1, 4, 2, 3, 3, 4, 2]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (QUICKDASH, 36.3636),
        (QUICKDASH[:10] + [None], 37.5),
        (QUICKDASH[:9] + [None, None], None),
        ([1] * 11, 0.0),
        ([5] * 11, 100.0),
    ],
)
def test_quickdash_vectors(library, values, expected):
    result = score_answers(library.get("quickdash-en"), answers_for("q", values))["quickdash"]
    assert result.value == (None if expected is None else pytest.approx(expected, abs=1e-3))


def test_quickdash_rescaled_mean_value_is_exact(library):
    value = score_answers(library.get("quickdash-en"), answers_for("q", QUICKDASH))["quickdash"]
    assert value.value == pytest.approx((27 / 11 - 1) * 25)


@pytest.mark.parametrize(
    ("sss", "fss", "expected_sss", "expected_fss"),
    [
        ([3, 2, 3, 3, 2, 4, 2, 4, 3, 2, 3], [2, 3, 1, 2, 3, 2, 2, 1], 2.818, 2.0),
        ([3, 2, 3, 3, 2, 4, 2, 4, 3, 2, None], [2, 3, 1, 2, 3, 2, 2, None], 2.8, 15 / 7),
        ([3, 2, 3, 3, 2, 4, 2, 4, 3, None, None], [2, 3, 1, 2, 3, 2, None, None], None, None),
        ([1] * 11, [5] * 8, 1.0, 5.0),
    ],
)
def test_bctq_vectors(library, sss, fss, expected_sss, expected_fss):
    answers = {**answers_for("sss_", sss), **answers_for("fss_", fss)}
    scores = score_answers(library.get("bctq-en"), answers)
    for key, expected in (("bctq_sss", expected_sss), ("bctq_fss", expected_fss)):
        want = None if expected is None else pytest.approx(expected, abs=1e-3)
        assert scores[key].value == want


LEFS = [3, 2, 4, 4, 3, 1, 2, 3, 1, 3, 3, 2, 2, 2, 3, 0, 0, 0, 1, 4]


@pytest.mark.parametrize(
    ("values", "expected"),
    [(LEFS, 43), (LEFS[:19] + [None], None), ([0] * 20, 0), ([4] * 20, 80)],
)
def test_lefs_vectors(library, values, expected):
    result = score_answers(library.get("lefs-en"), answers_for("l", values))["lefs"]
    assert result.value == expected
    if expected is None:
        assert "all are needed" in result.reason


@pytest.mark.parametrize(
    ("yes_count", "total", "positive", "interview", "interview_positive"),
    [
        (0, 0, False, 0, False),
        (3, 3, False, 3, True),
        (4, 4, True, 4, True),
        (10, 10, True, 7, True),
    ],
)
def test_dn4_counts(library, yes_count, total, positive, interview, interview_positive):
    answers = {f"dn4_{i}": i <= yes_count for i in range(1, 11)}
    scores = score_answers(library.get("dn4-fr"), answers)
    assert scores["dn4"].value == total
    assert scores["dn4"].positive is positive
    assert scores["dn4_interview"].value == interview
    assert scores["dn4_interview"].positive is interview_positive


def test_dn4_with_a_missing_item_is_not_scored(library):
    answers = {f"dn4_{i}": True for i in range(1, 10)}
    assert score_answers(library.get("dn4-fr"), answers)["dn4"].value is None


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [([3, 5, 4], 4.0), ([6, 7, 5], 6.0), ([0], 0.0), ([10, 10, 10, 10, 10], 10.0), ([], None)],
)
def test_psfs_mean_of_rated_activities(library, ratings, expected):
    answers = {f"activity_{n}": f"Task {n}" for n in range(1, len(ratings) + 1)}
    answers.update(answers_for("rating_", ratings))
    result = score_answers(library.get("nt-psfs"), answers)["psfs"]
    assert result.value == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("instrument", "answers", "score", "expected"),
    [
        ("nt-pain", {"pain_now": 8, "pain_worst": 9}, "pain_now", 8),
        ("nt-pain", {"pain_now": 8, "pain_worst": 9}, "pain_worst", 9),
        ("nt-pain", {"pain_worst": 9}, "pain_now", None),
        ("nt-paresthesia", {"paresthesia": 0}, "paresthesia", 0),
        ("nt-pgic", {"pgic": 2}, "pgic", 2),
        ("nt-pgic", {}, "pgic", None),
    ],
)
def test_single_answer_instruments(library, instrument, answers, score, expected):
    assert score_answers(library.get(instrument), answers)[score].value == expected


@pytest.mark.parametrize(("answer", "responder"), [(1, True), (2, True), (3, False), (7, False)])
def test_pgic_responder_from_definition(library, answer, responder):
    assert score_answers(library.get("nt-pgic"), {"pgic": answer})["pgic"].positive is responder


def test_builtin_score_outcomes(library):
    outcomes = {
        (d.id, s.id): s.outcome for d in library.all() for s in d.scores if d.id.startswith("nt-")
    }
    assert outcomes[("nt-pain", "pain_now")] == "pain"
    assert outcomes[("nt-pain", "pain_worst")] == "pain_worst"
    assert outcomes[("nt-paresthesia", "paresthesia")] == "paresthesia"
    assert outcomes[("nt-psfs", "psfs")] == "function"
    assert outcomes[("nt-pgic", "pgic")] == "pgic"
    assert library.get("nt-pgic").scale_version == "1-best"


@pytest.mark.parametrize(
    ("answers", "expected_ids"),
    [
        ({"new_weakness_numbness": True}, ["new-weakness-numbness"]),
        ({"infection_signs": True, "bruising": True}, ["infection-signs", "bruising"]),
        ({"bruising": True, "new_weakness_numbness": True}, ["new-weakness-numbness", "bruising"]),
        ({"bruising": False, "new_weakness_numbness": False, "infection_signs": False}, []),
        ({"new_weakness_numbness": "yes"}, ["new-weakness-numbness"]),
        ({}, []),
    ],
)
def test_after_session_flags(library, answers, expected_ids):
    flags = evaluate_flags(library.get("nt-after-session"), answers)
    assert [f.id for f in flags] == expected_ids


def test_serious_flags_are_the_weakness_and_infection_ones(library):
    defn = library.get("nt-after-session")
    everything = {item.id: True for item in defn.items if item.type == "yesno"}
    serious = {f.item for f in evaluate_flags(defn, everything) if f.severity == "serious"}
    assert serious == {"new_weakness_numbness", "infection_signs"}
    assert score_answers(defn, everything)["adverse_events"].value == 6


def test_flag_on_multi_answer_matches_any_chosen_value():
    defn = Instrument.model_validate(
        {
            "id": "m",
            "version": 1,
            "title": "M",
            "per_region": False,
            "items": [
                {
                    "id": "what",
                    "type": "multi",
                    "text": "What?",
                    "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
                }
            ],
            "flags": [
                {"id": "f", "item": "what", "when": "b", "severity": "watch", "message": "B"}
            ],
        }
    )
    assert [f.id for f in evaluate_flags(defn, {"what": ["a", "b"]})] == ["f"]
    assert evaluate_flags(defn, {"what": ["a"]}) == []


@pytest.mark.parametrize(
    ("baseline", "previous", "value", "expected"),
    [
        (4, None, 6, True),
        (8, None, 9, False),
        (8, 8, 10, False),
        (2, 5, 6, True),
        (5, 2, 4, True),
        (0, None, 2, True),
        (3, 3, 4, False),
        (None, None, 9, False),
        (4, 4, None, False),
    ],
)
def test_is_worsening(baseline, previous, value, expected):
    assert is_worsening(baseline, previous, value) is expected


@pytest.mark.parametrize(
    ("value", "worse", "responder"),
    [
        (1, False, True),
        (2, False, True),
        (3, False, False),
        (5, False, False),
        (6, True, False),
        (7, True, False),
        (None, False, False),
    ],
)
def test_pgic_helpers(value, worse, responder):
    assert pgic_worsening(value) is worse
    assert pgic_responder(value) is responder


def test_pgic_helpers_follow_reversed_scale():
    assert pgic_worsening(1, "7-best") and pgic_responder(7, "7-best")
