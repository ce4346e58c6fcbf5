"""Cohort analysis figures as plain {"data", "layout"} dicts: change at each named timepoint,
responder proportions, and Kaplan-Meier curves of durability with numbers at risk.

Like charts.trajectory's build_*_dict functions: wrap in plotly.graph_objects.Figure to
validate or to render. Past VISIBLE_GROUPS subgroups the rest start legend-only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from charts.stats import Proportion
from charts.style import base_layout, colour, figure_height
from charts.survival import KaplanMeier
from charts.trial_table import TrialRow

VISIBLE_GROUPS = 5
RESPONDER_FIELDS = {
    "responders_30": "≥30% improvement",
    "responders_50": "≥50% improvement",
    "pgic_responders": "PGIC much or very much improved",
}
X_TITLE = "Timepoint (complete cases)"
# Pixels for one numbers-at-risk row, and between the curve's x-axis and the table (the
# tick labels and axis title sit there).
RISK_ROW_PX = 22
RISK_GAP_PX = 70


def build_change_dict(rows: Sequence[TrialRow],
                      y_title: str = "Mean change from baseline (95% CI)") -> dict:
    """Return mean change with 95% CI error bars per timepoint, one colour per group."""
    labels = timepoint_labels(rows)
    traces = []
    for index, (group, cells) in enumerate(_groups_by_size(rows)):
        drawn = [r for r in cells if r.change is not None and r.change.mean is not None]
        traces.append({
            "type": "scatter", "mode": "markers", "name": group, "legendgroup": group,
            "offsetgroup": group, "x": [r.label for r in drawn],
            "y": [r.change.mean for r in drawn],
            "error_y": _error_bars([(r.change.mean, r.change.ci_low, r.change.ci_high)
                                    for r in drawn]),
            "hovertext": [_change_hover(r) for r in drawn],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {"size": 10, "color": colour(index)},
            "visible": True if index < VISIBLE_GROUPS else "legendonly",
        })
    layout = _category_layout(labels, y_title, len(traces))
    layout["scattermode"] = "group"  # groups side by side at a timepoint, not on top
    layout["shapes"] = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
                         "y0": 0, "y1": 0, "line": {"color": "#6b6b6b", "width": 1}}]
    return {"data": traces, "layout": layout}


def build_responder_dict(rows: Sequence[TrialRow], field: str = "responders_30") -> dict:
    """Return bars of the responder percentage per timepoint and group with Wilson 95% CIs.

    `field` is "responders_30", "responders_50" or "pgic_responders" (a TrialRow field).
    """
    if field not in RESPONDER_FIELDS:
        raise ValueError(f"unknown responder field {field!r}")
    labels = timepoint_labels(rows)
    traces = []
    for index, (group, cells) in enumerate(_groups_by_size(rows)):
        drawn = [(r, getattr(r, field)) for r in cells]
        drawn = [(r, p) for r, p in drawn if p is not None and p.share is not None]
        traces.append({
            "type": "bar", "name": group, "legendgroup": group, "x": [r.label for r, _ in drawn],
            "y": [p.share * 100 for _, p in drawn],
            "error_y": _error_bars([(p.share * 100, p.ci_low * 100, p.ci_high * 100)
                                    for _, p in drawn]),
            "hovertext": [_proportion_hover(group, r.label, p) for r, p in drawn],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {"color": colour(index)},
            "visible": True if index < VISIBLE_GROUPS else "legendonly",
        })
    layout = _category_layout(labels, f"Responders, {RESPONDER_FIELDS[field]} (%, 95% CI)",
                              len(traces))
    layout["barmode"] = "group"
    layout["yaxis"]["range"] = [0, 100]
    return {"data": traces, "layout": layout}


def build_km_dict(curves: Mapping[str, KaplanMeier],
                  x_title: str = "Days since first response") -> dict:
    """Return Kaplan-Meier step curves per group with censor marks and, under the axis, a
    numbers-at-risk table at each curve's at_risk days (a text trace on a second y-axis)."""
    traces = []
    for index, (group, curve) in enumerate(curves.items()):
        visible = True if index < VISIBLE_GROUPS else "legendonly"
        for trace in _km_traces(group, curve, colour(index)):
            traces.append({**trace, "legendgroup": group, "visible": visible})
    layout = base_layout(x_title, "Still responding (Kaplan-Meier)",
                         legend_entries=len(curves))
    table_px = RISK_ROW_PX * max(1, len(curves)) + 10
    layout["height"] = figure_height(len(curves)) + table_px + RISK_GAP_PX
    # The plotting area is the figure less its margins and legend; about 80 px here.
    area = layout["height"] - 80
    table_top = table_px / area
    layout["yaxis"].update({"domain": [table_top + RISK_GAP_PX / area, 1],
                            "range": [0, 1.05]})
    layout["yaxis2"] = {
        "domain": [0, table_top], "type": "category", "categoryorder": "array",
        "categoryarray": list(reversed(curves)),  # first group on the top row
        "showgrid": False, "zeroline": False, "fixedrange": True, "automargin": True,
        "title": {"text": "At risk", "font": {"size": 12}},
    }
    layout["xaxis"]["range"] = _km_range(curves)
    return {"data": traces, "layout": layout}


def _km_range(curves: Mapping[str, KaplanMeier]) -> list[float]:
    # A little room left of day 0, so the day-0 numbers at risk sit clear of the group names.
    last = max((day for curve in curves.values()
                for day in (*curve.times, *(d for d, _ in curve.at_risk))), default=1.0)
    last = max(last, 1.0)
    return [-0.04 * last, 1.03 * last]


def timepoint_labels(rows: Sequence[TrialRow]) -> list[str]:
    """Return the timepoint labels in the rows' order, each once."""
    return list(dict.fromkeys(row.label for row in rows))


def _groups_by_size(rows: Sequence[TrialRow]) -> list[tuple[str, list[TrialRow]]]:
    # The largest groups are drawn; the rest wait in the legend.
    groups: dict[str, list[TrialRow]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    return sorted(groups.items(), key=lambda item: (-max(r.n_regions for r in item[1]),
                                                    item[0]))


def _error_bars(points: Sequence[tuple[float, float | None, float | None]]) -> dict:
    # Asymmetric bars; None (n < 2, no interval) draws no bar at that point.
    return {
        "type": "data", "symmetric": False, "thickness": 1.5, "width": 4,
        "array": [None if high is None else high - mid for mid, _, high in points],
        "arrayminus": [None if low is None else mid - low for mid, low, _ in points],
    }


def _category_layout(labels: Sequence[str], y_title: str, entries: int) -> dict:
    layout = base_layout(X_TITLE, y_title, legend_entries=entries)
    layout["xaxis"].update({"type": "category", "categoryorder": "array",
                            "categoryarray": list(labels)})
    return layout


def _km_traces(group: str, curve: KaplanMeier, hue: str) -> list[dict]:
    return [
        {"type": "scatter", "mode": "lines", "name": f"{group} (n = {curve.n})",
         "x": list(curve.times), "y": list(curve.survival), "line": {"shape": "hv",
                                                                       "color": hue, "width": 2},
         "hovertemplate": f"<b>{_escape(group)}</b><br>day %{{x:g}}: %{{y:.2f}}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": f"{group} censored",
         "showlegend": False, "x": [t for t, _ in curve.censored],
         "y": [s for _, s in curve.censored], "hoverinfo": "skip",
         "marker": {"symbol": "line-ns-open", "size": 10, "color": hue}},
        {"type": "scatter", "mode": "text", "name": f"{group} at risk", "showlegend": False,
         "yaxis": "y2", "x": [day for day, _ in curve.at_risk], "y": [group] * len(curve.at_risk),
         "text": [str(n) for _, n in curve.at_risk], "textfont": {"color": hue},
         "hovertemplate": f"{_escape(group)}: %{{text}} at risk on day %{{x:g}}<extra></extra>"},
    ]


def _change_hover(row: TrialRow) -> str:
    change = row.change
    text = f"<b>{row.group}</b><br>{row.label}<br>mean change {_signed(change.mean)}"
    if change.ci_low is not None:
        text += f" (95% CI {_signed(change.ci_low)} to {_signed(change.ci_high)})"
    return text + f"<br>n = {row.n_regions} regions, {row.n_patients} patients"


def _proportion_hover(group: str, label: str, proportion: Proportion) -> str:
    return (f"<b>{group}</b><br>{label}: {proportion.share:.0%} "
            f"({proportion.k} of {proportion.n}; 95% CI {proportion.ci_low:.0%} to "
            f"{proportion.ci_high:.0%})")


def _signed(number: float) -> str:
    # A true minus sign, as the patient view prints changes.
    return f"{number:+.1f}".replace("-", "\u2212")


def _escape(text: str) -> str:
    # Group names go into hover templates, where a literal "%{" would be a placeholder.
    return text.replace("%{", "%\u200b{")
