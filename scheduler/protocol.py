"""Follow-up protocol schema: parse and validate the JSON definition a clinic stores.

A protocol version is stored by the web app as a JSON dict; ``parse_protocol`` turns it into frozen
dataclasses or raises ``ProtocolError`` with every problem found, worded for a coordinator.
A timepoint's offset is one of ``offset_days``, ``offset_weeks`` or ``offset_months`` (calendar
months, see ``scheduler.calendar_offsets``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scheduler.calendar_offsets import OFFSET_KEYS, OFFSET_UNITS, Offset, parse_offset
from scheduler.protocol_model import (
    Protocol,
    ProtocolError,
    QuietHours,
    ReminderStep,
    SkipNear,
    Timepoint,
    Window,
    format_hhmm,
    parse_hhmm,
)

__all__ = [
    "ANCHORS", "CHANNELS", "OFFSET_UNITS", "Offset", "Protocol", "ProtocolError", "QuietHours",
    "ReminderStep", "SkipNear", "Timepoint", "Window", "format_hhmm", "load_default_protocol",
    "parse_hhmm", "parse_protocol", "protocol_to_dict",
]

ANCHORS = ("enrolment", "first_session", "every_session", "last_session")
CHANNELS = ("email", "sms")
REPEAT_UNTIL = ("last_session",)
DEFAULT_REMINDER_TIME = "09:00"
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_PROTOCOL_KEYS = {"name", "timepoints", "quiet_hours", "channels", "reminder_time"}
_TIMEPOINT_KEYS = {
    "key", "label", "anchor", *OFFSET_KEYS, "repeat_every_days", "repeat_until", "window",
    "instruments", "reminders", "skip_near",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_quiet_hours(raw: object, errors: list[str]) -> QuietHours | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
        errors.append('Quiet hours need exactly a "start" and an "end" time, e.g. 21:00 and 08:00.')
        return None
    start, end = parse_hhmm(raw["start"]), parse_hhmm(raw["end"])
    if start is None or end is None:
        errors.append("Quiet hours: times must be written HH:MM (24-hour clock).")
        return None
    if start == end:
        errors.append("Quiet hours cover the whole day: no reminder could ever be sent.")
        return None
    return QuietHours(start, end)


def _parse_channels(raw: object, errors: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ("email",)
    if not isinstance(raw, list) or not raw:
        errors.append('Channels must be a non-empty list chosen from "email" and "sms".')
        return ()
    unknown = [c for c in raw if c not in CHANNELS]
    if unknown:
        errors.append(f"Unknown channel(s): {', '.join(map(str, unknown))} (use email or sms).")
    if len(set(map(str, raw))) != len(raw):
        errors.append("Channels: each channel may be listed only once.")
    return tuple(c for c in raw if c in CHANNELS)


def _parse_window(raw: object, where: str, errors: list[str]) -> Window | None:
    if not isinstance(raw, dict) or set(raw) != {"opens_days", "closes_days"}:
        errors.append(f'{where}: the window needs "opens_days" and "closes_days" (whole days).')
        return None
    opens, closes = raw["opens_days"], raw["closes_days"]
    if not (_is_int(opens) and _is_int(closes)):
        errors.append(f"{where}: window days must be whole numbers.")
        return None
    if opens > closes:
        errors.append(f"{where}: the window closes before it opens.")
    elif opens > 0:
        errors.append(f"{where}: the window must open on or before the due day (opens_days <= 0).")
    elif closes < 0:
        errors.append(f"{where}: the window must close on or after the due day (closes_days >= 0).")
    else:
        return Window(opens, closes)
    return None


def _parse_step(raw: object, window: Window | None, where: str, errors: list[str]):
    if not isinstance(raw, dict) or not {"when", "days"} <= set(raw) <= {"when", "days", "time"}:
        errors.append(f'{where}: each reminder needs "when" and "days" (and optionally "time").')
        return None
    when, days = raw["when"], raw["days"]
    step_time = parse_hhmm(raw["time"]) if "time" in raw else None
    problem = None
    if when not in ("open", "close") or not _is_int(days):
        problem = 'reminder "when" must be "open" or "close" and "days" a whole number.'
    elif "time" in raw and step_time is None:
        problem = "reminder times must be written HH:MM (24-hour clock)."
    elif when == "open" and days < 0:
        problem = "a reminder cannot be sent a negative number of days after opening."
    elif when == "close" and days > 0:
        problem = "a reminder cannot be sent after the window has closed."
    elif window and abs(days) > window.closes_days - window.opens_days:
        problem = f"the reminder {when}{days:+d} falls outside the window."
    if problem:
        errors.append(f"{where}: {problem}")
        return None
    return ReminderStep(when, days, step_time)


def _parse_repeat(raw: dict, where: str, errors: list[str]) -> tuple[int | None, str | None]:
    every, until = raw.get("repeat_every_days"), raw.get("repeat_until")
    if every is None and until is None:
        return None, None
    if not _is_int(every) or every < 1:
        errors.append(f"{where}: repeat_every_days must be a whole number of days, at least 1.")
    elif until not in REPEAT_UNTIL:
        errors.append(f'{where}: repeat_until must be "last_session".')
    elif raw.get("anchor") not in ("enrolment", "first_session"):
        errors.append(f"{where}: only enrolment or first_session timepoints can repeat.")
    else:
        return every, until
    return None, None


def _parse_skip_near(raw: object, earlier: set[str], where: str, errors: list[str]):
    if raw is None:
        return None
    ok_shape = isinstance(raw, dict) and set(raw) == {"timepoint", "days"}
    if not ok_shape or not _is_int(raw["days"]) or raw["days"] < 0:
        errors.append(f'{where}: skip_near needs "timepoint" and "days" (0 or more).')
        return None
    if not isinstance(raw["timepoint"], str) or raw["timepoint"] not in earlier:
        errors.append(f"{where}: skip_near must name a timepoint listed before this one.")
        return None
    return SkipNear(raw["timepoint"], raw["days"])


def _parse_instruments(raw: object, where: str, known, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(i, str) and i for i in raw):
        errors.append(f"{where}: list at least one questionnaire (instrument id).")
        return ()
    unknown = [i for i in raw if known is not None and i not in known]
    if unknown:
        errors.append(f"{where}: unknown instrument(s) {', '.join(unknown)}.")
    return tuple(raw)


def _where(raw: object, index: int) -> str:
    if not isinstance(raw, dict):
        return f"Timepoint {index + 1}"
    return f"Timepoint '{raw.get('label') or raw.get('key') or index + 1}'"


def _parse_timepoint(raw: object, index: int, earlier: set[str], known, errors: list[str]):
    where = _where(raw, index)
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected an object.")
        return None
    before = len(errors)
    extra = set(raw) - _TIMEPOINT_KEYS
    if extra:
        errors.append(f"{where}: unknown setting(s) {', '.join(sorted(map(str, extra)))}.")
    key = raw.get("key")
    if not isinstance(key, str) or not _SLUG.match(key):
        errors.append(f"{where}: the key must be a short lowercase slug like 'month-1'.")
    if raw.get("anchor") not in ANCHORS:
        errors.append(f"{where}: anchor must be one of {', '.join(ANCHORS)}.")
    offset = parse_offset(raw, where, errors)
    window = _parse_window(raw.get("window"), where, errors)
    steps = raw.get("reminders", [])
    if not isinstance(steps, list):
        errors.append(f"{where}: reminders must be a list.")
        steps = []
    reminders = tuple(_parse_step(s, window, where, errors) for s in steps)
    instruments = _parse_instruments(raw.get("instruments"), where, known, errors)
    every, until = _parse_repeat(raw, where, errors)
    skip = _parse_skip_near(raw.get("skip_near"), earlier, where, errors)
    if len(errors) > before:
        return None
    label = raw.get("label") or key
    return Timepoint(key, str(label), raw["anchor"], offset, window, instruments, reminders,
                     every, until, skip)


def parse_protocol(d: dict, known_instruments: set[str] | None = None) -> Protocol:
    """Validate a stored protocol definition and return it, or raise ``ProtocolError``."""
    if not isinstance(d, dict):
        raise ProtocolError(["The protocol must be a JSON object."])
    errors: list[str] = []
    extra = set(d) - _PROTOCOL_KEYS
    if extra:
        errors.append(f"Unknown protocol setting(s): {', '.join(sorted(map(str, extra)))}.")
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append("The protocol needs a name.")
    quiet = _parse_quiet_hours(d.get("quiet_hours"), errors)
    channels = _parse_channels(d.get("channels"), errors)
    reminder_time = parse_hhmm(d.get("reminder_time", DEFAULT_REMINDER_TIME))
    if reminder_time is None:
        errors.append("The reminder time must be written HH:MM (24-hour clock).")
    by_row: dict[int, list[str]] = {}
    timepoints = _parse_timepoints(d.get("timepoints"), known_instruments, errors, by_row)
    if errors:
        raise ProtocolError(errors, by_row)
    return Protocol(name.strip(), timepoints, quiet, channels, reminder_time)


def _parse_timepoints(raw: object, known, errors: list[str],
                      by_row: dict[int, list[str]]) -> tuple[Timepoint, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append("The protocol needs at least one timepoint.")
        return ()
    seen: set[str] = set()
    parsed = []
    for index, item in enumerate(raw):
        before = len(errors)
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key in seen:
            errors.append(f"Timepoint key '{key}' is used twice: keys must be unique.")
            by_row[index] = ["its key is used by another timepoint: keys must be unique."]
            continue
        timepoint = _parse_timepoint(item, index, set(seen), known, errors)
        if isinstance(key, str):
            seen.add(key)
        if timepoint:
            parsed.append(timepoint)
        elif len(errors) > before:
            prefix = _where(item, index) + ": "
            by_row[index] = [m.removeprefix(prefix) for m in errors[before:]]
    return tuple(parsed)


def _step_to_dict(step: ReminderStep) -> dict:
    out: dict = {"when": step.when, "days": step.days}
    if step.time is not None:
        out["time"] = format_hhmm(step.time)
    return out


def _timepoint_to_dict(tp: Timepoint) -> dict:
    out: dict = {
        "key": tp.key, "label": tp.label, "anchor": tp.anchor, **tp.offset.to_dict(),
        "window": {"opens_days": tp.window.opens_days, "closes_days": tp.window.closes_days},
        "instruments": list(tp.instruments),
        "reminders": [_step_to_dict(s) for s in tp.reminders],
    }
    if tp.repeat_every_days is not None:
        out["repeat_every_days"] = tp.repeat_every_days
        out["repeat_until"] = tp.repeat_until
    if tp.skip_near is not None:
        out["skip_near"] = {"timepoint": tp.skip_near.timepoint, "days": tp.skip_near.days}
    return out


def protocol_to_dict(p: Protocol) -> dict:
    """Serialise a protocol back to the JSON dict that ``parse_protocol`` accepts."""
    out: dict = {
        "name": p.name,
        "channels": list(p.channels),
        "reminder_time": format_hhmm(p.reminder_time),
        "timepoints": [_timepoint_to_dict(tp) for tp in p.timepoints],
    }
    if p.quiet_hours is not None:
        out["quiet_hours"] = {"start": format_hhmm(p.quiet_hours.start),
                              "end": format_hhmm(p.quiet_hours.end)}
    return out


def load_default_protocol() -> Protocol:
    """Load the protocol shipped in ``scheduler/default_protocol.json``."""
    path = Path(__file__).with_name("default_protocol.json")
    return parse_protocol(json.loads(path.read_text(encoding="utf-8")))
