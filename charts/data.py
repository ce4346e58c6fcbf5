"""Plain inputs for the chart builders; the web layer fills them from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

Direction = Literal["higher_worse", "higher_better"]
SessionStatus = Literal["performed", "scheduled"]


class Observation(NamedTuple):
    """One patient-reported value (or a missed timepoint) for one outcome and nerve region.

    A NamedTuple rather than a frozen dataclass: a 2-year weekly patient has thousands, and a
    tuple is built in a quarter of the time.
    """

    region_code: str
    region_label: str
    outcome: str
    day: float
    when: datetime
    value: float | None
    timepoint: str
    missed: bool = False


@dataclass(frozen=True)
class TreatedRegion:
    """One nerve region treated in a session, with what was injected."""

    region_label: str
    injectate: str
    concentration: str | None
    volume_ml: float | None


@dataclass(frozen=True)
class SessionMarker:
    """A hydrodissection session on the timeline.

    `status` and `note` default to a performed session without a note, so callers written
    before they existed keep working; the SVG panels draw scheduled sessions hollow.
    """

    day: float
    when: datetime
    number: int
    regions: list[TreatedRegion] = field(default_factory=list)
    status: SessionStatus = "performed"
    note: str | None = None


@dataclass(frozen=True)
class CsaPoint:
    """A nerve cross-sectional area measurement paired with the pain reported nearest to it."""

    region_code: str
    region_label: str
    day: float
    csa_mm2: float
    pain: float | None


@dataclass(frozen=True)
class OutcomeSpec:
    """How one outcome is labelled, scaled and judged.

    `responder_max` marks outcomes that are already a change rating (PGIC): a value at or
    below it is a responder and no baseline is drawn.
    """

    outcome: str
    label: str
    direction: Direction
    mcid_points: float | None
    range: tuple[float, float]
    responder_max: float | None = None


@dataclass(frozen=True)
class TrajectoryData:
    """Everything one patient's trajectory page needs."""

    title: str
    observations: list[Observation]
    sessions: list[SessionMarker]
    csa_points: list[CsaPoint] = field(default_factory=list)
    synthetic: bool = False


DEFAULT_SPECS: dict[str, OutcomeSpec] = {
    "pain": OutcomeSpec("pain", "Pain (NRS 0-10)", "higher_worse", 2.0, (0.0, 10.0)),
    "pain_worst": OutcomeSpec(
        "pain_worst", "Worst pain (NRS 0-10)", "higher_worse", 2.0, (0.0, 10.0)
    ),
    "paresthesia": OutcomeSpec(
        "paresthesia", "Paresthesia (NRS 0-10)", "higher_worse", 2.0, (0.0, 10.0)
    ),
    "function": OutcomeSpec(
        "function", "Function (PSFS 0-10)", "higher_better", 2.0, (0.0, 10.0)
    ),
    "pgic": OutcomeSpec(
        "pgic", "Global change (PGIC, 1 = very much improved)", "higher_worse", None,
        (1.0, 7.0), responder_max=2.0,
    ),
}
