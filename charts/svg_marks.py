"""Session and missed-timepoint marks of the SVG panels; hover text lives in SVG <title>."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from charts.data import SessionMarker
from charts.style import SESSION_COLOUR
from charts.svg_parts import BOTTOM, MUTED, TOP, Frame, num
from charts.trajectory_parts import treated_region_text


def session_marks(frame: Frame, sessions: Sequence[SessionMarker],
                  describe: Callable[[SessionMarker], str]) -> str:
    """Return a vertical mark per session: performed solid and filled, scheduled dashed, hollow.

    Lines and heads are one path per status; each session's hover text hangs on an invisible
    wide stroke of its own, because a 1-unit line is too thin to find with a pointer.
    """
    if not sessions:
        return ""
    xs = [num(frame.px(session.day)) for session in sessions]
    parts = [f'<g class="nt-sessions" stroke="{SESSION_COLOUR}" fill="{SESSION_COLOUR}">']
    for status, extra in (("performed", ""), ("scheduled", ' stroke-dasharray="3 3"')):
        chosen = [x for x, s in zip(xs, sessions, strict=True) if _status(s) == status]
        if chosen:
            fill = ' fill="#fff"' if status == "scheduled" else ""
            parts.append(f'<path d="{"".join(f"M{x} {TOP}V{BOTTOM}" for x in chosen)}"{extra}/>'
                         f'<path d="{"".join(f"M{x} {TOP - 1}l-4-7h8z" for x in chosen)}"{fill}/>')
    parts.append('<g stroke-width="9" stroke-opacity="0">')
    parts.extend(f'<path class="nt-session nt-{_status(s)}" d="M{x} {TOP - 8}V{BOTTOM}">'
                 f"<title>{escape(describe(s))}</title></path>"
                 for x, s in zip(xs, sessions, strict=True))
    parts.append("</g></g>")
    return "".join(parts)


def _status(session: SessionMarker) -> str:
    return "scheduled" if session.status == "scheduled" else "performed"


def clinician_session_text(session: SessionMarker, region_label: str | None = None) -> str:
    """Return 'Session 3 · 18 Mar 2024 · performed', the injectates (of one region) and note."""
    lines = [f"Session {session.number} · {session.when:%d %b %Y} · {session.status}"]
    lines.extend(treated_region_text(region) for region in session.regions
                 if region_label is None or region.region_label == region_label)
    if session.note:
        lines.append(f"Note: {session.note}")
    return "\n".join(lines)


def sessions_treating(sessions: Sequence[SessionMarker],
                      region_label: str) -> list[SessionMarker]:
    """Return the sessions that treated the region with this label."""
    return [s for s in sessions if any(r.region_label == region_label for r in s.regions)]


def missed_marks(frame: Frame, missed: Sequence[tuple[float, str]]) -> str:
    """Return a hollow circle on the axis per missed timepoint (day, hover text), deduplicated."""
    unique = sorted(set(missed))
    if not unique:
        return ""
    marks = "".join(f'<g><title>{escape(text)}</title><circle cx="{num(frame.px(day))}" '
                    f'cy="{BOTTOM}" r="3.5"/></g>' for day, text in unique)
    return f'<g class="nt-missed" fill="#fff" stroke="{MUTED}" stroke-width="1.5">{marks}</g>'
