"""The shared time axis: the treatment phase keeps at least half the width, ticks fit."""

import pytest

from charts.panels_svg import time_axis_for
from charts.samples import long_follow_up_case, scleroderma_case
from charts.timeaxis import MIN_GAP, TREATMENT_SHARE, build_time_axis

WEEKLY_7 = [7 * week for week in range(7)]

AXES = {
    "scleroderma: weekly x7, a year": (WEEKLY_7, 42 + 365),
    "weekly x7, two years": (WEEKLY_7, 728),
    "one session, six months": ([0], 182),
    "two sessions 3 months apart, a year": ([0, 91], 91 + 365),
    "four sessions over months, 18 months": ([0, 60, 150, 240], 540),
    "still in treatment": ([0, 7, 14], 10),
}


@pytest.mark.parametrize(("sessions", "last_day"), AXES.values(), ids=AXES.keys())
def test_treatment_phase_takes_at_least_half_the_width(sessions, last_day):
    axis = build_time_axis(sessions, last_day)
    assert axis.treatment_share >= 0.5
    assert axis.x(axis.treatment_end) == pytest.approx(
        TREATMENT_SHARE if axis.has_follow_up else 1.0)


@pytest.mark.parametrize(("sessions", "last_day"), AXES.values(), ids=AXES.keys())
def test_mapping_runs_from_zero_to_one_and_never_goes_back(sessions, last_day):
    axis = build_time_axis(sessions, last_day)
    xs = [axis.x(day) for day in range(int(axis.start) - 30, int(axis.end) + 30)]
    assert xs[0] == 0.0 and xs[-1] == 1.0
    assert all(0.0 <= x <= 1.0 for x in xs)
    assert xs == sorted(xs)


@pytest.mark.parametrize(("sessions", "last_day"), AXES.values(), ids=AXES.keys())
def test_ticks_are_ordered_and_do_not_collide(sessions, last_day):
    ticks = build_time_axis(sessions, last_day).ticks
    xs = [tick.x for tick in ticks]
    assert xs == sorted(xs)
    assert all(b - a >= MIN_GAP - 1e-9 for a, b in zip(xs, xs[1:], strict=False))


def test_weeks_label_the_treatment_phase_and_months_the_follow_up():
    ticks = build_time_axis(WEEKLY_7, 42 + 365).ticks
    assert [t.label for t in ticks if t.unit == "week"] == [f"W{w}" for w in range(8)]
    months = [t.label for t in ticks if t.unit == "month"]
    assert months == ["M3", "M6", "M12"]
    assert all(t.day > 49 for t in ticks if t.unit == "month")


def test_round_months_win_the_crowded_far_end():
    months = [t.label for t in build_time_axis(WEEKLY_7, 728).ticks if t.unit == "month"]
    assert "M12" in months and "M9" not in months


def test_long_treatment_phase_thins_its_week_ticks():
    ticks = build_time_axis([0, 90, 180, 270], 640).ticks
    steps = {b.value - a.value for a, b in zip(ticks, ticks[1:], strict=False)
             if a.unit == b.unit == "week"}
    assert len(steps) == 1 and steps.pop() > 1


def test_named_timepoints_are_placed_and_out_of_range_ones_dropped():
    named = [("baseline", 0), ("session 3", 14), ("1 month", 72), ("12 months", 407),
             ("24 months", 772)]
    axis = build_time_axis(WEEKLY_7, 407, timepoints=named)
    assert [t.label for t in axis.named] == ["baseline", "session 3", "1 month", "12 months"]
    assert [t.x for t in axis.named] == [axis.x(d) for _, d in named[:4]]
    assert axis.named[-1].x == 1.0 and all(t.unit == "named" for t in axis.named)


def test_baseline_before_day_zero_extends_the_treatment_phase():
    axis = build_time_axis(WEEKLY_7, 400, first_day=-14)
    assert axis.start == -14 and axis.x(-14) == 0.0
    assert axis.ticks[0].label == "W-2"
    assert axis.treatment_share >= 0.5


def test_without_sessions_the_first_week_is_the_treatment_phase():
    axis = build_time_axis([], 100)
    assert (axis.start, axis.treatment_end) == (0, 7)


@pytest.mark.parametrize("share", [0.3, 0.49, 1.0])
def test_a_treatment_share_under_half_is_refused(share):
    with pytest.raises(ValueError):
        build_time_axis(WEEKLY_7, 400, share=share)


def test_deterministic():
    named = [("baseline", 0), ("6 months", 224)]
    assert build_time_axis(WEEKLY_7, 407, timepoints=named) == build_time_axis(
        WEEKLY_7, 407, timepoints=named)


@pytest.mark.parametrize("case", [scleroderma_case, long_follow_up_case],
                         ids=["scleroderma", "8 regions weekly for 2 years"])
def test_sample_patients_give_the_treatment_phase_at_least_half(case):
    axis = time_axis_for(case())
    assert axis.treatment_share >= 0.5
    assert axis.treatment_end == 49


def test_scleroderma_default_named_timepoints():
    labels = [t.label for t in time_axis_for(scleroderma_case()).named]
    assert labels == ["baseline", "session 7", "1 month", "3 months", "6 months", "12 months"]


def test_weekly_diary_names_are_not_all_labelled():
    labels = [t.label for t in time_axis_for(long_follow_up_case()).named]
    assert labels == ["baseline", "session 7"]
