"""Shared strategies and checks for the hostile-input tests (not a test module)."""

import math

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from surveys.loader import load_library
from surveys.safety import Flag, evaluate_flags
from surveys.scoring import ScoreResult, score_answers

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIBRARY = load_library()
DEPTH = 5000  # well past the interpreter's recursion limit
HUGE = 10**5000  # too long for str()


def nested(depth, leaf=None, kind=list):
    """Return a list (or dict) nested `depth` levels deep."""
    value = leaf
    for _ in range(depth):
        value = [value] if kind is list else {"a": value}
    return value


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)  # lone surrogates too
NASTY_TEXTS = st.sampled_from(
    ["\x00", "5\x00", "\ud800", "\udfff5", "\u00b2", "\uff15", "\u0665", "\u06f5", "5e0", "-0",
     "+5", "1_0", "nan", "-inf", "9" * 5000, "x" * 100_000, "1,5", "yes\x00", "\u202etrue"]
)
# Objects that cannot be printed (huge ints, deep nesting) are drawn by name, built on demand.
NASTY_OBJECTS = {
    "huge": HUGE, "-huge": -HUGE, "big": 10**400, "1e308": 1e308, "-1e308": -1e308,
    "inf": math.inf, "nan": math.nan, "bytes": b"5", "object": object(), "dict": {"a": 1},
    "deep-list": nested(DEPTH), "deep-dict": nested(DEPTH, kind=dict),
    "list-of-deep": [nested(DEPTH)], "set": {1, 2}, "tuple": (1, [2]),
}


def nasty_object(name):
    """Return the unprintable object with this name."""
    return NASTY_OBJECTS[name]


NASTY = NASTY_TEXTS | st.sampled_from(sorted(NASTY_OBJECTS)).map(nasty_object)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT, st.binary(max_size=8), NASTY
)
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(ANY_TEXT, kids, max_size=3),
    max_leaves=8,
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(ANY_TEXT, kids, max_size=4),
    max_leaves=12,
)


def good_answer(item):
    """Return a strategy for a plausible form answer to one item."""
    if item.type in ("nrs", "number"):
        low, high = item.bounds()
        return st.integers(int(low), int(high)).map(str)
    if item.type == "single":
        return st.sampled_from([str(v) for v in item.option_values()])
    if item.type == "multi":
        return st.lists(st.sampled_from([str(v) for v in item.option_values()]))
    if item.type == "yesno":
        return st.sampled_from(["yes", "no", "y", "n", "true", "0"])
    return ANY_TEXT


def answers_for(defn):
    """Return a strategy for raw answers to an instrument: good, hostile or absent per item."""
    optional = {item.id: st.one_of(good_answer(item), VALUES) for item in defn.items}
    return st.fixed_dictionaries({}, optional=optional) | st.dictionaries(ANY_TEXT, VALUES)


def check_scored(defn, answers):
    scores = score_answers(defn, answers)
    assert set(scores) == {rule.id for rule in defn.scores}
    for result in scores.values():
        assert isinstance(result, ScoreResult)
        if result.value is None:
            assert isinstance(result.reason, str) and result.reason
        else:
            assert math.isfinite(result.value)
    assert all(isinstance(flag, Flag) for flag in evaluate_flags(defn, answers))


