"""How the cohort page and the printable trial table write numbers: one decimal, true minus
signs, CIs as 'low to high', proportions as 'k (p%, low-high%)'; blanks for what a thin group
cannot define (one value has no SD, no CI)."""

from __future__ import annotations

from charts.stats import Difference, Proportion, Summary

BLANK = "–"


def number(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """Return a number with a true minus sign, or a dash when undefined."""
    if value is None:
        return BLANK
    rounded = round(value, digits)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    text = f"{rounded:+.{digits}f}" if signed and rounded != 0 else f"{rounded:.{digits}f}"
    return text.replace("-", "\u2212")


def mean_sd(summary: Summary | None) -> str:
    """'6.2 (1.8)': mean (SD)."""
    if summary is None or summary.mean is None:
        return BLANK
    return f"{number(summary.mean)} ({number(summary.sd)})"


def mean_ci(summary: Summary | None, signed: bool = True) -> str:
    """'−3.1 (−3.8 to −2.4)': mean (95% CI)."""
    if summary is None or summary.mean is None:
        return BLANK
    if summary.ci_low is None:
        return number(summary.mean, signed=signed)
    return (f"{number(summary.mean, signed=signed)} ({number(summary.ci_low, signed=signed)} "
            f"to {number(summary.ci_high, signed=signed)})")


def median_iqr(summary: Summary | None) -> str:
    """'−3.0 (−5.0 to −1.0)': median (interquartile range)."""
    if summary is None or summary.median is None:
        return BLANK
    return (f"{number(summary.median, signed=True)} ({number(summary.q1, signed=True)} to "
            f"{number(summary.q3, signed=True)})")


def proportion(value: Proportion | None) -> str:
    """'12 (40%, 25–57%)': k (share, Wilson 95% CI)."""
    if value is None or value.share is None:
        return BLANK
    return (f"{value.k} ({value.share * 100:.0f}%, {value.ci_low * 100:.0f}\u2013"
            f"{value.ci_high * 100:.0f}%)")


def difference(value: Difference) -> str:
    """'−1.2 (−2.0 to −0.4)': difference in means (Welch 95% CI)."""
    if value.difference is None:
        return BLANK
    if value.ci_low is None:
        return number(value.difference, signed=True)
    return (f"{number(value.difference, signed=True)} ({number(value.ci_low, signed=True)} to "
            f"{number(value.ci_high, signed=True)})")


def share(value: float | None) -> str:
    """'63%' or a dash."""
    return BLANK if value is None else f"{value * 100:.0f}%"


def days(value: float | None) -> str:
    """'91 days', or 'not reached'."""
    return "not reached" if value is None else f"{value:.0f} days"
