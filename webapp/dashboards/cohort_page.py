"""What the cohort page shows of an analysis: its figures as JSON, and its tables as text cells.

Figures are charts.cohort_figures dicts (points with 95% CI error bars, responder bars with
Wilson CIs, Kaplan-Meier curves with numbers at risk), serialised once by figure_payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from charts.assets import figure_payload
from charts.cohort_figures import build_change_dict, build_km_dict, build_responder_dict
from charts.trial_table import TrialRow
from webapp.dashboards import cohort_format as fmt
from webapp.dashboards.cohort_analysis import CohortAnalysis

TITLES = {
    "change": "Mean change from baseline at each timepoint, with 95% confidence intervals",
    "responders": "Responders (at least 30% better and the MCID), with 95% CIs",
    "substantial": "Substantial responders (at least 50% better and the MCID), with 95% CIs",
    "pgic": "Much or very much improved (PGIC 1 or 2), with 95% CIs",
    "durability": "How long responses last: still responding after the first response "
                  "(Kaplan-Meier)",
}


@dataclass(frozen=True)
class Figure:
    """One chart of the page: its name (ids), title and JSON payload."""

    name: str
    title: str
    payload: str


def after_baseline(analysis: CohortAnalysis) -> list[TrialRow]:
    """Return the rows of the timepoints after baseline (change is zero at baseline)."""
    baseline = {t.name for t in analysis.timepoints if t.is_baseline}
    return [row for row in analysis.rows if row.timepoint not in baseline]


def figures(analysis: CohortAnalysis) -> list[Figure]:
    """Return the page's figures: change, responders and durability."""
    rows = after_baseline(analysis)
    if analysis.rule.responder_max is not None:
        shown = [("pgic", build_responder_dict(rows, "pgic_responders"))]
    else:
        shown = [("change", build_change_dict(rows)),
                 ("responders", build_responder_dict(rows, "responders_30")),
                 ("substantial", build_responder_dict(rows, "responders_50"))]
    curves = {d.group: d.curve for d in analysis.durability}
    shown.append(("durability", build_km_dict(curves)))
    return [Figure(name, TITLES[name], figure_payload(figure)) for name, figure in shown]


def shown_rows(analysis: CohortAnalysis) -> list[TrialRow]:
    """Return the rows with at least one complete case (a group absent at a timepoint has no
    row on the page; the CSV keeps every row)."""
    return [row for row in analysis.rows if row.n_regions]


def timepoint_table(analysis: CohortAnalysis) -> list[dict]:
    """Return the timepoint x subgroup table as text cells (complete cases); at baseline the
    change and responder cells are blank (nothing has changed yet)."""
    baseline = {t.name for t in analysis.timepoints if t.is_baseline}
    return [{
        "timepoint": row.label, "group": row.group, "regions": row.n_regions,
        "patients": row.n_patients, "baseline": fmt.mean_sd(row.baseline),
        "current": fmt.mean_sd(row.follow_up), **_changes(row, row.timepoint in baseline),
    } for row in shown_rows(analysis)]


def _changes(row: TrialRow, at_baseline: bool) -> dict:
    if at_baseline:
        return dict.fromkeys(("change", "median", "r30", "r50", "pgic"), fmt.BLANK)
    return {"change": fmt.mean_ci(row.change), "median": fmt.median_iqr(row.change),
            "r30": fmt.proportion(row.responders_30), "r50": fmt.proportion(row.responders_50),
            "pgic": fmt.proportion(row.pgic_responders)}


def comparison_table(analysis: CohortAnalysis) -> list[dict]:
    """Return the two-group comparison at each timepoint as text cells."""
    labels = {t.name: t.label for t in analysis.timepoints}
    return [{"timepoint": labels.get(c.timepoint, c.timepoint), "n_a": c.n_a, "n_b": c.n_b,
             "difference": fmt.difference(c.difference),
             "g": fmt.number(c.hedges_g, 2, signed=True)} for c in analysis.comparison]


def durability_table(analysis: CohortAnalysis) -> list[dict]:
    """Return, per subgroup: regions judged, responders, losses, median time, median share."""
    return [{"group": d.group, "units": d.units, "responders": d.curve.n,
             "lost": d.curve.events, "median": fmt.days(d.curve.median) if d.curve.n else "–",
             "share": fmt.share(d.median_share),
             "at_risk": ", ".join(f"day {day:g}: {n}" for day, n in d.curve.at_risk)}
            for d in analysis.durability]
