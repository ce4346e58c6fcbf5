"""Words of the clinician SVG panels: text summaries, default named timepoints, hover text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from charts.data import CsaPoint, Observation, OutcomeSpec, TrajectoryData
from charts.response import change_from_baseline, find_baseline, format_change, responder_label

SYMPTOM_LABELS = {"pain": "Pain", "paresthesia": "Paresthesia"}
# More distinct follow-up names than this is a weekly diary, not a protocol's named visits:
# labelling each would bury the axis.
MAX_FOLLOW_UP_NAMES = 6


def default_timepoints(data: TrajectoryData) -> list[tuple[str, float]]:
    """Return baseline, the last performed session and the protocol's named follow-ups."""
    answered = [o.day for o in data.observations if o.value is not None]
    named = [("baseline", min((day for day in answered if day <= 0), default=0.0))]
    performed = [s for s in data.sessions if s.status == "performed"]
    if performed:
        named.append((f"session {performed[-1].number}", performed[-1].day))
    last_session = max((s.day for s in data.sessions), default=0.0)
    follow_ups: dict[str, float] = {}
    for obs in data.observations:
        if obs.day > last_session and obs.timepoint:
            name = short_timepoint(obs.timepoint)
            follow_ups[name] = min(obs.day, follow_ups.get(name, obs.day))
    if len(follow_ups) <= MAX_FOLLOW_UP_NAMES:
        named.extend(follow_ups.items())
    return named


def short_timepoint(name: str) -> str:
    """Return '12 months' for '12 months after last session' (the axis has little room)."""
    return name.split(" after ")[0]


def baseline_of(rows: Sequence[Observation]) -> float | None:
    """Return the baseline of a series: its first answer at or before day 0, else its first."""
    return find_baseline((o.day, o.value) for o in rows)


def outcome_phrase(label: str, rows: Sequence[Observation], spec: OutcomeSpec) -> str:
    """Return 'Pain 8 at baseline, 1 latest (−7 (−88%), substantial)' for one series."""
    answered = [o.value for o in rows if o.value is not None]
    if not answered:
        return f"{label}: no answers"
    latest = answered[-1]
    if spec.responder_max is not None:
        verdict = "responder" if latest <= spec.responder_max else "not a responder"
        return f"{label} latest {latest:g} ({verdict})"
    baseline = baseline_of(rows)
    if len(answered) == 1 or baseline is None:
        return f"{label} {latest:g} at baseline"
    change = format_change(*change_from_baseline(baseline, latest, spec.direction))
    verdict = responder_label(baseline, latest, spec.direction, spec.mcid_points)
    return f"{label} {baseline:g} at baseline, {latest:g} latest ({change}, {verdict})"


def symptoms_summary(by_outcome: Mapping[str, Sequence[Observation]],
                     specs: Mapping[str, OutcomeSpec], sessions: int,
                     missed: Sequence[Observation]) -> str:
    """Return the spoken summary of a region's pain and paresthesia panel."""
    phrases = [outcome_phrase(SYMPTOM_LABELS.get(outcome, outcome), rows, specs[outcome])
               for outcome, rows in by_outcome.items() if rows]
    return _joined(phrases, f"{_count(sessions, 'session')} treated this region", missed)


def value_summary(label: str, rows: Sequence[Observation], spec: OutcomeSpec, sessions: int,
                  missed: Sequence[Observation]) -> str:
    """Return the spoken summary of the function or PGIC panel."""
    return _joined([outcome_phrase(label, rows, spec)], _count(sessions, "session"), missed)


def csa_summary(points: Sequence[CsaPoint], cutoff: float | None) -> str:
    """Return 'CSA 12.5 mm² on day 0, 10.1 mm² on day 42; reference cut-off 10 mm².'"""
    ordered = sorted(points, key=lambda p: p.day)
    text = f"CSA {ordered[0].csa_mm2:g} mm² on day {ordered[0].day:g}"
    if len(ordered) > 1:
        text += f", {ordered[-1].csa_mm2:g} mm² on day {ordered[-1].day:g}"
    if cutoff is None:
        return text + "; no single reference cut-off for this nerve (compare sides)."
    return text + f"; reference cut-off {cutoff:g} mm²."


def missed_text(obs: Observation) -> str:
    """Return the hover text of a missed timepoint."""
    return f"Missed: {obs.timepoint} ({obs.when:%d %b %Y})"


def _joined(phrases: list[str], sessions: str, missed: Sequence[Observation]) -> str:
    days = {o.day for o in missed}
    tail = [sessions] + ([f"{_count(len(days), 'missed timepoint')}"] if days else [])
    return "; ".join(phrases + tail) + "."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
