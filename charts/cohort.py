"""Cohort view: median change with IQR by week, responder rates and completion per timepoint."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import plotly.graph_objects as go

from charts.response import responder_label
from charts.style import base_layout, colour, rgba

MODERATE_OR_BETTER = frozenset({"moderate", "substantial"})
# A median of one or two answers is noise: such weeks stay in the table but not on the line.
MIN_PLOTTED_N = 3
# Past this many nerves the lines are a tangle: the nerves with most patients are drawn, the
# rest start hidden and appear from the legend.
VISIBLE_NERVES = 5


class CohortRow(NamedTuple):
    """One due timepoint of one patient, nerve and outcome (value None when not answered).

    A NamedTuple: the cohort of 5,000 patients has ~75,000 of them per outcome, and a tuple is
    built several times faster than a frozen dataclass.
    """

    patient_key: str
    nerve: str
    nerve_label: str
    outcome: str
    week: float
    timepoint: str
    baseline: float | None
    value: float | None
    completed: bool


@dataclass
class CohortView:
    """The cohort figures and, per figure, the numbers behind it (with n at each point)."""

    figures: dict[str, go.Figure] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)


def build_cohort_view(
    rows: Iterable[CohortRow], outcome: str = "pain", direction: str = "higher_worse",
    mcid: float | None = 2, min_plotted_n: int = MIN_PLOTTED_N,
) -> CohortView:
    """Return the change, responders and completion figures with their tables for one outcome."""
    selected = [row for row in rows if row.outcome == outcome]
    tables = {
        "change": change_table(selected),
        "responders": responder_table(selected, direction, mcid),
        "completion": completion_table(selected),
    }
    figures = {
        "change": change_figure(tables["change"], min_plotted_n),
        "responders": responder_figure(tables["responders"]),
        "completion": completion_figure(tables["completion"]),
    }
    return CohortView(figures=figures, tables=tables)


def _scored(row: CohortRow) -> bool:
    return row.completed and row.value is not None and row.baseline is not None


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """Return (Q1, median, Q3), inclusive method; a single value is all three."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def change_table(rows: Sequence[CohortRow]) -> list[dict]:
    """Return per nerve and integer week: n, median, Q1 and Q3 of value - baseline."""
    cells: dict[tuple[str, int], list[float]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        if _scored(row):
            cells.setdefault((row.nerve, round(row.week)), []).append(row.value - row.baseline)
            labels.setdefault(row.nerve, row.nerve_label)
    table = []
    for (nerve, week), changes in sorted(cells.items()):
        q1, median, q3 = quartiles(changes)
        table.append({"nerve": nerve, "nerve_label": labels[nerve], "week": week,
                      "n": len(changes), "median": median, "q1": q1, "q3": q3})
    return table


def timepoint_order(rows: Sequence[CohortRow]) -> list[str]:
    """Return timepoint names ordered by their earliest week."""
    first: dict[str, float] = {}
    for row in rows:
        if row.week < first.get(row.timepoint, float("inf")):
            first[row.timepoint] = row.week
    return sorted(first, key=lambda name: (first[name], name))


def responder_table(rows: Sequence[CohortRow], direction: str, mcid: float | None) -> list[dict]:
    """Return per follow-up timepoint (week > 0): n and the share improving >= 30% and >= 50%."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        if row.week > 0 and _scored(row):
            label = responder_label(row.baseline, row.value, direction, mcid)
            cell = counts.setdefault(row.timepoint, [0, 0, 0])
            cell[0] += 1
            cell[1] += label in MODERATE_OR_BETTER
            cell[2] += label == "substantial"
    table = []
    for name in timepoint_order([r for r in rows if r.timepoint in counts]):
        n, n30, n50 = counts[name]
        table.append({"timepoint": name, "n": n, "n_30": n30, "rate_30": n30 / n,
                      "n_50": n50, "rate_50": n50 / n})
    return table


def completion_table(rows: Sequence[CohortRow]) -> list[dict]:
    """Return per timepoint: patients due (n), patients who answered, and the rate."""
    done: dict[str, dict[str, bool]] = {}
    for row in rows:
        patients = done.setdefault(row.timepoint, {})
        patients[row.patient_key] = patients.get(row.patient_key, False) or row.completed
    table = []
    for name in timepoint_order(rows):
        answered = sum(done[name].values())
        n = len(done[name])
        table.append({"timepoint": name, "n": n, "completed": answered, "rate": answered / n})
    return table


def change_figure(table: Sequence[dict], min_plotted_n: int = MIN_PLOTTED_N) -> go.Figure:
    """Return the median change line with an interquartile band, one colour per nerve.

    Only weeks with at least `min_plotted_n` answers are drawn; nerves are ordered by their
    largest n, and past VISIBLE_NERVES they start hidden (legend only).
    """
    nerves: dict[str, list[dict]] = {}
    for cell in table:
        if cell["n"] >= min_plotted_n:
            nerves.setdefault(cell["nerve"], []).append(cell)
    ordered = sorted(nerves.values(), key=lambda cells: (-max(c["n"] for c in cells),
                                                         cells[0]["nerve_label"]))
    bands: list[dict] = []
    lines: list[dict] = []
    for index, cells in enumerate(ordered):
        q1, q3, median = _iqr_traces(cells, colour(index))
        if index >= VISIBLE_NERVES:
            for trace in (q1, q3, median):
                trace["visible"] = "legendonly"
        bands += [q1, q3]
        lines.append(median)
    traces = bands + lines  # every band under every median line, so no fill tints a line
    layout = base_layout("Weeks since first session", "Change from baseline (points)",
                         legend_entries=len(lines))
    return go.Figure(data=traces, layout=layout)


def _iqr_traces(cells: Sequence[dict], hue: str) -> list[dict]:
    label, group = cells[0]["nerve_label"], cells[0]["nerve"]
    weeks = [c["week"] for c in cells]
    common = {"type": "scatter", "mode": "lines", "legendgroup": group, "x": weeks}
    hover = [f"<b>{label}</b><br>week {c['week']}<br>median {c['median']:g} "
             f"(IQR {c['q1']:g} to {c['q3']:g})<br>n = {c['n']}" for c in cells]
    return [
        {**common, "name": f"{label} Q1", "y": [c["q1"] for c in cells], "showlegend": False,
         "hoverinfo": "skip", "line": {"width": 0, "color": hue}},
        {**common, "name": f"{label} IQR", "y": [c["q3"] for c in cells], "showlegend": False,
         "hoverinfo": "skip", "fill": "tonexty", "fillcolor": rgba(hue, 0.12),
         "line": {"width": 0, "color": hue}},
        {**common, "mode": "lines+markers", "name": label, "y": [c["median"] for c in cells],
         "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>",
         "line": {"width": 2, "color": hue}},
    ]


def responder_figure(table: Sequence[dict]) -> go.Figure:
    """Return grouped bars of the share of responders (>= 30%, >= 50%) per timepoint."""
    names = [c["timepoint"] for c in table]
    traces = [
        _rate_bars(names, table, "rate_30", "n_30", "≥30% improvement", colour(0)),
        _rate_bars(names, table, "rate_50", "n_50", "≥50% improvement", colour(1)),
    ]
    layout = base_layout("Follow-up timepoint", "Responders (%)")
    layout["barmode"] = "group"
    layout["yaxis"]["range"] = [0, 100]
    return go.Figure(data=traces, layout=layout)


def completion_figure(table: Sequence[dict]) -> go.Figure:
    """Return bars of the share of due patients who answered, per timepoint."""
    names = [c["timepoint"] for c in table]
    trace = _rate_bars(names, table, "rate", "completed", "Completed", colour(2))
    layout = base_layout("Timepoint", "Completed (%)")
    layout["yaxis"]["range"] = [0, 100]
    layout["showlegend"] = False
    return go.Figure(data=[trace], layout=layout)


def _rate_bars(names, table, rate_key, count_key, name, hue) -> dict:
    return {
        "type": "bar", "name": name, "x": names,
        "y": [round(c[rate_key] * 100, 1) for c in table],
        "hovertext": [f"{c['timepoint']}: {c[rate_key]:.0%} ({c[count_key]} of {c['n']})"
                      for c in table],
        "hovertemplate": "%{hovertext}<extra></extra>", "marker": {"color": hue},
    }
