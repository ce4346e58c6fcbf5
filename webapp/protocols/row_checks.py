"""One row of the protocol builder, and the protocol's own settings, read back and checked.

Each function appends problems worded for a coordinator (the builder's own words, not the JSON
setting names) and returns its piece of the protocol definition, written in the same order and
with the same defaults as ``scheduler.protocol.protocol_to_dict``, so a round trip through the
form gives back the stored definition.
"""

from __future__ import annotations

import re
import unicodedata

from scheduler.protocol import ANCHORS, CHANNELS, OFFSET_UNITS
from webapp.protocols.builder import parse_numbers, reminder_steps

OFFSET_LIMITS = {"days": 36500, "weeks": 5200, "months": 1200}  # a century
WINDOW_LIMIT = 3650
REPEAT_LIMIT = 365
NAME_LIMIT = 120
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:00)?$")
_KEY = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def has_control_characters(text: str) -> bool:
    """Tell whether text holds control characters or lone surrogates (never in a name)."""
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def _hhmm(text: str | None) -> str | None:
    match = _HHMM.match(text or "")
    return f"{match[1]}:{match[2]}" if match else None


def _name_problem(name: str, what: str) -> str | None:
    if not name:
        return f"Give the {what} a name."
    if len(name) > NAME_LIMIT or has_control_characters(name):
        return f"The {what}'s name: at most {NAME_LIMIT} characters, no control characters."
    return None


def _quiet_hours(form, errors: dict[str, list[str]]) -> dict | None:
    start, end = form.quiet_start.data or "", form.quiet_end.data or ""
    if not start and not end:
        return None
    problem = None
    if not start or not end:
        problem = "Give both ends of the quiet hours, or neither (no quiet hours)."
    elif _hhmm(start) is None or _hhmm(end) is None:
        problem = "Write quiet hours as HH:MM, for example 21:00 and 08:00."
    elif _hhmm(start) == _hhmm(end):
        problem = "Quiet hours from and until the same time cover the whole day."
    if problem:
        errors.setdefault("quiet", []).append(problem)
        return None
    return {"start": _hhmm(start), "end": _hhmm(end)}


def protocol_settings(form, name: str, errors: dict[str, list[str]]) -> dict:
    """The protocol's name, channels, reminder time and quiet hours (problems by setting)."""
    problem = _name_problem(name, "protocol")
    if problem:
        errors.setdefault("name", []).append(problem)
    chosen = list(dict.fromkeys(form.channels.data or []))
    if not chosen or any(c not in CHANNELS for c in chosen):
        errors.setdefault("channels", []).append("Choose email, text message or both.")
    reminder_time = _hhmm(form.reminder_time.data)
    if reminder_time is None:
        errors.setdefault("reminder_time", []).append(
            "Write the reminder time as HH:MM, for example 09:00.")
    settings = {"name": name, "channels": chosen, "reminder_time": reminder_time}
    quiet = _quiet_hours(form, errors)
    if quiet is not None:
        settings["quiet_hours"] = quiet
    return settings


def _number(field, what: str, low: int, high: int, problems: list[str]) -> int | None:
    value = field.data
    if value is None or not low <= value <= high:
        problems.append(f"{what}: write a whole number from {low} to {high}.")
        return None
    return value


def _given(field) -> bool:
    return bool(field.raw_data and str(field.raw_data[0]).strip())


def _offset(row, problems: list[str]) -> dict | None:
    unit = row.unit.data
    if unit not in OFFSET_UNITS:
        problems.append("Choose days, weeks or months for when it is due.")
        return None
    limit = OFFSET_LIMITS[unit]
    amount = _number(row.amount, f"Due (in {unit})", -limit, limit, problems)
    return None if amount is None else {f"offset_{unit}": amount}


def _relative(days: int) -> str:
    if days == 0:
        return "on the due date"
    unit = "day" if abs(days) == 1 else "days"
    return f"{-days} {unit} before the due date" if days < 0 else f"{days} {unit} after it"


def _window(row, problems: list[str]) -> dict | None:
    opens = _number(row.opens, "Opens … days before", -WINDOW_LIMIT, WINDOW_LIMIT, problems)
    closes = _number(row.closes, "Closes … days after", -WINDOW_LIMIT, WINDOW_LIMIT, problems)
    if opens is None or closes is None:
        return None
    opens_days, closes_days = -opens, closes
    if opens_days > closes_days:
        problems.append(f"The window closes before it opens: it would open "
                        f"{_relative(opens_days)} and close {_relative(closes_days)}.")
    elif opens_days > 0:
        problems.append("The window must open on or before the due date: “opens … days "
                        "before” is 0 or more.")
    elif closes_days < 0:
        problems.append("The window must close on or after the due date: “closes … days "
                        "after” is 0 or more.")
    else:
        return {"opens_days": opens_days, "closes_days": closes_days}
    return None


def _steps(row, window: dict, problems: list[str]) -> list[dict]:
    length = window["closes_days"] - window["opens_days"]
    later = parse_numbers(row.later.data, 1, length)
    before = parse_numbers(row.close.data, 0, length)
    if later is None:
        problems.append(f"Reminders “days after opening”: whole numbers from 1 to {length}, "
                        "separated by commas (for example 2, 5)." if length else
                        "Reminders “days after opening”: the window lasts one day, leave it "
                        "empty.")
    if before is None:
        problems.append(f"Reminders “days before closing”: whole numbers from 0 (the closing "
                        f"day) to {length}, separated by commas.")
    return reminder_steps(bool(row.on_open.data), later or [], before or [])


def _questionnaires(row, instruments: dict[str, str], problems: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(row.q.data or []))
    if not chosen:
        problems.append("Choose at least one questionnaire.")
    unknown = [i for i in chosen if i not in instruments]
    if unknown:
        problems.append(f"Not in the clinic's questionnaire library: {', '.join(unknown)}.")
    return chosen


def _repeat(row, anchor: str, problems: list[str]) -> dict:
    if not _given(row.repeat):
        return {}
    every = _number(row.repeat, "Repeat every … days", 1, REPEAT_LIMIT, problems)
    if anchor not in ("enrolment", "first_session"):
        problems.append("Only a timepoint counted from enrolment or the first session can "
                        "repeat until the last session.")
        return {}
    return {"repeat_every_days": every, "repeat_until": "last_session"} if every else {}


def _skip(row, above: dict[str, str], problems: list[str]) -> dict:
    target = row.skip.data or ""
    if not target:
        return {}
    if target not in above:
        problems.append("“Skip when … is due nearby” must name a timepoint above this one: "
                        "move this row down, or choose another.")
        return {}
    days = _number(row.skip_days, "Skip … within days", 0, REPEAT_LIMIT, problems)
    return {} if days is None else {"skip_near": {"timepoint": target, "days": days}}


def _identity(row, problems: list[str]) -> tuple[str, str]:
    label, key = row.label.data or "", row.key.data or ""
    problem = _name_problem(label, "timepoint")
    if problem:
        problems.append(problem)
    elif not _KEY.match(key) or len(key) > 40:
        problems.append("This row's hidden key is damaged: remove the row and add it again.")
    if row.anchor.data not in ANCHORS:
        problems.append("Choose what the timepoint is counted from.")
    return key, label


def timepoint_of(row, above: dict[str, str], instruments: dict[str, str],
                 problems: list[str]) -> dict | None:
    """One row as a timepoint definition, or None with its problems."""
    key, label = _identity(row, problems)
    offset = _offset(row, problems)
    window = _window(row, problems)
    steps = _steps(row, window, problems) if window else []
    chosen = _questionnaires(row, instruments, problems)
    repeat = _repeat(row, row.anchor.data, problems)
    skip = _skip(row, above, problems)
    if problems:
        return None
    return {"key": key, "label": label, "anchor": row.anchor.data, **offset, "window": window,
            "instruments": chosen, "reminders": steps, **repeat, **skip}
