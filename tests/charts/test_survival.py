"""charts.survival: first response, loss of response, Kaplan-Meier and responder share."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charts.survival import (
    Durability,
    ResponderRule,
    durability,
    kaplan_meier,
    kaplan_meier_by_group,
    median_share,
    responder_share,
    survival_times,
)

PGIC = ResponderRule(responder_max=2.0)
SUBSTANTIAL = ResponderRule(level="substantial")


# Baseline NRS 8 unless stated: an answer meets the moderate threshold (>= 30% and >= 2
# points) at 5 or below; 6 is 25%, a miss.
@pytest.mark.parametrize("answers, baseline, rule, expected", [
    ([(7, 7), (14, 6)], 8, ResponderRule(), (None, None, 14)),
    # one miss between two meeting answers is a blip: kept, censored at the last answer
    ([(7, 4), (14, 7), (21, 4), (28, 4)], 8, ResponderRule(), (7, None, 28)),
    # two consecutive misses: lost at the first of them
    ([(7, 4), (14, 7), (21, 7), (28, 4)], 8, ResponderRule(), (7, 14, 28)),
    # a single miss that is the last answer is a loss
    ([(7, 4), (14, 4), (21, 7)], 8, ResponderRule(), (7, 21, 21)),
    # first response at the last answer: censored at once
    ([(7, 7), (14, 4)], 8, ResponderRule(), (14, None, 14)),
    ([(7, 0), (14, 0)], 0, ResponderRule(), (None, None, 14)),  # baseline 0 cannot respond
    ([(7, 2), (14, 1)], 3, ResponderRule(), (14, None, 14)),  # 3 -> 2 is 1 point: minimal
    # unordered input, a pre-session answer (day -7) and a skipped answer are handled
    ([(14, 4), (-7, 8), (7, 7), (21, None)], 8, ResponderRule(), (14, None, 14)),
    ([(7, 4), (14, None), (21, 7)], 8, ResponderRule(), (7, 21, 21)),
    ([(7, 5), (14, 4)], 8, SUBSTANTIAL, (14, None, 14)),  # 8 -> 5 is 37.5%, under 50%
    ([(7, 2), (14, 3), (21, 4)], None, PGIC, (7, 14, 21)),  # PGIC 1-2 responds
    ([(7, 4)], None, ResponderRule(), (None, None, 7)),  # no baseline, no response
    ([], 8, ResponderRule(), (None, None, None)),
])
def test_durability_follows_the_clinical_definition(answers, baseline, rule, expected):
    result = durability(answers, baseline, rule)
    assert (result.first_response_day, result.loss_day, result.last_day) == expected


def test_an_unknown_responder_level_is_refused_up_front():
    with pytest.raises(ValueError):
        ResponderRule(level="minimal")


@pytest.mark.parametrize("result, time, lost", [
    (Durability(7, 14, 28), 7, True),
    (Durability(7, None, 28), 21, False),
    (Durability(None, None, 28), None, False),
])
def test_time_runs_from_first_response_to_loss_or_last_answer(result, time, lost):
    assert (result.time, result.lost) == (time, lost)


def test_survival_times_leave_out_regions_that_never_responded():
    regions = [Durability(7, 14, 28), Durability(None, None, 28), Durability(0, None, 30)]
    assert survival_times(regions) == [(7, True), (30, False)]


def test_kaplan_meier_with_censoring_matches_the_hand_computation():
    # times 2, 3+, 4, 5+, 6 (+ = censored)
    #   t=2: 5 at risk, 1 lost -> S = 4/5 = 0.8
    #   t=3: censored, 4 -> 3 at risk
    #   t=4: 3 at risk, 1 lost -> S = 0.8 x 2/3 = 0.5333
    #   t=5: censored, 2 -> 1 at risk
    #   t=6: 1 at risk, 1 lost -> S = 0
    #   median: first S <= 0.5 is at t=6
    times = [(2, True), (3, False), (4, True), (5, False), (6, True)]
    curve = kaplan_meier(times, at_days=[0, 2, 3, 4, 6, 7])
    assert curve.times == (0, 2, 3, 4, 5, 6)
    assert curve.survival == pytest.approx((1, 0.8, 0.8, 8 / 15, 8 / 15, 0))
    assert [t for t, _ in curve.censored] == [3, 5]
    assert [s for _, s in curve.censored] == pytest.approx([0.8, 8 / 15])
    assert curve.at_risk == ((0, 5), (2, 5), (3, 4), (4, 3), (6, 1), (7, 0))
    assert (curve.n, curve.events, curve.median) == (5, 3, 6)


@pytest.mark.parametrize("times, survival, median", [
    ([(10, False), (20, False)], (1, 1, 1), None),  # all censored: median not reached
    ([(3, True), (3, False)], (1, 0.5), 3),  # a loss on a censoring day counts first
    ([(5, True), (10, True), (15, False), (20, False)], (1, 0.75, 0.5, 0.5, 0.5), 10),
])
def test_kaplan_meier_edge_cases(times, survival, median):
    curve = kaplan_meier(times)
    assert curve.survival == pytest.approx(survival)
    assert curve.median == median


def test_kaplan_meier_of_no_regions_is_empty_with_zero_at_risk():
    curve = kaplan_meier([], at_days=[0, 30])
    assert (curve.n, curve.times, curve.median, curve.at_risk) == (0, (), None, ((0, 0), (30, 0)))


def test_kaplan_meier_by_group_keeps_the_group_order():
    curves = kaplan_meier_by_group({"saline": [(5, True)], "D5W": [(9, False), (4, True)]},
                                   at_days=[0, 5])
    assert list(curves) == ["saline", "D5W"]
    assert curves["D5W"].at_risk == ((0, 2), (5, 1))
    assert curves["saline"].survival == pytest.approx((1, 0))


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.booleans()), max_size=40),
       st.lists(st.integers(0, 400), max_size=5))
def test_kaplan_meier_is_a_falling_step_curve_between_zero_and_one(times, days):
    curve = kaplan_meier(times, sorted(days))
    assert all(0 <= s <= 1 for s in curve.survival)
    assert list(curve.survival) == sorted(curve.survival, reverse=True)
    counts = [n for _, n in curve.at_risk]
    assert counts == sorted(counts, reverse=True)
    if curve.median is not None:
        assert any(lost and t == curve.median for t, lost in times)


@pytest.mark.parametrize("answers, baseline, expected", [
    # days 0-7 before any answer meets; 7-14 responder; 14-21 not; 21-28 responder: 14/28
    ([(0, 8), (7, 4), (14, 7), (21, 4), (28, 7)], 8, 0.5),
    ([(7, 4), (14, 4)], 8, 0.5),  # day 0 to 7 has no answer: not responder days
    ([(0, 4), (10, 4)], 8, 1.0),  # relief right after the session, kept
    ([(0, 8), (10, 7)], 8, 0.0),
    ([(0, 8)], 8, None),  # no follow-up days
    ([], 8, None),
    ([(-7, 8), (7, 4), (21, 4)], 8, 14 / 21),  # the pre-session answer is not follow-up
])
def test_share_of_follow_up_as_responder(answers, baseline, expected):
    assert responder_share(answers, baseline) == (
        expected if expected is None else pytest.approx(expected))


def test_median_share_skips_regions_without_follow_up():
    assert median_share([0.5, None, 0.25, 1.0]) == 0.5
    assert median_share([None]) is None
