"""Protocol definitions for tests: the shipped ones and a table of others the builder can show."""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JSON = ROOT / "scheduler" / "default_protocol.json"
MONTHS_JSON = ROOT / "tests" / "scheduler" / "default_protocol_months.json"


def _open(days=0, *more):
    return [{"when": "open", "days": days}, *more]


def _tp(key, label, anchor, offset, window, instruments, reminders, **extra):
    return {"key": key, "label": label, "anchor": anchor, **offset,
            "window": {"opens_days": window[0], "closes_days": window[1]},
            "instruments": instruments, "reminders": reminders, **extra}


def _months(key, n):
    return _tp(key, f"{n} month{'s' if n > 1 else ''} after the injection", "last_session",
               {"offset_months": n}, (-7, 14), ["nt-pgic", "nt-pain", "nt-paresthesia"],
               _open(0, {"when": "open", "days": 3}, {"when": "close", "days": -2}))


CTS = {
    "name": "CTS single injection: 1, 3, 6 months", "channels": ["sms", "email"],
    "reminder_time": "08:30",
    "timepoints": [
        _tp("baseline", "Before the injection", "first_session", {"offset_days": 0}, (-7, 0),
            ["nt-pain", "nt-paresthesia", "nt-psfs"], _open(0, {"when": "close", "days": -1})),
        _months("m1", 1), _months("m3", 3), _months("m6", 6)],
}
ENROLMENT = {
    "name": "Counted from enrolment", "channels": ["email"], "reminder_time": "18:00",
    "quiet_hours": {"start": "22:00", "end": "07:00"},
    "timepoints": [
        _tp("intake", "Intake", "enrolment", {"offset_days": 0}, (0, 3), ["nt-psfs"],
            _open(0, {"when": "close", "days": 0})),
        _tp("fortnightly", "Every two weeks", "enrolment", {"offset_weeks": 2}, (0, 2),
            ["nt-pain"], [{"when": "open", "days": 1}], repeat_every_days=14,
            repeat_until="last_session"),
        _tp("pre-first", "Three days before the first session", "first_session",
            {"offset_days": -3}, (-1, 1), ["nt-paresthesia"], []),
    ],
}
PER_SESSION = {
    "name": "Around every session", "channels": ["email", "sms"], "reminder_time": "09:00",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "timepoints": [
        _tp("before", "Before each session", "every_session", {"offset_days": -1}, (-1, 1),
            ["nt-pain"], _open()),
        _tp("after", "After each session", "every_session", {"offset_days": 2}, (0, 3),
            ["nt-after-session"], [{"when": "open", "days": 1}, {"when": "open", "days": 3},
                                   {"when": "close", "days": 0}],
            skip_near={"timepoint": "before", "days": 1}),
        _tp("m12", "A year after the last session", "last_session", {"offset_months": 12},
            (-14, 28), ["nt-pain", "nt-pgic"],
            [{"when": "close", "days": -7}, {"when": "close", "days": -1}]),
    ],
}


def load(path: Path, name: str | None = None) -> dict:
    """A protocol JSON file, optionally renamed."""
    definition = json.loads(path.read_text(encoding="utf-8"))
    if name:
        definition["name"] = name
    return definition


def with_step_time(definition: dict) -> dict:
    """A copy whose first timepoint's last reminder has its own time (the builder drops it)."""
    changed = copy.deepcopy(definition)
    changed["timepoints"][0]["reminders"][-1]["time"] = "18:15"
    return changed


def expressible() -> dict[str, dict]:
    """Protocols the builder can show and give back unchanged, by test id."""
    return {"default": load(DEFAULT_JSON, "Default copy"),
            "months fixture": load(MONTHS_JSON, "Months fixture"),
            "cts": CTS, "enrolment": ENROLMENT, "per session": PER_SESSION}
