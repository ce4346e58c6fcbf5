"""The protocol builder's checks: the form read back into a definition, each problem on its row.

Format and range problems are worded for a coordinator here; the protocol schema
(``scheduler.protocol``) then checks the definition as it checks every stored one, and its
messages land on the row they concern. Last, the protocol is planned for the sample course
(six weekly sessions): two windows open at the same time that ask the same questionnaire are
refused, on the row listed later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.plan_model import Plan, PlanError
from scheduler.protocol import Protocol, ProtocolError, parse_protocol
from webapp.protocols.builder import MAX_TIMEPOINTS, unique_key
from webapp.protocols.builder_forms import ProtocolBuilderForm, set_value
from webapp.protocols.row_checks import has_control_characters, protocol_settings, timepoint_of
from webapp.protocols.sample import plan_sample


@dataclass
class BuilderResult:
    definition: dict | None = None
    protocol: Protocol | None = None
    plan: Plan | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)  # by protocol setting
    row_errors: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the protocol can be previewed and saved."""
        return self.definition is not None and not self.errors and not self.row_errors


def assign_keys(form: ProtocolBuilderForm) -> None:
    """Give each named row without a key one made from its name (kept from then on)."""
    taken = {e.form.key.data for e in form.tp if e.form.key.data}
    for entry in form.tp:
        row = entry.form
        if not row.key.data and row.label.data and not has_control_characters(row.label.data):
            key = unique_key(row.label.data, taken)
            taken.add(key)
            set_value(row.key, key)


def check_builder(form: ProtocolBuilderForm, *, name: str, instruments: dict[str, str],
                  first_day: date, zone: str) -> BuilderResult:
    """Read the form back into a definition, or say what is wrong and where."""
    result = BuilderResult()
    settings = protocol_settings(form, name, result.errors)
    rows = list(form.tp)
    if not rows:
        result.errors.setdefault("timepoints", []).append("Add at least one timepoint.")
    if len(rows) > MAX_TIMEPOINTS:
        result.row_errors[MAX_TIMEPOINTS] = [
            f"A protocol holds at most {MAX_TIMEPOINTS} timepoints: remove this one and the "
            f"{len(rows) - MAX_TIMEPOINTS - 1} below it (a timepoint can repeat, or follow "
            "every session, instead)."]
        return result
    timepoints = _timepoints(rows, instruments, result.row_errors)
    if result.errors or result.row_errors:
        return result
    definition = {**settings, "timepoints": timepoints}
    try:
        protocol = parse_protocol(definition, known_instruments=set(instruments))
    except ProtocolError as exc:
        _schema_problems(exc, result)
        return result
    return _check_sample(result, definition, protocol, first_day, zone, instruments)


def _timepoints(rows: list, instruments: dict[str, str],
                row_errors: dict[int, list[str]]) -> list[dict]:
    above: dict[str, str] = {}
    out = []
    for index, entry in enumerate(rows):
        problems: list[str] = []
        timepoint = timepoint_of(entry.form, above, instruments, problems)
        if problems:
            row_errors[index] = problems
        elif timepoint is not None:
            out.append(timepoint)
        above[entry.form.key.data or f"row-{index}"] = entry.form.label.data or ""
    return out


def _schema_problems(exc: ProtocolError, result: BuilderResult) -> None:
    for index, messages in exc.timepoint_messages.items():
        result.row_errors[index] = [m[:1].upper() + m[1:] for m in messages]
    others = [m for m in exc.messages if not m.startswith("Timepoint")]
    if others or not exc.timepoint_messages:
        result.errors.setdefault("protocol", []).extend(others or exc.messages)


def _check_sample(result: BuilderResult, definition: dict, protocol: Protocol, first_day: date,
                  zone: str, instruments: dict[str, str]) -> BuilderResult:
    try:
        plan = plan_sample(protocol, first_day, zone)
    except (OverflowError, PlanError):
        result.errors.setdefault("sample", []).append(
            "A follow-up of the sample course would fall outside the calendar: check the "
            "offsets and the sample course's first session.")
        return result
    rows = {tp.key: index for index, tp in enumerate(protocol.timepoints)}
    result.row_errors = overlaps(plan, protocol, rows, instruments, ZoneInfo(zone))
    if not result.row_errors:
        result.definition, result.protocol, result.plan = definition, protocol, plan
    return result


def _day_span(start, end, zone: ZoneInfo) -> str:
    first = start.astimezone(zone).date()
    last = (end.astimezone(zone) - timedelta(seconds=1)).date()
    return f"{first:%d %b} to {last:%d %b %Y}"


def overlaps(plan: Plan, protocol: Protocol, rows: dict[str, int], instruments: dict[str, str],
             zone: ZoneInfo) -> dict[int, list[str]]:
    """Problems of windows open at the same time that ask the same questionnaire, by row."""
    labels = {tp.key: tp.label for tp in protocol.timepoints}
    seen: set[tuple[str, str]] = set()
    problems: dict[int, list[str]] = {}
    active: list = []
    for a in sorted(plan.assignments, key=lambda x: (x.opens_at, x.slot)):
        active = [b for b in active if b.closes_at > a.opens_at]
        for b in active:
            shared = [instruments.get(i, i) for i in a.instruments if i in b.instruments]
            pair = tuple(sorted((a.timepoint_key, b.timepoint_key), key=rows.__getitem__))
            if not shared or pair in seen:
                continue
            seen.add(pair)
            when = _day_span(a.opens_at, min(a.closes_at, b.closes_at), zone)
            asks = " and ".join(shared)
            if pair[0] == pair[1]:
                text = (f"Its windows overlap one another on the sample course ({when}), both "
                        f"asking {asks}: shorten the window or space the occurrences out.")
            else:
                text = (f"Its window overlaps the window of “{labels[pair[0]]}” on the sample "
                        f"course ({when}) and both ask {asks}: a patient would have two open at "
                        "once. Shorten a window or move one of them.")
            problems.setdefault(rows[pair[1]], []).append(text)
        active.append(a)
    return problems

