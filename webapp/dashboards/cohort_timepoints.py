"""The named timepoints a cohort is analysed at, read from the stored protocol versions.

Analysed: every timepoint that happens once (baseline, 1, 3, 6 and 12 months after the last
session) and every per-session one ("Before session 3"), as the trials report them. Repeated
checks between sessions ("Weekly check 2") are not analysis timepoints: their answers count for
how long a response lasts, not for the timepoint table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from sqlmodel import Session, select

from scheduler.protocol import Timepoint, parse_protocol
from webapp.care.timelines import REPEATED_NAMES
from webapp.models import ProtocolVersion

MONTH_DAYS = 30.44
# Sort phases: before treatment, during it (per session), after it.
PHASES = {"enrolment": 0, "first_session": 0, "every_session": 1, "last_session": 2}
SHORTENED = (" after the last session", " after last session")


@dataclass(frozen=True)
class NamedTimepoint:
    """One row of the analysis: its identity ("m3", "pre-session:2"), label and sort key."""

    name: str
    label: str
    order: tuple
    is_baseline: bool = False


@dataclass(frozen=True)
class _Kind:
    label: str
    anchor: str
    days: float
    per_session: bool


@dataclass
class TimepointPlan:
    """The analysed timepoint keys of every stored protocol, and how to name their rows."""

    kinds: dict[str, _Kind] = field(default_factory=dict)
    _names: dict[tuple[str, int], NamedTimepoint] = field(default_factory=dict)

    @property
    def per_session(self) -> frozenset[str]:
        """Keys anchored on every session (their slots carry a session id)."""
        return frozenset(key for key, kind in self.kinds.items() if kind.per_session)

    def named(self, key: str, number: int = 0) -> NamedTimepoint | None:
        """Return the named timepoint of a key (and session number), or None if not analysed."""
        cached = self._names.get((key, number))
        if cached is None and key in self.kinds:
            cached = self._names[(key, number)] = _name(key, number, self.kinds[key])
        return cached

    @property
    def baseline(self) -> str | None:
        """The name of the baseline timepoint (once, at or before day 0), if there is one."""
        named = [self.named(key) for key in self.kinds]
        firsts = sorted((n for n in named if n is not None and n.is_baseline),
                        key=lambda n: n.order)
        return firsts[0].name if firsts else None

    def by_name(self, names) -> list[NamedTimepoint]:
        """Return the named timepoints with these names, in analysis order."""
        known = {named.name: named for named in self._names.values()}
        return sorted((known[name] for name in set(names) if name in known),
                      key=lambda named: named.order)


def _name(key: str, number: int, kind: _Kind) -> NamedTimepoint:
    if kind.per_session:
        label = REPEATED_NAMES.get(key, kind.label + " ({n})").format(n=number)
        return NamedTimepoint(f"{key}:{number}", label, (1, 7 * (number - 1), key))
    phase = PHASES.get(kind.anchor, 1)
    baseline = phase == 0 and kind.days <= 0
    return NamedTimepoint(key, short_label(kind.label), (phase, kind.days, key), baseline)


def short_label(label: str) -> str:
    """'1 month after the last session' -> '1 month'; 'Baseline (before ...)' -> 'Baseline'."""
    short = label.split(" (", 1)[0]
    for suffix in SHORTENED:
        if short.endswith(suffix):
            short = short[: -len(suffix)]
    return short or label


def _days(tp: Timepoint) -> float:
    days = tp.offset.days
    return days if days is not None else tp.offset.amount * MONTH_DAYS


def load_timepoint_plan(db: Session) -> TimepointPlan:
    """Return the analysed timepoints of every stored protocol version (first label wins)."""
    definitions = db.exec(select(ProtocolVersion.definition)
                          .order_by(ProtocolVersion.id)).all()
    # Their canonical JSON text keys the parse cache: versions are never rewritten.
    return _plan(tuple(json.dumps(d, sort_keys=True) for d in definitions))


@lru_cache(maxsize=16)
def _plan(definitions: tuple[str, ...]) -> TimepointPlan:
    plan = TimepointPlan()
    for text in definitions:
        for tp in parse_protocol(json.loads(text)).timepoints:
            if tp.repeat_every_days is None and tp.key not in plan.kinds:
                plan.kinds[tp.key] = _Kind(tp.label, tp.anchor, _days(tp),
                                           tp.anchor == "every_session")
    return plan
