"""Change from baseline and responder labels (IMMPACT thresholds)."""

import pytest

from charts.response import change_from_baseline, find_baseline, format_change, responder_label


@pytest.mark.parametrize(("baseline", "value", "direction", "mcid", "label"), [
    (8, 4, "higher_worse", 2, "substantial"),   # 50% and 4 points
    (3, 2, "higher_worse", 2, "minimal"),       # 33% but only 1 point
    (3, 2, "higher_worse", None, "moderate"),   # without an MCID floor 33% is moderate
    (6, 4, "higher_worse", 2, "moderate"),      # 33% and 2 points
    (2, 1, "higher_worse", 2, "minimal"),       # 50% but 1 point: not substantial
    (6, 6, "higher_worse", 2, "none"),
    (4, 6, "higher_worse", 2, "worse"),
    (5, 4, "higher_worse", 2, "minimal"),       # 20%
    (0, 0, "higher_worse", 2, "none"),
    (0, 3, "higher_worse", 2, "worse"),
    (3, 6, "higher_better", 2, "substantial"),  # PSFS 3 -> 6: +100%
    (6, 3, "higher_better", 2, "worse"),
    (5, 6, "higher_better", 2, "minimal"),
    (0, 3, "higher_better", 2, "moderate"),     # no percent from 0: judged on points
    (0, 1, "higher_better", 2, "minimal"),
    (10, 9, "higher_worse", 2, "minimal"),      # exactly 10%
    (10, 9.5, "higher_worse", None, "none"),    # 5%: under IMMPACT's minimal band
    (6, 6 + 1 / 3, "higher_better", 2, "none"),  # PSFS mean 6 -> 6.33: 5.6%
    (4.0, 6.0, "higher_better", 2, "substantial"),
    (0, 5, "higher_better", 2, "moderate"),
])
def test_responder_label(baseline, value, direction, mcid, label):
    assert responder_label(baseline, value, direction, mcid) == label


def test_psfs_improvement_is_an_improvement():
    assert responder_label(3, 6, "higher_better", 2) in {"substantial", "moderate", "minimal"}


@pytest.mark.parametrize(("baseline", "value", "expected"), [
    (8, 4, (-4, -50.0)),
    (3, 2, (-1, pytest.approx(-33.333, abs=1e-3))),
    (3, 6, (3, 100.0)),
    (0, 2, (2, None)),
])
def test_change_from_baseline(baseline, value, expected):
    assert change_from_baseline(baseline, value, "higher_worse") == expected


def test_unknown_direction_is_rejected():
    with pytest.raises(ValueError):
        change_from_baseline(1, 2, "lower_better")


@pytest.mark.parametrize(("pairs", "expected"), [
    ([(-7, 9), (0, 8), (7, 5)], 9),        # first non-missing at or before day 0
    ([(-7, None), (0, 8), (7, 5)], 8),     # a missed pre-treatment answer is skipped
    ([(7, 5), (14, 4)], 5),                # nothing before treatment: the first one
    ([(14, 4), (7, 5)], 5),                # order of input does not matter
    ([(0, None)], None),
    ([], None),
])
def test_find_baseline(pairs, expected):
    assert find_baseline(pairs) == expected


@pytest.mark.parametrize(("points", "percent", "text"), [
    (-5, -62.5, "−5 (−63%)"),
    (3, 100.0, "+3 (+100%)"),
    (0, 0.0, "0 (0%)"),
    (2, None, "+2"),
])
def test_format_change(points, percent, text):
    assert format_change(points, percent) == text
