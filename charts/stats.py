"""Summary statistics on plain floats for the cohort tables (pure: standard library and scipy).

Every function returns a result whose undefined parts are None: an empty sample has no mean,
one value has no SD or confidence interval, two constant samples have no standardised
difference. Nothing here raises on a small or constant sample, so a thin subgroup prints as
blanks instead of breaking the page.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

LEVEL = 0.95


@dataclass(frozen=True)
class Summary:
    """n, mean, SD (n - 1), t-based CI of the mean, median and quartiles of one sample."""

    n: int
    mean: float | None = None
    sd: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None


@dataclass(frozen=True)
class Proportion:
    """k of n with its share and Wilson score confidence interval."""

    k: int
    n: int
    share: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Difference:
    """Welch difference in means (a - b) with its standard error, df and confidence interval."""

    difference: float | None = None
    se: float | None = None
    df: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


def summarise(values: Iterable[float], level: float = LEVEL) -> Summary:
    """Return n, mean, SD, mean CI (t, n - 1 df), median and IQR of the values."""
    sample = [float(v) for v in values]
    if not sample:
        return Summary(n=0)
    mean = statistics.fmean(sample)
    sd = math.sqrt(_variance(sample, mean)) if len(sample) > 1 else None
    low, high = _interval(mean, sd, len(sample), level)
    q1, median, q3 = median_iqr(sample)
    return Summary(len(sample), mean, sd, low, high, median, q1, q3)


def mean_ci(values: Sequence[float], level: float = LEVEL) -> tuple[float | None, float | None]:
    """Return the t-distribution CI of the mean (n - 1 df); (None, None) below two values.

    A constant sample gives the zero-width interval (mean, mean): the data have no spread, and
    that is what the interval reports.
    """
    if len(values) < 2:
        return None, None
    mean = statistics.fmean(values)
    return _interval(mean, math.sqrt(_variance(values, mean)), len(values), level)


def _interval(mean: float, sd: float | None, n: int,
              level: float) -> tuple[float | None, float | None]:
    if sd is None or n < 2:
        return None, None
    half = _t_quantile(level, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def _variance(values: Sequence[float], mean: float) -> float:
    """Sample variance (n - 1), two-pass with a correctly rounded sum: as exact as floats allow
    and, unlike statistics.variance's exact fractions, fast on thousands of values."""
    return math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1)


def median_iqr(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Return (Q1, median, Q3) by linear interpolation ('inclusive', as R type 7 and Excel
    QUARTILE.INC); one value is all three, none gives Nones."""
    if not values:
        return None, None, None
    if len(values) == 1:
        only = float(values[0])
        return only, only, only
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def wilson_ci(k: int, n: int, level: float = LEVEL) -> Proportion:
    """Return k of n with the Wilson score CI (8 of 10: 0.490 to 0.943); n = 0 gives Nones.

    Raises ValueError when k is outside 0..n: that is a counting bug, not a thin sample.
    """
    if not 0 <= k <= n:
        raise ValueError(f"k={k} is not within 0..n={n}")
    if n == 0:
        return Proportion(k, n)
    z = _z_quantile(level)
    share = k / n
    scale = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    # At 0/n and n/n the exact bound is 0 or 1; rounding leaves it a hair off (0.9999999...).
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(k, n, share, low, high)


def welch_difference(
    a: Sequence[float], b: Sequence[float], level: float = LEVEL
) -> Difference:
    """Return mean(a) - mean(b) with a Welch CI (Welch-Satterthwaite df).

    The difference needs one value per group; the CI needs two per group and some spread
    (two constant groups have no df).
    """
    if not a or not b:
        return Difference()
    difference = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        return Difference(difference)
    share_a = _variance(a, statistics.fmean(a)) / len(a)
    share_b = _variance(b, statistics.fmean(b)) / len(b)
    se = math.sqrt(share_a + share_b)
    if se == 0:
        return Difference(difference, se)
    df = (share_a + share_b) ** 2 / (share_a**2 / (len(a) - 1) + share_b**2 / (len(b) - 1))
    half = _t_quantile(level, df) * se
    return Difference(difference, se, df, difference - half, difference + half)


def hedges_g(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Return Hedges' g of a against b: (mean a - mean b) / pooled SD x J, J = 1 - 3/(4 df - 1).

    Pooled SD = sqrt(((na - 1) var a + (nb - 1) var b) / df), df = na + nb - 2; J is Hedges'
    small-sample correction as given by Borenstein et al. (Introduction to Meta-Analysis, 4.3).
    None when a group has fewer than two values or both are constant.
    """
    if len(a) < 2 or len(b) < 2:
        return None
    df = len(a) + len(b) - 2
    pooled = ((len(a) - 1) * _variance(a, statistics.fmean(a))
              + (len(b) - 1) * _variance(b, statistics.fmean(b)))
    sd = math.sqrt(pooled / df)
    if sd == 0:
        return None
    correction = 1 - 3 / (4 * df - 1)
    return (statistics.fmean(a) - statistics.fmean(b)) / sd * correction


@lru_cache(maxsize=1024)
def _t_quantile(level: float, df: float) -> float:
    # A cohort page asks for the same few (level, df) pairs many times; scipy takes ~40 us.
    from scipy.stats import t  # imported on first use: a survey worker never loads scipy

    return float(t.ppf(1 - (1 - level) / 2, df))


@lru_cache(maxsize=16)
def _z_quantile(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - level) / 2))
