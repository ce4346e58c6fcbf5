"""Tiny server-drawn SVG sparklines (no plotly, no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

LINE_COLOUR = "#0072B2"


def render_sparkline_svg(
    values: Sequence[float | None], *, width: int = 160, height: int = 40,
    lo: float = 0, hi: float = 10, label: str,
) -> str:
    """Return an accessible inline SVG polyline of `values`, broken at None, last point dotted."""
    points = _scaled(values, width, height, lo, hi)
    runs = _runs(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f"<title>{escape(_spoken(label, values))}</title>",
    ]
    parts.extend(
        f'<polyline points={quoteattr(" ".join(run))} fill="none" stroke="{LINE_COLOUR}" '
        'stroke-width="1.5"/>'
        for run in runs
    )
    last = next((p for p in reversed(points) if p is not None), None)
    if last is not None:
        parts.append(f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="{LINE_COLOUR}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _spoken(label: str, values: Sequence[float | None]) -> str:
    numbers = ", ".join("missed" if v is None else f"{v:g}" for v in values)
    return f"{label}: {numbers}" if values else f"{label}: no data"


def _scaled(values, width, height, lo, hi) -> list[tuple[str, str] | None]:
    pad = 3
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    span = (hi - lo) or 1
    points: list[tuple[str, str] | None] = []
    for index, value in enumerate(values):
        if value is None:
            points.append(None)
            continue
        clamped = min(max(value, lo), hi)
        y = height - pad - (clamped - lo) / span * (height - 2 * pad)
        points.append((f"{pad + index * step:.1f}", f"{y:.1f}"))
    return points


def _runs(points: Sequence[tuple[str, str] | None]) -> list[list[str]]:
    runs: list[list[str]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(f"{point[0]},{point[1]}")
    return [run for run in runs if len(run) > 1]
