"""Plain data exchanged with the planner: treatment timeline in, planned assignments out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

COURSE_STATUSES = ("active", "paused", "withdrawn", "discharged", "ended")
SESSION_STATUSES = ("scheduled", "performed", "cancelled")


class PlanError(ValueError):
    """The planner cannot plan with these inputs (unknown time zone, naive datetimes...)."""


@dataclass(frozen=True)
class CourseInfo:
    course_id: object
    enrolled_on: date
    regions: tuple[str, ...] = ()
    status: str = "active"
    ended_on: date | None = None
    # The instant the course was enrolled (aware), when known: a window already open then gets
    # its first reminder at once rather than at the next step (see planner.catch_up_reminder).
    enrolled_at: datetime | None = None


@dataclass(frozen=True)
class SessionInfo:
    session_id: object
    at: datetime  # aware, UTC
    status: str = "scheduled"


@dataclass(frozen=True)
class PlannedReminder:
    key: str  # "<slot>/<step>/<channel>", e.g. "baseline/open+0/email"
    send_at: datetime  # UTC
    channel: str


@dataclass(frozen=True)
class PlannedAssignment:
    slot: str  # stable: "baseline", "pre-session:<session_id>", "weekly:3", "m1"
    timepoint_key: str
    label: str
    due_local: date
    opens_at: datetime  # UTC, 00:00 local on the opening day
    closes_at: datetime  # UTC, exclusive: 00:00 local on the day after the closing day
    instruments: tuple[str, ...]
    regions: tuple[str, ...]
    reminders: tuple[PlannedReminder, ...] = ()


@dataclass(frozen=True)
class Plan:
    assignments: list[PlannedAssignment] = field(default_factory=list)

    def by_slot(self) -> dict[str, PlannedAssignment]:
        """Index the planned assignments by slot."""
        return {a.slot: a for a in self.assignments}


@dataclass(frozen=True)
class ExistingAssignment:
    id: object
    slot: str
    status: str
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Reconciliation:
    create: list[PlannedAssignment] = field(default_factory=list)
    move: list[tuple[object, PlannedAssignment]] = field(default_factory=list)
    cancel: list[object] = field(default_factory=list)
    keep: list[object] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when nothing needs to be created, moved or cancelled."""
        return not (self.create or self.move or self.cancel)
