"""charts.timepoints: answers to protocol timepoints by window, nearest due, missed absent."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charts.timepoints import (
    DatedAnswer,
    TimepointWindow,
    assign_timepoints,
    by_timepoint,
    window_of,
)

# One month after a last session on 16 February 2025: due 16 March, open 9 to 30 March.
ONE_MONTH = TimepointWindow("m1", "1 month", date(2025, 3, 16), date(2025, 3, 9),
                            date(2025, 3, 30), 1)
THREE_MONTHS = TimepointWindow("m3", "3 months", date(2025, 5, 16), date(2025, 5, 2),
                               date(2025, 5, 30), 2)
WINDOWS = [THREE_MONTHS, ONE_MONTH]  # given out of order on purpose


def _answer(day: date, value: float | None = 5.0, region: str = "R-median-wrist",
            outcome: str = "pain") -> DatedAnswer:
    return DatedAnswer(region, outcome, day, value)


def _assigned(answers):
    return {(a.timepoint, a.region, a.outcome): (a.when, a.value)
            for a in assign_timepoints(WINDOWS, answers)}


@pytest.mark.parametrize("day, expected", [
    (date(2025, 3, 9), "m1"),    # first day of the window
    (date(2025, 3, 30), "m1"),   # last day of the window
    (date(2025, 3, 8), None),    # the day before it opens
    (date(2025, 3, 31), None),   # the day after it closes
    (date(2025, 5, 2), "m3"),
    (datetime(2025, 3, 30, 23, 59), "m1"),  # a late answer on the last day still counts
])
def test_window_edges_are_inclusive(day, expected):
    assigned = assign_timepoints(WINDOWS, [_answer(day)])
    assert [a.timepoint for a in assigned] == ([expected] if expected else [])


@pytest.mark.parametrize("answers, kept", [
    # nearest the due date (16 March) counts, whatever the order given
    ([date(2025, 3, 10), date(2025, 3, 17)], date(2025, 3, 17)),
    ([date(2025, 3, 17), date(2025, 3, 10)], date(2025, 3, 17)),
    # equally near (2 days either side): the earlier counts
    ([date(2025, 3, 18), date(2025, 3, 14)], date(2025, 3, 14)),
    # two on the same day: the earlier time counts
    ([datetime(2025, 3, 16, 18, 0), datetime(2025, 3, 16, 9, 0)], datetime(2025, 3, 16, 9, 0)),
])
def test_two_answers_in_one_window_keep_the_nearest_to_due(answers, kept):
    values = [_answer(day, float(index)) for index, day in enumerate(answers)]
    result = _assigned(values)
    assert list(result) == [("m1", "R-median-wrist", "pain")]
    assert result[("m1", "R-median-wrist", "pain")][0] == kept


def test_a_missed_timepoint_is_absent_never_zero():
    result = assign_timepoints(WINDOWS, [_answer(date(2025, 3, 16), 4.0)])
    assert [(a.timepoint, a.value) for a in result] == [("m1", 4.0)]
    assert "m3" not in by_timepoint(result)


def test_an_answer_without_a_value_does_not_displace_a_real_one():
    answers = [_answer(date(2025, 3, 16), None), _answer(date(2025, 3, 25), 3.0)]
    assert _assigned(answers) == {("m1", "R-median-wrist", "pain"): (date(2025, 3, 25), 3.0)}


def test_regions_and_outcomes_are_assigned_separately_and_ordered_by_timepoint():
    answers = [
        _answer(date(2025, 5, 16), 2.0),
        _answer(date(2025, 3, 12), 6.0, region="L-ulnar-elbow"),
        _answer(date(2025, 3, 20), 3.0, outcome="paresthesia"),
        _answer(date(2025, 3, 16), 4.0),
    ]
    result = assign_timepoints(WINDOWS, answers)
    assert [(a.timepoint, a.region, a.outcome, a.value) for a in result] == [
        ("m1", "L-ulnar-elbow", "pain", 6.0),
        ("m1", "R-median-wrist", "pain", 4.0),
        ("m1", "R-median-wrist", "paresthesia", 3.0),
        ("m3", "R-median-wrist", "pain", 2.0),
    ]
    assert result[0].label == "1 month" and result[0].due == date(2025, 3, 16)


@pytest.mark.parametrize("day, expected", [
    (date(2025, 3, 20), "early"),   # 1 day from early's due, 5 from late's
    (date(2025, 3, 24), "late"),    # 3 from early's, 1 from late's
    (date(2025, 3, 22), "early"),   # 3 from each: the earlier timepoint
])
def test_overlapping_windows_give_an_answer_to_the_nearest_due(day, expected):
    early = TimepointWindow("early", "Week 4", date(2025, 3, 19), date(2025, 3, 16),
                            date(2025, 3, 26), 4)
    late = TimepointWindow("late", "Week 5", date(2025, 3, 25), date(2025, 3, 18),
                           date(2025, 3, 31), 5)
    assert window_of([late, early], day).name == expected
    assert [a.timepoint for a in assign_timepoints([late, early], [_answer(day)])] == [expected]


def test_aware_and_naive_answers_on_one_day_rank_together():
    aware = datetime(2025, 3, 16, 8, 0, tzinfo=timezone(timedelta(hours=3, minutes=30)))
    answers = [_answer(datetime(2025, 3, 16, 10, 0), 1.0), _answer(aware, 2.0)]
    assert _assigned(answers)[("m1", "R-median-wrist", "pain")][1] == 2.0


@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 10)), max_size=30))
def test_each_timepoint_counts_one_answer_from_inside_its_window(offsets):
    start = date(2025, 2, 16)
    answers = [_answer(start + timedelta(days=d), float(v)) for d, v in offsets]
    result = assign_timepoints(WINDOWS, answers)
    keys = [(a.timepoint, a.region, a.outcome) for a in result]
    assert len(keys) == len(set(keys))
    windows = {w.name: w for w in WINDOWS}
    for assigned in result:
        window = windows[assigned.timepoint]
        assert window.opens <= assigned.when <= window.closes
        rivals = [a for a in answers if window.opens <= a.when <= window.closes]
        assert abs((assigned.when - window.due).days) == min(
            abs((a.when - window.due).days) for a in rivals)
