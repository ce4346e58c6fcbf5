"""The trial table: the cohort shaped like Table 2 of the published carpal tunnel trials.

One row per outcome, timepoint and subgroup: n (regions and patients), baseline mean (SD),
follow-up mean (SD), change (95% CI), responders n (%, 95% CI), for the cohort page's filters
and split, every outcome at once. As CSV (charts.trial_table's cells, each text cell
neutralised) and as a printable page.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from charts.csv_cells import neutralise
from charts.trial_table import CSV_COLUMNS, csv_cells
from webapp.dashboards import cohort_format as fmt
from webapp.dashboards.cohort import analyse_cohort
from webapp.dashboards.cohort_analysis import CohortAnalysis
from webapp.dashboards.cohort_filters import OUTCOMES, UNITS, CohortQuery
from webapp.dashboards.cohort_groups import DIMENSIONS, vocabulary
from webapp.dashboards.cohort_page import shown_rows

TRIAL_COLUMNS = ("outcome", "unit", *CSV_COLUMNS)


@dataclass(frozen=True)
class TrialSection:
    """One outcome's part of the trial table."""

    outcome: str
    label: str
    analysis: CohortAnalysis


def trial_sections(db, query: CohortQuery, tags: frozenset[str]) -> list[TrialSection]:
    """Return the analysis of every outcome under the query's unit, filters and split."""
    return [TrialSection(outcome, label, analyse_cohort(db, _with(query, outcome), tags,
                                                     with_durability=False))
            for outcome, label in OUTCOMES.items()]


def _with(query: CohortQuery, outcome: str) -> CohortQuery:
    return CohortQuery(outcome, query.unit, query.split, query.only, query.first_from,
                       query.first_to, query.protocol_id, query.exclude_synthetic, query.compare)


def trial_csv(sections: list[TrialSection]) -> str:
    """Return every section's rows as one CSV with the outcome and unit in front."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRIAL_COLUMNS)
    for section in sections:
        unit = section.analysis.query.unit
        for row in section.analysis.rows:
            writer.writerow([neutralise(cell) for cell in (section.outcome, unit,
                                                           *csv_cells(row))])
    return buffer.getvalue()


def row_count(sections: list[TrialSection]) -> int:
    """Return the number of table rows across the sections."""
    return sum(len(section.analysis.rows) for section in sections)


def printable_rows(section: TrialSection) -> list[dict]:
    """Return one section's rows as the printed table's text cells."""
    pgic = section.analysis.rule.responder_max is not None
    return [{
        "timepoint": row.label, "group": row.group,
        "n": f"{row.n_regions} ({row.n_patients})",
        "baseline": fmt.mean_sd(row.baseline), "follow_up": fmt.mean_sd(row.follow_up),
        "change": fmt.mean_ci(row.change),
        "responders": fmt.proportion(row.pgic_responders if pgic else row.responders_30),
        "responders_50": "" if pgic else fmt.proportion(row.responders_50),
    } for row in shown_rows(section.analysis)]


def describe(query: CohortQuery, protocols: dict[int, str], tags: frozenset[str]) -> list[str]:
    """Return the query in words, for the printed table's heading."""
    words = [f"Unit: {UNITS[query.unit].lower()}",
             f"split by {DIMENSIONS[query.split].lower()}" if query.split != "none"
             else "all units together"]
    if query.only:
        dimension, key = query.only
        label = vocabulary(dimension, tags).get(key, key)
        words.append(f"only {DIMENSIONS[dimension].lower()}: {label}")
    if query.first_from or query.first_to:
        words.append(f"first session {query.first_from or '…'} to {query.first_to or '…'}")
    if query.protocol_id is not None:
        words.append(f"protocol: {protocols.get(query.protocol_id, query.protocol_id)}")
    if query.exclude_synthetic:
        words.append("synthetic patients excluded")
    return words


def audit_detail(query: CohortQuery, kind: str, rows: int) -> dict:
    """Return what an export's audit event records: the shape of the query, never a tag or
    other group value (a tag can name a diagnosis)."""
    return {"format": kind, "rows": rows, "unit": query.unit, "by": query.split,
            "only": query.only[0] if query.only else None,
            "dates": bool(query.first_from or query.first_to),
            "protocol_id": query.protocol_id, "exclude_synthetic": query.exclude_synthetic}
