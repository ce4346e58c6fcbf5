"""Frozen dataclasses of a follow-up protocol, and the HH:MM helpers they use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from scheduler.calendar_offsets import Offset

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ProtocolError(ValueError):
    """A protocol definition that cannot be used; ``messages`` lists every problem.

    ``timepoint_messages`` maps a timepoint's position in the list to its own problems, worded
    without the "Timepoint '...':" prefix, so a form can show each one on its row.
    """

    def __init__(self, messages: list[str],
                 timepoint_messages: dict[int, list[str]] | None = None):
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.timepoint_messages = dict(timepoint_messages or {})


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, t: time) -> bool:
        """Tell whether a local wall-clock time falls in the quiet period (start inclusive)."""
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True)
class Window:
    opens_days: int
    closes_days: int


@dataclass(frozen=True)
class ReminderStep:
    when: str  # "open" (days after opening) or "close" (days relative to the closing day, <= 0)
    days: int
    time: time | None = None

    @property
    def label(self) -> str:
        """Stable short name of the step, e.g. ``open+2`` or ``close-1``."""
        return f"{self.when}{self.days:+d}"


@dataclass(frozen=True)
class SkipNear:
    """Drop an occurrence when an earlier timepoint already has one due within ``days`` days."""

    timepoint: str
    days: int


@dataclass(frozen=True)
class Timepoint:
    key: str
    label: str
    anchor: str
    offset: Offset
    window: Window
    instruments: tuple[str, ...]
    reminders: tuple[ReminderStep, ...]
    repeat_every_days: int | None = None
    repeat_until: str | None = None
    skip_near: SkipNear | None = None

    @property
    def offset_days(self) -> int | None:
        """Offset in days for a day or week offset; None for calendar months (no fixed length)."""
        return self.offset.days


@dataclass(frozen=True)
class Protocol:
    name: str
    timepoints: tuple[Timepoint, ...]
    quiet_hours: QuietHours | None
    channels: tuple[str, ...]
    reminder_time: time


def parse_hhmm(value: object) -> time | None:
    """Parse ``"HH:MM"`` (24 h) into a time, or return None when malformed."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    return time(int(match[1]), int(match[2])) if match else None


def format_hhmm(value: time) -> str:
    """Format a time as ``"HH:MM"``."""
    return f"{value.hour:02d}:{value.minute:02d}"
