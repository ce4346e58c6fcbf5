"""Drawing pieces shared by the server-drawn SVG panels: frame, axes, legend, series.

Everything is presentation attributes: the pages' Content-Security-Policy (style-src 'self')
would block inline style attributes and <style> elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from charts.style import PALETTE
from charts.timeaxis import TimeAxis

WIDTH, HEIGHT = 400, 160
LEFT, RIGHT, TOP, BOTTOM = 30, 392, 42, 126
INK, MUTED, GRID = "#333", "#555", "#e4e4e4"
TREATMENT_FILL = "#f2f6fa"
CHAR_WIDTH = 0.62  # of the font size: a generous average (serif fallbacks run wide)
MARKER_LIMIT = 40  # past this many points a series' markers merge into a smear: line only
TITLE_CHARS = 48  # 13-unit bold text: longer titles would run past the 400-unit viewBox


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is drawn: colour plus a dash and a marker, so colour is not the only cue."""

    label: str
    colour: str
    dash: str
    marker: str  # "circle" | "square" | "" (none)


PAIN = SeriesStyle("Pain", PALETTE[0], "", "circle")
PARESTHESIA = SeriesStyle("Paresthesia", PALETTE[1], "6 3", "square")


@dataclass(frozen=True)
class Frame:
    """Maps (day, value) onto the panel's plot box for a shared axis and y range."""

    axis: TimeAxis
    lo: float
    hi: float

    def px(self, day: float) -> float:
        """Return the x coordinate of a day."""
        return LEFT + self.axis.x(day) * (RIGHT - LEFT)

    def py(self, value: float) -> float:
        """Return the y coordinate of a value (clamped to the range)."""
        clamped = min(max(value, self.lo), self.hi)
        return BOTTOM - (clamped - self.lo) / ((self.hi - self.lo) or 1.0) * (BOTTOM - TOP)


def num(value: float) -> str:
    """Return a coordinate with one decimal at most (keeps the SVG small)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def open_svg(title: str, summary: str, css_class: str, height: int = HEIGHT) -> str:
    """Return the opening <svg> with role, <title> and <desc>; it scales to its container.

    role="img" with a <title> child gives the accessible name and <desc> the description
    (SVG-AAM), as the sparkline does; an aria-label would only repeat them.
    """
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" role="img" class="{css_class}">'
            f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>")


def header(title: str, legend: Sequence[SeriesStyle], synthetic: bool = False) -> str:
    """Return the visible title and a one-row legend (line sample, marker, label)."""
    shown = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "\u2026"
    parts = [f'<text x="4" y="15" font-size="13" font-weight="bold" fill="{INK}">'
             f"{escape(shown)}</text>", f'<g font-size="10" fill="{INK}">']
    x = 4.0
    for style in legend:
        parts.append(_line(x, 30.0, x + 16, 30.0, style) + marker_path([(x + 8, 30.0)], style)
                     if style.marker else _line(x, 30.0, x + 16, 30.0, style))
        parts.append(f'<text x="{num(x + 20)}" y="33">{escape(style.label)}</text>')
        x += 28 + len(style.label) * 10 * CHAR_WIDTH
    if synthetic:
        parts.append(f'<text x="{RIGHT}" y="33" text-anchor="end" fill="#b00020">'
                     "Synthetic data</text>")
    parts.append("</g>")
    return "".join(parts)


def _line(x1: float, y1: float, x2: float, y2: float, style: SeriesStyle) -> str:
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    return (f'<path d="M{num(x1)} {num(y1)}L{num(x2)} {num(y2)}" stroke="{style.colour}" '
            f'stroke-width="2"{dash}/>')


def y_grid(frame: Frame, ticks: Sequence[float]) -> str:
    """Return light horizontal gridlines with their value labels on the left."""
    lines = "".join(f"M{LEFT} {num(frame.py(t))}H{RIGHT}" for t in ticks)
    labels = "".join(f'<text x="{LEFT - 4}" y="{num(frame.py(t) + 3.5)}">{t:g}</text>'
                     for t in ticks)
    return (f'<path d="{lines}" stroke="{GRID}"/>'
            f'<g font-size="10" fill="{MUTED}" text-anchor="end">{labels}</g>')


def x_axis(frame: Frame, tick_labels: Sequence[str] | None = None, named: bool = True) -> str:
    """Return the treatment-phase shading, the axis line, tick labels and named timepoints."""
    axis = frame.axis
    left, right = frame.px(axis.start), frame.px(axis.treatment_end)
    parts = [f'<rect class="nt-treatment" x="{num(left)}" y="{TOP}" '
             f'width="{num(right - left)}" height="{BOTTOM - TOP}" fill="{TREATMENT_FILL}"/>',
             f'<path d="M{LEFT} {BOTTOM}H{RIGHT}" stroke="{MUTED}"/>']
    labels = tick_labels or [tick.label for tick in axis.ticks]
    marks = "".join(f"M{num(frame.px(t.day))} {BOTTOM}v3" for t in axis.ticks)
    parts.append(f'<path d="{marks}" stroke="{MUTED}"/>' if marks else "")
    texts = _spread([(frame.px(t.day), label) for t, label in zip(axis.ticks, labels,
                                                                   strict=True)], 10)
    parts.append(_text_row(texts, BOTTOM + 13, 10, INK, "nt-ticks"))
    if named and axis.named:
        parts.append(named_row(frame))
    return "".join(parts)


def named_row(frame: Frame) -> str:
    """Return a mark per named timepoint and the labels that fit; the others show on hover."""
    ticks = frame.axis.named
    texts = _spread([(frame.px(t.day), t.label) for t in ticks], 9)
    shown = {text for _, text in texts}
    marks = "".join(f"M{num(frame.px(t.day))} {BOTTOM + 15}v5" for t in ticks)
    hidden = "".join(f'<g><title>{escape(t.label)} (day {t.day:g})</title>'
                     f'<path d="M{num(frame.px(t.day))} {BOTTOM + 15}v5"/></g>'
                     for t in ticks if t.label not in shown)
    return (f'<g class="nt-named" stroke="{MUTED}" stroke-width="2"><path d="{marks}"/>'
            f"{hidden}</g>" + _text_row(texts, BOTTOM + 30, 9, MUTED, "nt-named-labels"))


def _text_row(items: Sequence[tuple[float, str]], y: float, size: float, fill: str,
              css_class: str) -> str:
    body = "".join(f'<text x="{num(x)}" y="{num(y)}">{escape(text)}</text>' for x, text in items)
    return (f'<g class="{css_class}" font-size="{size:g}" fill="{fill}" '
            f'text-anchor="middle">{body}</g>')


def _spread(items: Sequence[tuple[float, str]], size: float) -> list[tuple[float, str]]:
    """Keep the labels that do not overlap, left to right, each kept inside the viewBox."""
    kept: list[tuple[float, str]] = []
    right_edge = -1e9
    for x, text in sorted(items, key=lambda item: item[0]):
        half = len(text) * size * CHAR_WIDTH / 2
        centre = min(max(x, half + 1), WIDTH - half - 1)
        if centre - half >= right_edge + 3:
            kept.append((centre, text))
            right_edge = centre + half
    return kept


def band_and_baseline(frame: Frame, baseline: float, mcid: float | None, colour: str) -> str:
    """Return the shaded baseline ± MCID band and the dashed baseline across the whole axis."""
    parts = []
    if mcid:
        top, bottom = frame.py(baseline + mcid), frame.py(baseline - mcid)
        parts.append(f'<rect class="nt-mcid" x="{LEFT}" y="{num(top)}" width="{RIGHT - LEFT}" '
                     f'height="{num(bottom - top)}" fill="{colour}" fill-opacity="0.1"/>')
    y = num(frame.py(baseline))
    parts.append(f'<path class="nt-baseline" d="M{LEFT} {y}H{RIGHT}" stroke="{colour}" '
                 'stroke-dasharray="2 3"/>')
    return "".join(parts)


def marker_path(points: Sequence[tuple[float, float]], style: SeriesStyle) -> str:
    """Return one <path> holding a circle or square marker at each point."""
    # Zero-length subpaths are drawn as their line cap (SVG 1.1, 11.4): a round cap is a
    # dot, a square cap a square, at a fifth of the bytes of arcs or closed squares.
    cap, size = ("square", 5) if style.marker == "square" else ("round", 6)
    dots = "".join(f"M{num(x)} {num(y)}h0" for x, y in points)
    return (f'<path d="{dots}" stroke="{style.colour}" stroke-width="{size}" '
            f'stroke-linecap="{cap}"/>')


def series(frame: Frame, points: Sequence[tuple[float, float | None]],
           style: SeriesStyle, css_class: str) -> str:
    """Return a series as polylines broken at each None (a missed timepoint), plus markers."""
    runs: list[list[tuple[float, float]]] = [[]]
    for day, value in sorted(points, key=lambda point: point[0]):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((frame.px(day), frame.py(value)))
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    parts = [f'<g class="nt-series {css_class}">']
    parts.extend(f'<polyline points="{" ".join(f"{num(x)},{num(y)}" for x, y in run)}" '
                 f'fill="none" stroke="{style.colour}" stroke-width="2"{dash}/>'
                 for run in runs if len(run) > 1)
    drawn = [point for run in runs for point in run]
    if 0 < len(drawn) <= MARKER_LIMIT or any(len(run) == 1 for run in runs):
        # A lone answer between two gaps has no line: its marker is all there is to see.
        parts.append(marker_path(drawn if len(drawn) <= MARKER_LIMIT else
                                 [run[0] for run in runs if len(run) == 1], style))
    parts.append("</g>")
    return "".join(parts)
