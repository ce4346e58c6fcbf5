"""Rows shaped like Table 2 of the published carpal tunnel trials, their CSV, group contrasts.

Units are nerve regions, with the number of patients beside them. Complete cases only: a
region counts at a timepoint only when it has both a baseline and that timepoint's answer
(PGIC, a change rating, needs only the answer). Observational data: a difference between
groups is an association, never an effect of the injectate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from charts.csv_cells import neutralise
from charts.stats import (
    Difference,
    Proportion,
    Summary,
    hedges_g,
    summarise,
    welch_difference,
    wilson_ci,
)
from charts.survival import ResponderRule

CASES_NOTE = "complete cases"
# The export's rule (webapp/export.py): a text cell a spreadsheet would read as a formula
# gets a leading apostrophe. Copied, not imported: charts/ never imports webapp.


class RegionValue(NamedTuple):
    """One region's assigned answer at one timepoint, with its baseline and its group."""

    patient: str
    region: str
    group: str
    timepoint: str
    baseline: float | None
    value: float | None


@dataclass(frozen=True)
class TrialRow:
    """One timepoint and group: n, baseline, follow-up, change and responder proportions.

    For PGIC (responder_max set) there is no baseline: `baseline`, `change` and the percent
    responders are None and `pgic_responders` holds the share at or below responder_max.
    """

    timepoint: str
    label: str
    group: str
    n_regions: int
    n_patients: int
    baseline: Summary | None
    follow_up: Summary
    change: Summary | None
    responders_30: Proportion | None
    responders_50: Proportion | None
    pgic_responders: Proportion | None = None


@dataclass(frozen=True)
class GroupComparison:
    """Group a against group b at one timepoint: Welch difference (a - b) and Hedges' g."""

    timepoint: str
    group_a: str
    group_b: str
    n_a: int
    n_b: int
    difference: Difference
    hedges_g: float | None


def complete_cases(values: Iterable[RegionValue], pgic: bool = False) -> list[RegionValue]:
    """Return the values with an answer and (except for PGIC) a baseline."""
    return [v for v in values
            if v.value is not None and (pgic or v.baseline is not None)]


def build_trial_rows(
    values: Iterable[RegionValue], *, direction: str = "higher_worse",
    mcid: float | None = 2.0, responder_max: float | None = None,
    timepoints: Sequence[tuple[str, str]] = (), groups: Sequence[str] = (),
) -> list[TrialRow]:
    """Return one row per timepoint (given (name, label) order first) and group, complete
    cases only; a listed timepoint or group without data gets a row with n = 0."""
    pgic = responder_max is not None
    cells: dict[tuple[str, str], list[RegionValue]] = {}
    for value in complete_cases(values, pgic):
        cells.setdefault((value.timepoint, value.group), []).append(value)
    labels = dict(timepoints)
    names = [*labels, *sorted({tp for tp, _ in cells} - set(labels))]
    group_names = [*groups, *sorted({g for _, g in cells} - set(groups))]
    return [
        trial_row(cells.get((name, group), []), name, labels.get(name, name), group,
                  ResponderRule(direction, mcid, responder_max=responder_max))
        for name in names for group in group_names
    ]


def trial_row(
    cell: Sequence[RegionValue], timepoint: str, label: str, group: str, rule: ResponderRule
) -> TrialRow:
    """Return the row of one timepoint and group from its complete cases."""
    follow_up = summarise(v.value for v in cell)
    counts = (timepoint, label, group, len(cell), len({v.patient for v in cell}))
    if rule.responder_max is not None:
        met = sum(rule.meets(None, v.value) for v in cell)
        return TrialRow(*counts, None, follow_up, None, None, None, wilson_ci(met, len(cell)))
    moderate = ResponderRule(rule.direction, rule.mcid, "moderate")
    substantial = ResponderRule(rule.direction, rule.mcid, "substantial")
    return TrialRow(
        *counts, summarise(v.baseline for v in cell), follow_up,
        summarise(v.value - v.baseline for v in cell),
        wilson_ci(sum(moderate.meets(v.baseline, v.value) for v in cell), len(cell)),
        wilson_ci(sum(substantial.meets(v.baseline, v.value) for v in cell), len(cell)),
    )


def compare_groups(
    values: Iterable[RegionValue], timepoint: str, group_a: str, group_b: str,
    measure: str = "change",
) -> GroupComparison:
    """Return the Welch difference (a - b) and Hedges' g of the mean change at a timepoint.

    measure="value" compares the answers themselves (PGIC, which has no baseline).
    """
    if measure not in ("change", "value"):
        raise ValueError(f"unknown measure {measure!r}")
    cases = complete_cases(values, pgic=measure == "value")
    samples = {group_a: [], group_b: []}
    for v in cases:
        if v.timepoint == timepoint and v.group in samples:
            samples[v.group].append(v.value if measure == "value" else v.value - v.baseline)
    a, b = samples[group_a], samples[group_b]
    return GroupComparison(timepoint, group_a, group_b, len(a), len(b),
                           welch_difference(a, b), hedges_g(a, b))


CSV_COLUMNS = (
    "timepoint", "timepoint_label", "group", "n_regions", "n_patients",
    "baseline_mean", "baseline_sd", "follow_up_mean", "follow_up_sd",
    "change_mean", "change_ci_low", "change_ci_high", "change_median", "change_q1", "change_q3",
    *(f"{name}_{part}" for name in ("responders_30", "responders_50", "pgic_responders")
      for part in ("n", "pct", "ci_low_pct", "ci_high_pct")),
    "cases",
)


def trial_rows_csv(rows: Iterable[TrialRow]) -> str:
    """Return the rows as CSV text with a header; every text cell is neutralised.

    Means, SDs and CIs are rounded to 3 decimals, percentages to 1; blanks are undefined
    values (n < 2 has no SD or CI). Every row says it is a complete-case analysis.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in csv_cells(row)])
    return buffer.getvalue()


def csv_cells(row: TrialRow) -> list:
    """Return the CSV cells of one row, in CSV_COLUMNS order."""
    base = row.baseline or Summary(0)
    change = row.change or Summary(0)
    return [
        row.timepoint, row.label, row.group, row.n_regions, row.n_patients,
        _round(base.mean), _round(base.sd),
        _round(row.follow_up.mean), _round(row.follow_up.sd),
        _round(change.mean), _round(change.ci_low), _round(change.ci_high),
        _round(change.median), _round(change.q1), _round(change.q3),
        *_proportion_cells(row.responders_30), *_proportion_cells(row.responders_50),
        *_proportion_cells(row.pgic_responders), CASES_NOTE,
    ]


def _proportion_cells(proportion: Proportion | None) -> list:
    if proportion is None:
        return ["", "", "", ""]
    return [proportion.k, _percent(proportion.share), _percent(proportion.ci_low),
            _percent(proportion.ci_high)]


def _round(value: float | None, digits: int = 3):
    if value is None:
        return ""
    rounded = round(value, digits)
    # -0.0 would print as "-0.0"; a change that rounds to nothing is 0.
    return 0.0 if rounded == 0 else rounded


def _percent(share: float | None):
    return _round(None if share is None else share * 100, 1)
