"""Helpers for trajectory.py: session hover text and CSA traces."""

from __future__ import annotations

from collections.abc import Sequence

from charts.data import CsaPoint, SessionMarker, TreatedRegion
from charts.style import colour


def session_hover(session: SessionMarker) -> str:
    """Return the hover text of a session: date, then one line per treated region."""
    lines = [f"<b>Session {session.number}</b> · {session.when:%d %b %Y}"]
    lines.extend(treated_region_text(region) for region in session.regions)
    return "<br>".join(lines)


def treated_region_text(region: TreatedRegion) -> str:
    """Return 'Right median (wrist): dextrose 5%, 4 mL'."""
    what = region.injectate
    if region.concentration:
        what += f" {region.concentration}"
    if region.volume_ml is not None:
        what += f", {region.volume_ml:g} mL"
    return f"{region.region_label}: {what}"


def csa_traces(points: Sequence[CsaPoint]) -> list[dict]:
    """Return one marker trace per region of CSA (x) against pain (y), skipping unpaired ones."""
    regions: dict[str, list[CsaPoint]] = {}
    for point in points:
        if point.pain is not None:
            regions.setdefault(point.region_code, []).append(point)
    traces = []
    for index, region_points in enumerate(regions.values()):
        ordered = sorted(region_points, key=lambda p: p.day)
        label = ordered[0].region_label
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": label,
            "x": [p.csa_mm2 for p in ordered], "y": [p.pain for p in ordered],
            "hovertext": [f"<b>{label}</b><br>day {p.day:g}<br>CSA {p.csa_mm2:g} mm²"
                          f"<br>pain {p.pain:g}" for p in ordered],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "line": {"color": colour(index), "width": 1}, "marker": {"size": 9},
        })
    return traces
