"""A protocol in plain words for the version page: offsets, windows and reminder steps."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.protocol import ReminderStep, Timepoint
from webapp.protocols.builder_forms import ANCHOR_WORDS


def _days(n: int) -> str:
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def describe_step(step: ReminderStep) -> str:
    """ "on opening", "2 days after opening", "1 day before closing" (and its own time)."""
    if step.when == "open":
        words = "on opening" if step.days == 0 else f"{_days(step.days)} after opening"
    else:
        words = "on the closing day" if step.days == 0 else f"{_days(-step.days)} before closing"
    return words + (f" at {step.time:%H:%M}" if step.time else "")


@dataclass(frozen=True)
class TimepointWords:
    label: str
    due: str
    window: str
    questionnaires: tuple[str, ...]
    reminders: tuple[str, ...]
    repeats: str
    skip: str


def describe_timepoint(tp: Timepoint, titles: dict[str, str],
                       labels: dict[str, str] | None = None) -> TimepointWords:
    """One timepoint of a version in a coordinator's words, questionnaires by name."""
    amount = tp.offset.amount
    direction = "after" if amount >= 0 else "before"
    offset = tp.offset.label.removeprefix("-")
    due = (f"on {ANCHOR_WORDS[tp.anchor]}" if amount == 0
           else f"{offset} {direction} {ANCHOR_WORDS[tp.anchor]}")
    window = (f"opens {_days(-tp.window.opens_days)} before, "
              f"closes {_days(tp.window.closes_days)} after")
    repeats = (f"every {_days(tp.repeat_every_days)} until the last session"
               if tp.repeat_every_days else "")
    skip = ""
    if tp.skip_near:
        near = (labels or {}).get(tp.skip_near.timepoint, tp.skip_near.timepoint)
        skip = f"skipped within {_days(tp.skip_near.days)} of “{near}”"
    return TimepointWords(tp.label, due, window, tuple(titles.get(i, i) for i in tp.instruments),
                          tuple(describe_step(s) for s in tp.reminders), repeats, skip)
