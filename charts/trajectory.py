"""Per-patient trajectory figures: one per outcome, plus the CSA-against-pain panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache

import plotly.graph_objects as go

from charts.data import DEFAULT_SPECS, Observation, OutcomeSpec, SessionMarker, TrajectoryData
from charts.response import (
    change_from_baseline,
    find_baseline,
    format_change,
    responder_label,
)
from charts.style import SESSION_COLOUR, base_layout, colour, rgba
from charts.trajectory_parts import csa_traces, session_hover

X_TITLE = "Days since first session"
BAND_REGIONS = 2


def build_trajectory_figures(
    data: TrajectoryData, specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS
) -> dict[str, go.Figure]:
    """Return one figure per outcome (in `specs` order) that has observations."""
    # Plotly's per-property validation is a third of the build time; these dicts come from
    # tested code, and tests/test_charts_validation.py re-validates every figure in full.
    return {outcome: go.Figure(figure, _validate=False)
            for outcome, figure in build_trajectory_dicts(data, specs).items()}


def build_trajectory_dicts(
    data: TrajectoryData, specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS
) -> dict[str, dict]:
    """Return the same figures as plain {"data", "layout"} dicts, ready to serialise.

    This is what the patient page sends: go.Figure deep-copies every point twice (once when
    built, once in to_dict), which is most of the page's time for a 2-year weekly patient.
    Tests check that serialising a dict and its go.Figure gives the same JSON.
    """
    by_outcome: dict[str, list[Observation]] = {}
    for obs in data.observations:
        by_outcome.setdefault(obs.outcome, []).append(obs)
    return {
        outcome: build_outcome_dict(by_outcome[outcome], spec, data.sessions, data.synthetic)
        for outcome, spec in specs.items()
        if outcome in by_outcome
    }


def build_outcome_figure(
    observations: Sequence[Observation],
    spec: OutcomeSpec,
    sessions: Sequence[SessionMarker] = (),
    synthetic: bool = False,
) -> go.Figure:
    """Return the trajectory figure of one outcome: a line per region, sessions, baselines."""
    return go.Figure(build_outcome_dict(observations, spec, sessions, synthetic),
                     _validate=False)


def build_outcome_dict(
    observations: Sequence[Observation],
    spec: OutcomeSpec,
    sessions: Sequence[SessionMarker] = (),
    synthetic: bool = False,
) -> dict:
    """Return build_outcome_figure's figure as a plain {"data", "layout"} dict."""
    regions: dict[str, list[Observation]] = {}
    for obs in observations:
        regions.setdefault(obs.region_code, []).append(obs)
    days = [obs.day for obs in observations] + [s.day for s in sessions]
    span = (min(days), max(days))
    # Seven overlapping bands are an unreadable grey wash: past BAND_REGIONS regions each band
    # starts hidden and appears when its region is isolated (double-tap in the legend).
    band = True if len(regions) <= BAND_REGIONS else "legendonly"
    traces: list[dict] = []
    for index, region_obs in enumerate(regions.values()):
        ordered = sorted(region_obs, key=lambda o: (o.day, o.when))
        traces.extend(region_traces(ordered, spec, span, colour(index), band))
    if sessions:
        traces.append(session_trace(sessions, spec.range[1]))
    layout = base_layout(X_TITLE, spec.label, synthetic,
                         legend_entries=len(regions) + (1 if sessions else 0))
    layout["yaxis"]["range"] = list(spec.range)
    layout["shapes"] = [session_shape(s.day) for s in sessions]
    return {"data": traces, "layout": layout}


def region_traces(
    ordered: Sequence[Observation], spec: OutcomeSpec, span: tuple[float, float], hue: str,
    band: bool | str = True,
) -> list[dict]:
    """Return the traces of one region: band, baseline, line, and missed markers."""
    label = ordered[0].region_label or "Overall"
    group = ordered[0].region_code or "overall"
    baseline = None
    if spec.responder_max is None:
        baseline = find_baseline((o.day, o.value) for o in ordered)
    traces = []
    if baseline is not None:
        traces.extend(baseline_traces(baseline, spec.mcid_points, span, hue, group, band))
    traces.append(_line_trace(ordered, spec, baseline, label, group, hue))
    missed = [o for o in ordered if o.missed or o.value is None]
    if missed:
        traces.append(_missed_trace(missed, spec.range[0], label, group, hue))
    return traces


def legend_name(label: str, ordered: Sequence[Observation], spec: OutcomeSpec,
                baseline: float | None) -> str:
    """Return 'Right wrist: −5 (−63%) · substantial' for the latest answered value."""
    answered = [o for o in ordered if o.value is not None]
    if not answered:
        return f"{label}: no answers"
    latest = answered[-1].value
    if spec.responder_max is not None:
        verdict = "responder" if latest <= spec.responder_max else "not a responder"
        return f"{label}: {latest:g} · {verdict}"
    if len(answered) == 1:
        return f"{label}: baseline {latest:g}"
    change = format_change(*change_from_baseline(baseline, latest, spec.direction))
    verdict = responder_label(baseline, latest, spec.direction, spec.mcid_points)
    return f"{label}: {change} · {verdict}"


def baseline_traces(
    baseline: float, mcid: float | None, span: tuple[float, float], hue: str, group: str,
    band: bool | str = True,
) -> list[dict]:
    """Return the MCID band (baseline ± MCID, filled; `band` is its visibility) and baseline."""
    x0, x1 = span
    common = {"type": "scatter", "legendgroup": group, "showlegend": False, "hoverinfo": "skip"}
    traces = []
    if mcid:
        low, high = baseline - mcid, baseline + mcid
        traces.append({
            **common, "name": "MCID band", "mode": "lines", "fill": "toself",
            "x": [x0, x1, x1, x0, x0], "y": [low, low, high, high, low],
            "fillcolor": rgba(hue, 0.12), "line": {"width": 0}, "visible": band,
        })
    traces.append({
        **common, "name": "baseline", "mode": "lines", "x": [x0, x1], "y": [baseline, baseline],
        "line": {"color": hue, "width": 1, "dash": "dash"},
    })
    return traces


def _line_trace(ordered, spec, baseline, label, group, hue) -> dict:
    """Return the line of one region; hover text is a trace template over short customdata.

    Each point carries only what varies (customdata: date · timepoint; text: change from
    baseline); region, outcome and labels live once in the template. Flat string lists keep a
    2-year weekly page small and quick to copy and serialise.
    """
    xs, ys, whens, texts = [], [], [], []
    changes: dict[float, str] = {}
    for obs in ordered:
        value = None if obs.missed else obs.value
        xs.append(obs.day)
        ys.append(value)
        change = ""
        if value is not None and baseline is not None:
            change = changes.get(value)
            if change is None:
                change = changes[value] = format_change(
                    *change_from_baseline(baseline, value, spec.direction))
        whens.append(when_label(obs.when, obs.timepoint))
        texts.append(change)
    return {
        "type": "scatter", "mode": "lines+markers", "name": legend_name(label, ordered, spec,
                                                                          baseline),
        "legendgroup": group, "x": xs, "y": ys, "customdata": whens,
        "text": texts,
        "hovertemplate": point_template(label, spec, baseline is not None),
        "connectgaps": False, "cliponaxis": False, "line": {"color": hue, "width": 2},
        "marker": {"size": 8},
    }


def point_template(label: str, spec: OutcomeSpec, with_change: bool) -> str:
    """Return the hover template of a region's points (customdata = when, text = change)."""
    text = f"<b>{_escape_template(label)}</b><br>%{{customdata}}<br>" \
           f"{_escape_template(spec.label)}: %{{y:.3~g}}"
    if with_change:
        text += "<br>Change from baseline: %{text}"
    return text + "<extra></extra>"


def _escape_template(text: str) -> str:
    # Labels come from our catalogue, but a literal "%{" would be read as a placeholder.
    return text.replace("%{", "%\u200b{")


@lru_cache(maxsize=4096)
def _day_text(day: date) -> str:
    return f"{day:%d %b %Y}"


def when_label(when: datetime, timepoint: str) -> str:
    """Return '15 Apr 2025 · 12 months' (dates repeat across regions: formatted once)."""
    return f"{_day_text(when.date())} · {timepoint}"


def _missed_trace(missed, bottom, label, group, hue) -> dict:
    return {
        "type": "scatter", "mode": "markers", "name": "missed", "legendgroup": group,
        "showlegend": False, "x": [o.day for o in missed], "y": [bottom] * len(missed),
        "hovertext": [f"<b>{label}</b><br>{when_label(o.when, o.timepoint)}<br>missed"
                      for o in missed],
        "hovertemplate": "%{hovertext}<extra></extra>", "cliponaxis": False,
        "marker": {"symbol": "circle-open", "size": 11, "color": hue, "line": {"width": 2}},
    }


def session_shape(day: float) -> dict:
    """Return the vertical dotted line marking a session."""
    return {
        "type": "line", "xref": "x", "yref": "paper", "x0": day, "x1": day, "y0": 0, "y1": 1,
        "layer": "below", "line": {"color": SESSION_COLOUR, "width": 1, "dash": "dot"},
    }


def session_trace(sessions: Sequence[SessionMarker], top: float) -> dict:
    """Return the hoverable markers at the top of the axis describing each session."""
    return {
        "type": "scatter", "mode": "markers", "name": "Sessions", "legendgroup": "sessions",
        "x": [s.day for s in sessions], "y": [top] * len(sessions),
        "hovertext": [session_hover(s) for s in sessions],
        "hovertemplate": "%{hovertext}<extra></extra>", "cliponaxis": False,
        "marker": {"symbol": "triangle-down", "size": 11, "color": SESSION_COLOUR,
                   "opacity": 0.6},
    }


def build_csa_figure(data: TrajectoryData, csa_reference: float = 10.0) -> go.Figure | None:
    """Return CSA (mm²) against pain per region, with the reference CSA line, or None."""
    figure = build_csa_dict(data, csa_reference)
    return None if figure is None else go.Figure(figure)


def build_csa_dict(data: TrajectoryData, csa_reference: float = 10.0) -> dict | None:
    """Return build_csa_figure's figure as a plain {"data", "layout"} dict, or None."""
    traces = csa_traces(data.csa_points)
    if not traces:
        return None
    layout = base_layout("Cross-sectional area (mm²)", "Pain (NRS 0-10)", data.synthetic,
                         legend_entries=len(traces))
    layout["yaxis"]["range"] = [0, 10]
    layout["shapes"] = [{
        "type": "line", "xref": "x", "yref": "paper", "x0": csa_reference, "x1": csa_reference,
        "y0": 0, "y1": 1, "line": {"color": "#b00020", "width": 1, "dash": "dash"},
    }]
    layout.setdefault("annotations", []).append({
        "text": f"{csa_reference:g} mm² (median/ulnar)", "xref": "x", "yref": "paper",
        "x": csa_reference, "y": 1, "xanchor": "left", "yanchor": "top",
        "showarrow": False,  # inside the plot, under its top edge
    })
    return {"data": traces, "layout": layout}
