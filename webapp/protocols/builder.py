"""The protocol builder's fields: a protocol definition as the fields a browser sends, and rows.

The builder shows a protocol's settings, then one row of fields per timepoint, named
``tp-<n>-<field>``. ``formdata_of`` writes a stored definition as those fields; the builder's
checks (``builder_checks``) read them back into a definition. Rows are added, removed and moved
on the submitted fields themselves, so whatever the coordinator typed, even a mistake, survives.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from werkzeug.datastructures import MultiDict

from scheduler.protocol import parse_protocol, protocol_to_dict

MAX_TIMEPOINTS = 50
ROW_NAME = re.compile(r"^tp-(\d{1,4})-([a-z_]{1,12})$")
ROW_ACTION = re.compile(r"^(add|remove|up|down)(?:-(\d{1,4}))?$")
# A new row: due a month after the last session, open a week before to two weeks after.
NEW_ROW = (("key", ""), ("label", ""), ("anchor", "last_session"), ("amount", "1"),
           ("unit", "months"), ("opens", "7"), ("closes", "14"), ("on_open", "y"),
           ("later", ""), ("close", ""), ("repeat", ""), ("skip", ""), ("skip_days", ""))


def offset_of(tp: dict) -> tuple[int, str]:
    """(amount, unit) of a timepoint's one offset setting."""
    for unit in ("days", "weeks", "months"):
        if tp.get(f"offset_{unit}") is not None:
            return tp[f"offset_{unit}"], unit
    raise ValueError("a parsed timepoint always has an offset")


def _numbers(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def row_fields(tp: dict) -> list[tuple[str, str]]:
    """The builder fields of one timepoint of a canonical definition."""
    amount, unit = offset_of(tp)
    steps = tp["reminders"]
    later = sorted(s["days"] for s in steps if s["when"] == "open" and s["days"] > 0)
    before = sorted((-s["days"] for s in steps if s["when"] == "close"), reverse=True)
    skip = tp.get("skip_near") or {}
    fields = [("key", tp["key"]), ("label", tp["label"]), ("anchor", tp["anchor"]),
              ("amount", str(amount)), ("unit", unit),
              ("opens", str(-tp["window"]["opens_days"])),
              ("closes", str(tp["window"]["closes_days"]))]
    fields += [("q", instrument) for instrument in tp["instruments"]]
    if any(s["when"] == "open" and s["days"] == 0 for s in steps):
        fields.append(("on_open", "y"))
    fields += [("later", _numbers(later)), ("close", _numbers(before)),
               ("repeat", str(tp.get("repeat_every_days") or "")),
               ("skip", skip.get("timepoint", "")), ("skip_days", str(skip.get("days", "")))]
    return fields


def canonical(definition: dict) -> dict:
    """A valid definition with every default written out (what the builder produces)."""
    return protocol_to_dict(parse_protocol(definition))


def formdata_of(definition: dict, sample_first: date) -> MultiDict:
    """The builder's fields for a valid protocol definition."""
    d = canonical(definition)
    quiet = d.get("quiet_hours") or {}
    data = MultiDict([("name", d["name"]), ("reminder_time", d["reminder_time"]),
                      ("quiet_start", quiet.get("start", "")),
                      ("quiet_end", quiet.get("end", "")),
                      ("sample_first", sample_first.isoformat())])
    for channel in d["channels"]:
        data.add("channels", channel)
    return with_rows(data, [row_fields(tp) for tp in d["timepoints"]])


def rows_of(formdata: MultiDict) -> list[list[tuple[str, str]]]:
    """The submitted timepoint rows, in order, each as (field, value) pairs."""
    rows: dict[int, list[tuple[str, str]]] = {}
    for name, values in formdata.lists():
        match = ROW_NAME.match(name)
        if match:
            rows.setdefault(int(match[1]), []).extend((match[2], v) for v in values)
    return [rows[i] for i in sorted(rows)]


def with_rows(formdata: MultiDict, rows: list[list[tuple[str, str]]]) -> MultiDict:
    """The same fields with the timepoint rows replaced by ``rows``, numbered from 0."""
    out = MultiDict([(k, v) for k, v in formdata.items(multi=True) if not ROW_NAME.match(k)])
    for index, row in enumerate(rows):
        for field, value in row:
            out.add(f"tp-{index}-{field}", value)
    return out


def apply_row_action(formdata: MultiDict, action: str) -> tuple[MultiDict, int | None] | None:
    """Add, remove or move a row; return (new fields, row to scroll to), or None if refused."""
    match = ROW_ACTION.match(action or "")
    if not match:
        return None
    verb, index = match[1], int(match[2]) if match[2] else None
    rows = rows_of(formdata)
    if verb == "add":
        if len(rows) >= MAX_TIMEPOINTS:
            return None
        return with_rows(formdata, [*rows, list(NEW_ROW)]), len(rows)
    if index is None or index >= len(rows):
        return None
    if verb == "remove":
        return with_rows(formdata, rows[:index] + rows[index + 1:]), max(index - 1, 0)
    target = index - 1 if verb == "up" else index + 1
    if not 0 <= target < len(rows):
        return formdata, index
    rows[index], rows[target] = rows[target], rows[index]
    return with_rows(formdata, rows), target


def slug_from(label: str) -> str:
    """A timepoint key made from its name: "1 month after" -> "1-month-after"."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-")
    return slug or "timepoint"


def unique_key(label: str, taken: set[str]) -> str:
    """A key made from the name, with -2, -3... when another timepoint has it already."""
    base = slug_from(label)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def parse_numbers(text: str | None, low: int, high: int) -> list[int] | None:
    """Whole numbers separated by commas or spaces, each in [low, high]; None if malformed."""
    tokens = [t for t in re.split(r"[,\s]+", text or "") if t]
    if len(tokens) > 10 or not all(t.isascii() and t.isdecimal() and len(t) <= 4 for t in tokens):
        return None
    numbers = sorted({int(t) for t in tokens})
    return numbers if all(low <= n <= high for n in numbers) else None


def reminder_steps(on_open: bool, later: list[int], before_close: list[int]) -> list[dict]:
    """The reminder steps in time order: on opening, N days later, N days before closing."""
    steps = [{"when": "open", "days": 0}] if on_open else []
    steps += [{"when": "open", "days": n} for n in later]
    steps += [{"when": "close", "days": -n} for n in sorted(before_close, reverse=True)]
    return steps


def builder_limits(definition: dict) -> list[str]:
    """What saving a stored definition from the builder would change, in a coordinator's words.

    The builder sends every reminder at the protocol's reminder time, in time order, each step
    once; everything else in a definition it keeps as it is.
    """
    out = []
    for tp in canonical(definition)["timepoints"]:
        steps = tp["reminders"]
        on_open = any(s["when"] == "open" and s["days"] == 0 for s in steps)
        later = sorted({s["days"] for s in steps if s["when"] == "open" and s["days"] > 0})
        before = sorted({-s["days"] for s in steps if s["when"] == "close"})
        if reminder_steps(on_open, later, before) != steps:
            out.append(f"“{tp['label']}”: its reminders have their own times of day, a "
                       "different order or a step twice; saved from here, they go at the "
                       "protocol's reminder time, in time order, once each.")
    return out
