"""One patient's page as plain parts: the server-drawn panels (with, on the page, each one's
interactive figure), the outcome summary and a dated timeline of named timepoints and sessions.

The panels are SVG drawn here, so the page reads before any script runs; plotly.js draws a
panel's figure only when the clinician opens its interactive view (webapp/static/panels.js).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from charts.assets import figure_payload
from charts.data import DEFAULT_SPECS, OutcomeSpec, TrajectoryData
from charts.panels_svg import csa_cutoff, group_observations, render_panels, time_axis_for
from charts.panels_text import default_timepoints, short_timepoint
from charts.timeaxis import TimeAxis
from webapp.care.panel_figures import panel_figure
from webapp.care.trajectory import outcome_summary, region_label, trajectory_data
from webapp.gc_pause import paused_gc

# No mode bar: its buttons inside the chart are interactive elements nested in interactive
# content (axe: nested-interactive), and drag-to-zoom plus double-click-to-reset remain.
FIGURE_CONFIG = {"displayModeBar": False}
OVERALL_KINDS = ("function", "pgic")


@dataclass(frozen=True)
class PanelView:
    """One panel: its SVG for the first paint and, on the patient page, its figure's JSON."""

    name: str
    kind: str
    region_code: str
    title: str
    summary: str
    svg: str
    payload: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """A dated point of the timeline: the baseline, a session (with its note) or a follow-up.

    `status` is a session's ("performed", "scheduled") or "missed" for a missed follow-up.
    """

    day: float
    on: date
    name: str
    kind: str
    status: str = ""
    note: str | None = None


@dataclass(frozen=True)
class PatientView:
    """Everything the patient page and the printable report draw."""

    data: TrajectoryData
    axis: TimeAxis
    panels: list[PanelView]
    summary: list[dict]
    timeline: list[TimelineEntry]

    def rows(self) -> list[list[PanelView]]:
        """Return the panels in rows: each region's symptoms beside its CSA, then the rest."""
        rows: list[list[PanelView]] = []
        for panel in self.panels:
            same_region = (rows and panel.kind == "csa"
                           and rows[-1][-1].region_code == panel.region_code)
            if same_region or (rows and panel.kind in OVERALL_KINDS
                               and rows[-1][-1].kind in OVERALL_KINDS):
                rows[-1].append(panel)
            else:
                rows.append([panel])
        return rows


def build_patient_view(db, patient_id: int, library=None, *, sessions=None, records=None,
                       interactive: bool = True) -> PatientView:
    """Read one patient's trajectory and return the page's parts (figures only if interactive).

    `sessions` and `records`, when the caller already read them, are not read again.
    """
    with paused_gc():  # 2 years of weekly answers is thousands of tuples: webapp/gc_pause.py
        data = trajectory_data(db, patient_id, library, sessions=sessions, records=records)
        return patient_view_of(data, interactive=interactive)


def patient_view_of(data: TrajectoryData, *, interactive: bool = True,
                    specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS) -> PatientView:
    """Return the page's parts from chart data (pure: no database)."""
    named = default_timepoints(data)
    axis = time_axis_for(data, named)
    grouped = group_observations(data.observations) if interactive else {}
    panels = []
    for panel in render_panels(data, timepoints=named, specs=specs):
        payload = None
        if interactive:
            cutoff = (csa_cutoff(panel.region_code, region_label(panel.region_code))
                      if panel.kind == "csa" else None)
            figure = panel_figure(panel, data, axis, grouped, specs, cutoff)
            payload = figure_payload(figure, FIGURE_CONFIG)
        panels.append(PanelView(panel_name(panel.kind, panel.region_code), panel.kind,
                                panel.region_code, panel.title, panel.summary, panel.svg,
                                payload))
    return PatientView(data, axis, panels, outcome_summary(data, specs),
                       timeline_of(data, named))


def panel_name(kind: str, region_code: str) -> str:
    """Return 'symptoms_median_forearm_left' (an id-safe name) for a panel."""
    return re.sub(r"[^a-z]+", "_", f"{kind} {region_code}".strip().lower())


def timeline_of(data: TrajectoryData,
                named: Sequence[tuple[str, float]] | None = None) -> list[TimelineEntry]:
    """Return the baseline, every session (status, note) and the named follow-ups, dated.

    `named` is default_timepoints(data) when the caller already has it.
    """
    named = default_timepoints(data) if named is None else named
    dated = _dater(data)
    entries = []
    baseline_day = named[0][1]
    if any(o.value is not None and o.day <= 0 for o in data.observations):
        entries.append(TimelineEntry(baseline_day, dated(baseline_day), "Baseline", "baseline"))
    entries.extend(TimelineEntry(s.day, s.when.date(), f"Session {s.number}", "session",
                                 s.status, s.note) for s in data.sessions)
    last_session = max((s.day for s in data.sessions), default=0.0)
    for name, day in named[1:]:
        if day <= last_session:  # the "session N" name: every session is listed already
            continue
        answered = any(o.value is not None and o.day > last_session
                       and short_timepoint(o.timepoint) == name for o in data.observations)
        entries.append(TimelineEntry(day, dated(day), name.capitalize(), "follow-up",
                                     "" if answered else "missed"))
    return sorted(entries, key=lambda e: (e.day, e.kind != "baseline"))


def _dater(data: TrajectoryData):
    """Return day -> calendar date: from day 0 (the first session) or the answers' own dates."""
    if data.sessions:
        first = data.sessions[0]
        anchor = first.when.date() - timedelta(days=first.day)
        return lambda day: anchor + timedelta(days=day)
    seen = {o.day: o.when.date() for o in data.observations}
    return lambda day: seen.get(day, date.min)
