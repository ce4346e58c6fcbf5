"""The interactive (plotly.js) view of each panel of the patient page, as plain figure dicts.

Built from charts.trajectory's plain-dict pieces on the panels' own time axis
(charts.timeaxis): x is the axis fraction, the ticks say W3 or M12 and the named timepoints sit
on a top axis, so the interactive view reads like the server-drawn panel it opens from, with
the same colours, dashes and markers, and only the sessions the panel's SVG shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape

from charts.data import DEFAULT_SPECS, Observation, OutcomeSpec, SessionMarker, TrajectoryData
from charts.panels_svg import CSA_STYLE, CUTOFF_COLOUR, OVERALL, SYMPTOMS, SvgPanel
from charts.style import base_layout, rgba
from charts.svg_marks import clinician_session_text, sessions_treating
from charts.svg_parts import TREATMENT_FILL, SeriesStyle
from charts.timeaxis import TimeAxis
from charts.trajectory import region_traces, session_shape, session_trace

X_TITLE = "Weeks (W) since the first session, then months (M) of follow-up, compressed"
SYMPTOMS_TITLE = "Pain and paresthesia (NRS 0-10)"
# The spec's label runs longer than a 380 px plot is high: the axis title would be clipped.
SHORT_TITLES = {"pgic": "PGIC (1 = very much improved)"}
# plotly.js names for the SVG panels' dash patterns and markers (charts.svg_parts).
DASHES = {"": "solid", "6 3": "dash", "4 3": "dash"}
SYMBOLS = {"circle": "circle", "square": "square", "": "circle"}
Grouped = Mapping[tuple[str, str], Sequence[Observation]]


def panel_figure(panel: SvgPanel, data: TrajectoryData, axis: TimeAxis, grouped: Grouped,
                 specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS,
                 cutoff: float | None = None) -> dict:
    """Return the {"data", "layout"} figure of one server-drawn panel (see render_panels)."""
    if panel.kind == "symptoms":
        return symptoms_figure(panel, data, axis, grouped, specs)
    if panel.kind == "csa":
        return csa_figure(panel, data, axis, cutoff)
    return overall_figure(panel, data, axis, grouped[(panel.kind, panel.region_code)],
                          specs[panel.kind])


def symptoms_figure(panel: SvgPanel, data: TrajectoryData, axis: TimeAxis, grouped: Grouped,
                    specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS) -> dict:
    """Return a region's pain and paresthesia, with only the sessions that treated it."""
    traces = []
    for outcome, style in SYMPTOMS.items():
        rows = grouped.get((outcome, panel.region_code), [])
        if rows:
            traces.extend(series_traces(rows, specs[outcome], style, axis))
    sessions = sessions_treating(data.sessions, panel.title)
    return _figure(traces, sessions, panel.title, axis, SYMPTOMS_TITLE, specs["pain"].range,
                   data.synthetic)


def overall_figure(panel: SvgPanel, data: TrajectoryData, axis: TimeAxis,
                   rows: Sequence[Observation], spec: OutcomeSpec) -> dict:
    """Return function (PSFS) or PGIC with every session; PGIC shades its responder zone."""
    style = OVERALL[panel.kind]
    figure = _figure(series_traces(rows, spec, style, axis), data.sessions, None, axis,
                     SHORT_TITLES.get(panel.kind, spec.label), spec.range, data.synthetic)
    if spec.responder_max is not None:
        figure["layout"]["shapes"].append({
            "type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
            "y0": spec.range[0], "y1": spec.responder_max, "layer": "below",
            "fillcolor": rgba(style.colour, 0.1), "line": {"width": 0}})
    return figure


def csa_figure(panel: SvgPanel, data: TrajectoryData, axis: TimeAxis,
               cutoff: float | None) -> dict:
    """Return a region's CSA over time with its reference cut-off line, if one is published."""
    label = panel.title.split(" · CSA")[0]
    points = sorted((p for p in data.csa_points if p.region_code == panel.region_code),
                    key=lambda p: p.day)
    sessions = sessions_treating(data.sessions, label)
    when = {s.day: f"Session {s.number} · {s.when:%d %b %Y}" for s in sessions}
    trace = {"type": "scatter", "mode": "lines+markers", "name": "CSA (mm²)",
             "x": [axis.x(p.day) for p in points], "y": [p.csa_mm2 for p in points],
             "customdata": [when.get(p.day, f"day {p.day:g}") for p in points],
             "hovertemplate": "%{customdata}<br>CSA %{y:.3~g} mm²<extra></extra>",
             "line": {"color": CSA_STYLE.colour, "width": 2}, "marker": {"size": 8}}
    top = max([p.csa_mm2 for p in points] + [cutoff or 0.0, 15.0]) * 1.1
    figure = _figure([trace], sessions, label, axis, "CSA (mm²)", (0.0, top), data.synthetic)
    if cutoff is not None:
        figure["layout"]["shapes"].append({
            "type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": cutoff,
            "y1": cutoff, "line": {"color": CUTOFF_COLOUR, "width": 1, "dash": "dash"}})
        figure["layout"]["annotations"] = [{
            "text": f"{cutoff:g} mm² cut-off", "xref": "paper", "yref": "y", "x": 1,
            "y": cutoff, "xanchor": "right", "yanchor": "bottom", "showarrow": False,
            "font": {"color": CUTOFF_COLOUR}}]
    return figure


def series_traces(rows: Sequence[Observation], spec: OutcomeSpec, style: SeriesStyle,
                  axis: TimeAxis) -> list[dict]:
    """Return one series' band, baseline, line and missed markers on the axis's x fractions."""
    # region_traces names and groups a series by its region: here the series is one outcome.
    # Observation(...) rather than _replace(): twice as quick on a 2-year weekly page.
    label, x = style.label, axis.x
    ordered = [Observation(label, label, o.outcome, x(o.day), o.when, o.value, o.timepoint,
                           o.missed) for o in sorted(rows, key=lambda o: (o.day, o.when))]
    traces = region_traces(ordered, spec, (0.0, 1.0), style.colour)
    for trace in traces:
        if trace.get("mode") == "lines+markers":
            trace["line"]["dash"] = DASHES.get(style.dash, "dash")
            trace["marker"]["symbol"] = SYMBOLS.get(style.marker, "circle")
    return traces


def session_hover(session: SessionMarker, region_label: str | None) -> str:
    """Return a session's hover text: date, status, what was injected and the note, escaped."""
    text = escape(clinician_session_text(session, region_label), quote=False)
    return text.replace("\n", "<br>")


def _figure(traces: list[dict], sessions: Sequence[SessionMarker], region_label: str | None,
            axis: TimeAxis, y_title: str, y_range: tuple[float, float],
            synthetic: bool) -> dict:
    shown = [replace(s, day=axis.x(s.day)) for s in sessions]
    data = list(traces)
    if shown:
        marks = session_trace(shown, y_range[1])
        marks["hovertext"] = [session_hover(s, region_label) for s in sessions]
        marks["marker"]["symbol"] = ["triangle-down-open" if s.status == "scheduled"
                                     else "triangle-down" for s in sessions]
        data.append(marks)
    if axis.named:  # plotly.js draws an axis only under a trace: an empty one on the top axis
        data.append({"type": "scatter", "mode": "markers", "x": [t.x for t in axis.named],
                     "y": [None] * len(axis.named), "xaxis": "x2", "showlegend": False,
                     "hoverinfo": "skip"})
    legend = sum(1 for t in data if t.get("showlegend", True))
    layout = base_layout(X_TITLE, y_title, synthetic, legend_entries=legend)
    layout["yaxis"]["range"] = list(y_range)
    layout["xaxis"].update(_ticks(axis.ticks), range=[-0.02, 1.02])
    layout["xaxis2"] = {**_ticks(axis.named), "overlaying": "x", "side": "top",
                        "matches": "x", "showgrid": False, "zeroline": False,
                        "ticks": "outside", "ticklen": 6, "tickfont": {"size": 12}}
    layout["margin"]["t"] = 48
    layout["shapes"] = [_treatment_shade(axis)] + [session_shape(s.day) for s in shown]
    return {"data": data, "layout": layout}


def _ticks(ticks) -> dict:
    return {"tickmode": "array", "tickvals": [t.x for t in ticks],
            "ticktext": [t.label for t in ticks]}


def _treatment_shade(axis: TimeAxis) -> dict:
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": axis.x(axis.start),
            "x1": axis.x(axis.treatment_end), "y0": 0, "y1": 1, "layer": "below",
            "fillcolor": TREATMENT_FILL, "line": {"width": 0}}
