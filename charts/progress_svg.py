"""A patient's own "my progress" SVG: one region, pain and paresthesia, sessions marked.

Patients' pages carry no procedure names: nothing here reads a session's injectate,
concentration, volume or note. Every word comes from `words`, so the web layer can pass
its translation; the defaults are English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from charts.data import SessionMarker, TrajectoryData
from charts.panels_text import baseline_of
from charts.svg_marks import missed_marks, session_marks, sessions_treating
from charts.svg_parts import (
    BOTTOM,
    PAIN,
    PARESTHESIA,
    Frame,
    header,
    open_svg,
    series,
    x_axis,
    y_grid,
)
from charts.timeaxis import build_time_axis

PATIENT_WORDS: Mapping[str, str] = {
    "pain": "Pain",
    "paresthesia": "Tingling or numbness",
    "down": "{outcome} down from {start:g} to {latest:g} since your first treatment",
    "up": "{outcome} up from {start:g} to {latest:g} since your first treatment",
    "same": "{outcome} unchanged at {latest:g} since your first treatment",
    "first": "{outcome}: {latest:g} (your first answer)",
    "none": "{outcome}: no answers yet",
    "performed": "Treatment {number} ({date})",
    "scheduled": "Planned treatment {number} ({date})",
    "missed": "Missed ({date})",
    "week": "W{n}",
    "month": "M{n}",
}
STYLES = {"pain": PAIN, "paresthesia": PARESTHESIA}


@dataclass(frozen=True)
class ProgressChange:
    """How one symptom moved since the first treatment, as numbers for the caller's words.

    direction is 'down', 'up', 'same', 'first' (one answer) or 'none' (no answer).
    """

    outcome: str
    direction: str
    start: float | None
    latest: float | None
    answers: int


def progress_changes(data: TrajectoryData, region_code: str) -> list[ProgressChange]:
    """Return the pain and paresthesia change of one region since the first treatment."""
    changes = []
    for outcome in STYLES:
        rows = _rows(data, outcome, region_code)
        answered = [o.value for o in rows if o.value is not None]
        start, latest = baseline_of(rows), answered[-1] if answered else None
        if len(answered) < 2 or start is None or latest is None:
            direction = "first" if answered else "none"
        else:
            direction = "down" if latest < start else "up" if latest > start else "same"
        changes.append(ProgressChange(outcome, direction, start, latest, len(answered)))
    return changes


def progress_sentence(change: ProgressChange, words: Mapping[str, str] = PATIENT_WORDS) -> str:
    """Return e.g. 'Pain down from 8 to 2 since your first treatment' in the given words."""
    return words[change.direction].format(outcome=words[change.outcome], start=change.start,
                                          latest=change.latest)


def render_progress_svg(data: TrajectoryData, region_code: str, *, label: str | None = None,
                        words: Mapping[str, str] = PATIENT_WORDS) -> str:
    """Return the patient's one-region progress SVG (no procedure names, words from `words`)."""
    by_outcome = {outcome: _rows(data, outcome, region_code) for outcome in STYLES}
    rows = [o for outcome_rows in by_outcome.values() for o in outcome_rows]
    data_label = rows[0].region_label if rows else ""
    sessions = sessions_treating(data.sessions, data_label)
    days = [o.day for o in rows] + [s.day for s in sessions]
    axis = build_time_axis([s.day for s in sessions], max(days, default=0.0),
                           first_day=min(days, default=0.0))
    frame = Frame(axis, 0.0, 10.0)
    title = label or data_label
    summary = ". ".join(progress_sentence(c, words) for c in progress_changes(data, region_code))
    styles = {o: replace(style, label=words[o]) for o, style in STYLES.items()}
    ticks = [words[tick.unit].format(n=int(tick.value)) for tick in axis.ticks]
    # No named-timepoint row on the patient's chart: the viewBox stops under the tick labels.
    parts = [open_svg(title, summary + ".", "nt-progress", BOTTOM + 18),
             header(title, list(styles.values()), data.synthetic),
             x_axis(frame, ticks, named=False), y_grid(frame, (0, 5, 10)),
             session_marks(frame, sessions, lambda s: _session_words(s, words))]
    parts.extend(series(frame, [(o.day, o.value) for o in outcome_rows], styles[outcome],
                        f"nt-{outcome}") for outcome, outcome_rows in by_outcome.items())
    missed = [(o.day, words["missed"].format(date=f"{o.when:%Y-%m-%d}"))
              for o in rows if o.value is None]
    parts.extend([missed_marks(frame, missed), "</svg>"])
    return "".join(parts)


def _session_words(session: SessionMarker, words: Mapping[str, str]) -> str:
    # Number and date only: the injectate, dose and clinician's note stay off patient pages.
    status = "scheduled" if session.status == "scheduled" else "performed"
    return words[status].format(number=session.number, date=f"{session.when:%Y-%m-%d}")


def _rows(data: TrajectoryData, outcome: str, region_code: str):
    return sorted((o for o in data.observations
                   if o.outcome == outcome and o.region_code == region_code),
                  key=lambda o: (o.day, o.when))
