"""The cohort template's context: the analysis as figures and text tables, and the form's
options (every option comes from the same allow-lists the query string is checked against)."""

from __future__ import annotations

from webapp.dashboards.cohort_analysis import CohortAnalysis
from webapp.dashboards.cohort_filters import OUTCOMES, UNITS
from webapp.dashboards.cohort_groups import DIMENSIONS, vocabulary
from webapp.dashboards.cohort_page import (
    comparison_table,
    durability_table,
    figures,
    timepoint_table,
)


def only_options(tags: frozenset[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the subgroup filter's options, grouped by dimension: (label, [(value, text)])."""
    return [(label, [(f"{dimension}:{key}", text)
                     for key, text in vocabulary(dimension, tags).items()])
            for dimension, label in DIMENSIONS.items() if dimension != "none"]


def compare_options(analysis: CohortAnalysis, tags: frozenset[str]) -> list[tuple[str, str]]:
    """Return (key, label) of the subgroups present, largest first, for the comparison."""
    keys = {label: key for key, label in vocabulary(analysis.query.split, tags).items()}
    return [(keys.get(group, group), group) for group in analysis.groups]


def compared(analysis: CohortAnalysis) -> tuple[str, str] | None:
    """Return the labels of the two subgroups compared, if any."""
    if not analysis.comparison:
        return None
    return analysis.comparison[0].group_a, analysis.comparison[0].group_b


def cohort_context(analysis: CohortAnalysis, *, tags: frozenset[str], protocols: dict[int, str],
                   patients: int, synthetic: int) -> dict:
    """Return everything show_cohort.html needs."""
    query = analysis.query
    return {
        "analysis": analysis, "query": query, "args": query.args(),
        "outcome_label": OUTCOMES[query.outcome], "unit_label": UNITS[query.unit],
        "outcomes": OUTCOMES, "units": UNITS, "dimensions": DIMENSIONS,
        "only_options": only_options(tags), "protocols": protocols,
        "compare_options": compare_options(analysis, tags), "compared": compared(analysis),
        "figures": figures(analysis), "table": timepoint_table(analysis),
        "comparison": comparison_table(analysis), "durability": durability_table(analysis),
        "pgic": analysis.rule.responder_max is not None,
        "patients": patients, "synthetic": synthetic,
    }
