"""Server-drawn SVG small multiples of one patient: readable before any JavaScript loads.

One panel per nerve region (pain and paresthesia), a CSA panel beside each region that has
measurements, then function (PSFS) and global change (PGIC). Every panel shares one time
axis (charts.timeaxis) and, per kind, one y scale, so the panels compare at a glance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from charts.data import DEFAULT_SPECS, CsaPoint, Observation, OutcomeSpec, TrajectoryData
from charts.panels_text import (
    baseline_of,
    csa_summary,
    default_timepoints,
    missed_text,
    symptoms_summary,
    value_summary,
)
from charts.style import PALETTE
from charts.svg_marks import (
    clinician_session_text,
    missed_marks,
    session_marks,
    sessions_treating,
)
from charts.svg_parts import (
    BOTTOM,
    LEFT,
    PAIN,
    PARESTHESIA,
    RIGHT,
    Frame,
    SeriesStyle,
    band_and_baseline,
    header,
    num,
    open_svg,
    series,
    x_axis,
    y_grid,
)
from charts.timeaxis import TimeAxis, build_time_axis

SYMPTOMS = {"pain": PAIN, "paresthesia": PARESTHESIA}
OVERALL = {"function": SeriesStyle("PSFS", PALETTE[2], "", "circle"),
           "pgic": SeriesStyle("PGIC", PALETTE[3], "", "square")}
CSA_STYLE = SeriesStyle("CSA", "#000000", "", "circle")
CUTOFF_COLOUR = "#b00020"
# CLINICAL.md "Outcomes": median at the carpal tunnel inlet and ulnar at the elbow, about
# 10 mm2; other nerves have no single cut-off (compare sides), so they get no line.
CSA_CUTOFFS = (({"median"}, {"carpal", "wrist"}, 10.0), ({"ulnar"}, {"elbow", "cubital"}, 10.0))


@dataclass(frozen=True)
class SvgPanel:
    """One rendered panel: kind is 'symptoms', 'csa', 'function' or 'pgic'."""

    kind: str
    region_code: str
    title: str
    summary: str
    svg: str


def render_panels_svg(data: TrajectoryData, **options) -> str:
    """Return every panel's SVG, concatenated in page order (see render_panels)."""
    return "".join(panel.svg for panel in render_panels(data, **options))


def render_panels(
    data: TrajectoryData, *, timepoints: Sequence[tuple[str, float]] | None = None,
    csa_cutoffs: Mapping[str, float | None] | None = None,
    specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS,
) -> list[SvgPanel]:
    """Return the panels: per region symptoms then CSA, then function and PGIC."""
    axis = time_axis_for(data, timepoints)
    grouped = group_observations(data.observations)
    csa_frame = Frame(axis, 0.0, _csa_top(data.csa_points))
    panels = []
    for code, label in _regions(data).items():
        by_outcome = {o: grouped.get((o, code), []) for o in SYMPTOMS}
        if any(by_outcome.values()):
            panels.append(symptoms_panel(label, code, by_outcome, axis, data, specs))
        points = [p for p in data.csa_points if p.region_code == code]
        if points:
            cutoff = (csa_cutoffs or {}).get(code, csa_cutoff(code, label))
            panels.append(csa_panel(label, code, points, csa_frame, cutoff, data))
    for (outcome, code), observations in grouped.items():
        if outcome in OVERALL and outcome in specs:
            panels.append(overall_panel(outcome, code, observations, axis, data, specs[outcome]))
    return panels


def time_axis_for(data: TrajectoryData,
                  timepoints: Sequence[tuple[str, float]] | None = None) -> TimeAxis:
    """Return the one axis every panel of this patient shares."""
    days = ([o.day for o in data.observations] + [s.day for s in data.sessions]
            + [p.day for p in data.csa_points])
    named = default_timepoints(data) if timepoints is None else timepoints
    return build_time_axis([s.day for s in data.sessions], max(days, default=0.0),
                           first_day=min(days, default=0.0), timepoints=named)


def group_observations(
    observations: Sequence[Observation],
) -> dict[tuple[str, str], list[Observation]]:
    """Return observations by (outcome, region code), each list in time order."""
    grouped: dict[tuple[str, str], list[Observation]] = {}
    for obs in observations:
        grouped.setdefault((obs.outcome, obs.region_code), []).append(obs)
    return {key: sorted(rows, key=lambda o: (o.day, o.when)) for key, rows in grouped.items()}


def csa_cutoff(region_code: str, region_label: str = "") -> float | None:
    """Return the reference CSA cut-off (mm²) of a region, or None where none is published."""
    words = set(re.split(r"[^a-z]+", f"{region_code} {region_label}".lower()))
    return next((mm2 for nerves, sites, mm2 in CSA_CUTOFFS
                 if words & nerves and words & sites), None)


def symptoms_panel(label: str, code: str, by_outcome: Mapping[str, Sequence[Observation]],
                   axis: TimeAxis, data: TrajectoryData,
                   specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS) -> SvgPanel:
    """Return a region's pain and paresthesia panel with only the sessions that treated it."""
    frame = Frame(axis, *specs["pain"].range)
    sessions = sessions_treating(data.sessions, label)
    missed = [o for rows in by_outcome.values() for o in rows if o.value is None]
    summary = symptoms_summary(by_outcome, specs, len(sessions), missed)
    parts = [open_svg(label, summary, "nt-panel nt-symptoms"),
             header(label, list(SYMPTOMS.values()), data.synthetic), x_axis(frame),
             y_grid(frame, (0, 5, 10))]
    for outcome, rows in by_outcome.items():
        parts.append(_baseline(frame, rows, specs[outcome], SYMPTOMS[outcome].colour))
    parts.append(session_marks(frame, sessions, lambda s: clinician_session_text(s, label)))
    parts.extend(series(frame, [(o.day, o.value) for o in rows], SYMPTOMS[outcome],
                        f"nt-{outcome}") for outcome, rows in by_outcome.items())
    parts.append(missed_marks(frame, [(o.day, missed_text(o)) for o in missed]))
    parts.append("</svg>")
    return SvgPanel("symptoms", code, label, summary, "".join(parts))


def csa_panel(label: str, code: str, points: Sequence[CsaPoint], frame: Frame,
              cutoff: float | None, data: TrajectoryData) -> SvgPanel:
    """Return a region's CSA-over-time panel with its reference cut-off line, if any."""
    title = f"{label} · CSA (mm²)"
    summary = csa_summary(points, cutoff)
    legend = [CSA_STYLE]
    if cutoff is not None:
        legend.append(SeriesStyle(f"{cutoff:g} mm² cut-off", CUTOFF_COLOUR, "4 3", ""))
    parts = [open_svg(title, summary, "nt-panel nt-csa"), header(title, legend, data.synthetic),
             x_axis(frame), y_grid(frame, (frame.lo, (frame.lo + frame.hi) / 2, frame.hi))]
    if cutoff is not None:
        parts.append(f'<path class="nt-cutoff" d="M{LEFT} {num(frame.py(cutoff))}H{RIGHT}" '
                     f'stroke="{CUTOFF_COLOUR}" stroke-dasharray="4 3"/>')
    parts.append(session_marks(frame, sessions_treating(data.sessions, label),
                               lambda s: clinician_session_text(s, label)))
    parts.append(series(frame, [(p.day, p.csa_mm2) for p in points], CSA_STYLE, "nt-csa"))
    parts.append("</svg>")
    return SvgPanel("csa", code, title, summary, "".join(parts))


def overall_panel(outcome: str, code: str, observations: Sequence[Observation],
                  axis: TimeAxis, data: TrajectoryData, spec: OutcomeSpec) -> SvgPanel:
    """Return the function (PSFS) or PGIC panel, with every session."""
    style = OVERALL[outcome]
    frame = Frame(axis, *spec.range)
    label = observations[0].region_label
    title = spec.label if not code else f"{spec.label} · {label}"
    missed = [o for o in observations if o.value is None]
    summary = value_summary(style.label, observations, spec, len(data.sessions), missed)
    low, high = spec.range
    parts = [open_svg(title, summary, f"nt-panel nt-{outcome}"),
             header(title, [style], data.synthetic), x_axis(frame),
             y_grid(frame, (low, (low + high) / 2, high))]
    if spec.responder_max is not None:
        top = frame.py(spec.responder_max)
        parts.append(f'<rect class="nt-responder" x="{LEFT}" y="{num(top)}" '
                     f'width="{RIGHT - LEFT}" height="{num(BOTTOM - top)}" '
                     f'fill="{style.colour}" fill-opacity="0.1"/>')
    parts.append(_baseline(frame, observations, spec, style.colour))
    parts.append(session_marks(frame, data.sessions, clinician_session_text))
    parts.append(series(frame, [(o.day, o.value) for o in observations], style, f"nt-{outcome}"))
    parts.append(missed_marks(frame, [(o.day, missed_text(o)) for o in missed]))
    parts.append("</svg>")
    return SvgPanel(outcome, code, title, summary, "".join(parts))


def _baseline(frame: Frame, rows: Sequence[Observation], spec: OutcomeSpec,
              colour: str) -> str:
    if spec.responder_max is not None:  # PGIC is already a change rating: no baseline
        return ""
    baseline = baseline_of(rows)
    return "" if baseline is None else band_and_baseline(frame, baseline, spec.mcid_points,
                                                         colour)


def _regions(data: TrajectoryData) -> dict[str, str]:
    regions = {o.region_code: o.region_label for o in data.observations
               if o.outcome in SYMPTOMS and o.region_code}
    for point in data.csa_points:
        regions.setdefault(point.region_code, point.region_label)
    return regions


def _csa_top(points: Sequence[CsaPoint]) -> float:
    # One scale for every CSA panel, in steps of 5 mm2, never below 15 (cut-offs sit at 10).
    return max(15.0, math.ceil(max((p.csa_mm2 for p in points), default=0.0) / 5) * 5)
