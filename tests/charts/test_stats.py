"""charts.stats: hand-computed summaries, Wilson, Welch and Hedges' g, degenerate samples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from charts.stats import (
    Difference,
    Summary,
    hedges_g,
    mean_ci,
    median_iqr,
    summarise,
    welch_difference,
    wilson_ci,
)

# Changes from baseline of five regions: -4, -2, -3, -5, -1.
#   mean = -15 / 5 = -3
#   squared deviations 1, 1, 0, 4, 4 -> 10; variance 10 / 4 = 2.5; SD = 1.58114
#   SE = 1.58114 / sqrt(5) = 0.70711; t(0.975, 4 df) = 2.77645; half-width = 1.96324
#   95% CI = -4.96324 to -1.03676
#   sorted -5 -4 -3 -2 -1: inclusive quartiles Q1 = -4, median = -3, Q3 = -2
CHANGES = [-4, -2, -3, -5, -1]


def test_summary_of_a_small_table_matches_the_hand_computation():
    summary = summarise(CHANGES)
    assert summary.n == 5
    assert summary.mean == pytest.approx(-3.0)
    assert summary.sd == pytest.approx(1.58114, abs=1e-5)
    assert summary.ci_low == pytest.approx(-4.96324, abs=1e-5)
    assert summary.ci_high == pytest.approx(-1.03676, abs=1e-5)
    assert (summary.q1, summary.median, summary.q3) == (-4.0, -3.0, -2.0)


@pytest.mark.parametrize("values, expected", [
    ([], Summary(n=0)),
    ([4], Summary(1, 4.0, None, None, None, 4.0, 4.0, 4.0)),
    ([2, 2, 2], Summary(3, 2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0)),
])
def test_degenerate_samples_give_none_fields_instead_of_raising(values, expected):
    assert summarise(values) == expected


@pytest.mark.parametrize("values, expected", [
    # inclusive (R type 7): position 1 + (n - 1) p, interpolated
    ([1, 2, 3, 4], (1.75, 2.5, 3.25)),
    ([10, 0], (2.5, 5.0, 7.5)),
    ([7], (7.0, 7.0, 7.0)),
    ([], (None, None, None)),
])
def test_median_and_iqr_use_the_inclusive_method(values, expected):
    assert median_iqr(values) == pytest.approx(expected)


def test_two_values_get_a_wide_t_interval_with_one_degree_of_freedom():
    # mean 5, SD sqrt(2), SE 1, t(0.975, 1) = 12.7062
    low, high = mean_ci([4, 6])
    assert (low, high) == pytest.approx((5 - 12.7062, 5 + 12.7062), abs=1e-4)


@pytest.mark.parametrize("k, n, low, high", [
    (8, 10, 0.490, 0.943),   # CLINICAL.md's worked figure
    (0, 10, 0.000, 0.278),
    (10, 10, 0.722, 1.000),
    (1, 2, 0.095, 0.905),
    (5, 10, 0.237, 0.763),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    result = wilson_ci(k, n)
    assert result.share == k / n
    assert (round(result.ci_low, 3), round(result.ci_high, 3)) == (low, high)


def test_wilson_bounds_are_exact_at_none_and_all():
    assert wilson_ci(0, 7).ci_low == 0.0
    assert wilson_ci(7, 7).ci_high == 1.0


def test_wilson_of_nothing_is_blank_and_impossible_counts_raise():
    empty = wilson_ci(0, 0)
    assert (empty.share, empty.ci_low, empty.ci_high) == (None, None, None)
    with pytest.raises(ValueError):
        wilson_ci(3, 2)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_interval_lies_in_zero_one_and_holds_the_share(counts):
    k, n = counts
    result = wilson_ci(k, n)
    assert 0.0 <= result.ci_low <= k / n <= result.ci_high <= 1.0


@settings(deadline=None)
@given(st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=2,
                max_size=60))
def test_mean_ci_contains_the_mean_and_iqr_holds_the_median(values):
    summary = summarise(values)
    assert summary.ci_low <= summary.mean + 1e-9 and summary.mean - 1e-9 <= summary.ci_high
    assert summary.q1 <= summary.median <= summary.q3
    assert min(values) <= summary.q1 and summary.q3 <= max(values)


# Welch, a = [1, 2, 3, 4], b = [2, 4, 6]:
#   means 2.5 and 4 -> difference -1.5
#   variances 5/3 and 4; var/n = 0.416667 and 1.333333; SE = sqrt(1.75) = 1.322876
#   df = 1.75^2 / (0.416667^2 / 3 + 1.333333^2 / 2) = 3.0625 / 0.946759 = 3.234719
WELCH_A, WELCH_B = [1, 2, 3, 4], [2, 4, 6]


def test_welch_difference_matches_the_hand_computation_and_scipy():
    result = welch_difference(WELCH_A, WELCH_B)
    assert result.difference == pytest.approx(-1.5)
    assert result.se == pytest.approx(1.322876, abs=1e-6)
    assert result.df == pytest.approx(3.234719, abs=1e-6)
    half = scipy_stats.t.ppf(0.975, 3.234719) * 1.322876
    assert (result.ci_low, result.ci_high) == pytest.approx((-1.5 - half, -1.5 + half), abs=1e-5)
    reference = scipy_stats.ttest_ind(WELCH_A, WELCH_B, equal_var=False)
    assert result.df == pytest.approx(reference.df)
    interval = reference.confidence_interval()
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high))


@pytest.mark.parametrize("a, b, expected", [
    ([], [1, 2], Difference()),
    ([3], [1, 2], Difference(difference=1.5)),
    ([2, 2], [1, 1, 1], Difference(difference=1.0, se=0.0)),
])
def test_welch_degenerate_inputs_give_what_is_defined(a, b, expected):
    assert welch_difference(a, b) == expected


def test_welch_with_one_constant_group_uses_the_other_groups_df():
    result = welch_difference([5, 5, 5], [1, 2, 3, 4])
    assert result.df == pytest.approx(3.0)  # all the variance is b's: nb - 1


@pytest.mark.parametrize("a, b, expected", [
    # means 2 and 5, both variances 1 -> pooled SD 1, d = -3; df 4, J = 1 - 3/15 = 0.8
    ([1, 2, 3], [4, 5, 6], -2.4),
    ([4, 5, 6], [1, 2, 3], 2.4),
    # means 3 and 2; variances 2.5 and 1 -> pooled sqrt((4*2.5 + 2*1)/6) = sqrt(2),
    # d = 0.707107; df 6, J = 1 - 3/23 = 0.869565; g = 0.614875
    ([1, 2, 3, 4, 5], [1, 2, 3], 0.614875),
])
def test_hedges_g_matches_the_hand_computation(a, b, expected):
    assert hedges_g(a, b) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("a, b", [([1], [2, 3]), ([], []), ([2, 2], [2, 2, 2])])
def test_hedges_g_is_none_when_undefined(a, b):
    assert hedges_g(a, b) is None


@settings(deadline=None)
@given(st.lists(st.integers(-10, 10), min_size=2, max_size=30),
       st.lists(st.integers(-10, 10), min_size=2, max_size=30))
def test_welch_interval_holds_the_difference_and_g_shares_its_sign(a, b):
    result = welch_difference(a, b)
    if result.ci_low is not None:
        assert result.ci_low <= result.difference <= result.ci_high
    g = hedges_g(a, b)
    if g is not None and not math.isclose(result.difference, 0, abs_tol=1e-12):
        assert (g > 0) == (result.difference > 0)
