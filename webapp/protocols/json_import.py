"""Protocol import and export as JSON text, for moving a protocol between clinics.

The import checks what the protocol schema checks, plus what JSON text alone can carry and a
protocol never needs: nesting deeper than a protocol has, control characters or lone surrogates
(``\\ud800``) in any text, numbers too long to read, and ``null`` for the channels or the quiet
hours (leave a setting out for its default: email only, no quiet hours).
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date

from scheduler.plan_model import PlanError
from scheduler.protocol import ProtocolError, parse_protocol
from webapp.protocols.sample import plan_sample

SAMPLE_DAY = date(2026, 1, 5)  # any Monday: the check is that dates stay in the calendar
# A protocol is at most five levels deep (protocol > timepoints > timepoint > reminders > step).
MAX_DEPTH = 8
_NULL_MEANS = {
    "channels": 'list the channels, e.g. ["email", "sms"], or leave the setting out for '
                "email only",
    "quiet_hours": 'give a "start" and an "end", or leave the setting out for no quiet hours',
}


def dump_definition(definition: dict) -> str:
    """A definition as indented JSON text (the export, and the text the editor starts from)."""
    return json.dumps(definition, indent=2, ensure_ascii=False)


def _too_deep(value: object) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else ()
        for child in children:
            if depth + 1 > MAX_DEPTH:
                return True
            stack.append((child, depth + 1))
    return False


def _texts(value: object):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _unreadable_text(value: object) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r"
               for text in _texts(value) for c in text)


def load_json(text: str) -> tuple[object, list[str]]:
    """Parse JSON text, refusing what a protocol never holds; (value, []) or (None, problems)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."]
    except (RecursionError, ValueError):
        return None, ["The JSON is nested too deeply or holds a number too long to read."]
    if _too_deep(value):
        return None, [f"The JSON is nested deeper than a protocol ever is ({MAX_DEPTH} levels)."]
    if _unreadable_text(value):
        return None, ["The JSON holds a control character or a lone surrogate (such as "
                      "\\u0000 or \\ud800) in its text: remove it."]
    return value, []


def parse_definition(text: str, name: str,
                     known_instruments: set[str]) -> tuple[dict | None, list[str]]:
    """Return (definition, []) for valid JSON protocol text, or (None, messages)."""
    definition, problems = load_json(text)
    if problems:
        return None, problems
    if not isinstance(definition, dict):
        return None, ["The protocol must be a JSON object ({ ... })."]
    nulls = [f'"{key}": null is not allowed: {meaning}.' for key, meaning in _NULL_MEANS.items()
             if key in definition and definition[key] is None]
    definition["name"] = name  # the stored name always matches the protocol's own name
    try:
        protocol = parse_protocol(definition, known_instruments=known_instruments)
    except ProtocolError as exc:
        return None, nulls + exc.messages
    try:  # offsets in days have no bound in the schema: one must not break every re-plan
        plan_sample(protocol, SAMPLE_DAY, "UTC")
    except (OverflowError, PlanError):
        return None, nulls + ["A follow-up would fall outside the calendar: check the offsets."]
    return (None, nulls) if nulls else (definition, [])
