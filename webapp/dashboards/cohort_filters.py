"""The cohort page's query string, checked against allow-lists before any database work.

Every value is either one of a fixed set, a date, a protocol id that exists, or a tag the
live patients carry. Anything else raises BadFilter, which the view answers with a 400 and a
plain message. Comparison groups that are not in the data are ignored (the two largest groups
are compared instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from webapp.dashboards.cohort_groups import DIMENSIONS, vocabulary

OUTCOMES = {"pain": "Pain now (NRS 0-10)", "paresthesia": "Paresthesia (NRS 0-10)",
            "function": "Function (PSFS 0-10)", "pgic": "Global change (PGIC)"}
UNITS = {"region": "Nerve regions", "patient": "Patients (index region)"}
MAX_VALUE = 120


class BadFilter(ValueError):
    """A query-string value outside its allow-list; the message is safe to show."""


@dataclass(frozen=True)
class CohortQuery:
    """What the clinician asked for: outcome, unit, split, filters and the two groups compared."""

    outcome: str = "pain"
    unit: str = "region"
    split: str = "none"
    only: tuple[str, str] | None = None
    first_from: date | None = None
    first_to: date | None = None
    protocol_id: int | None = None
    exclude_synthetic: bool = False
    compare: tuple[str, str] | None = None

    def args(self, **changes) -> dict[str, str]:
        """Return the query string of this query (with changes), for links and exports."""
        query = replace(self, **changes)
        args = {"outcome": query.outcome, "unit": query.unit, "by": query.split}
        if query.only:
            args["only"] = ":".join(query.only)
        if query.first_from:
            args["from"] = query.first_from.isoformat()
        if query.first_to:
            args["to"] = query.first_to.isoformat()
        if query.protocol_id is not None:
            args["protocol"] = str(query.protocol_id)
        if query.exclude_synthetic:
            args["real"] = "1"
        if query.compare:
            args["a"], args["b"] = query.compare
        return args


def _choice(args, name: str, allowed, default: str) -> str:
    value = args.get(name, default) or default
    if value not in allowed:
        raise BadFilter(f"Unknown {name}: choose one of the listed options.")
    return value


def _date(args, name: str) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter("Dates must be written YYYY-MM-DD, for example 2026-01-31.") from None


def _protocol(args, protocols) -> int | None:
    text = (args.get("protocol") or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) not in protocols:
        raise BadFilter("Unknown protocol: choose one from the list.")
    return int(text)


def _only(args, tags: frozenset[str]) -> tuple[str, str] | None:
    text = args.get("only") or ""
    if not text:
        return None
    dimension, sep, value = text.partition(":")
    if not sep or dimension not in DIMENSIONS or dimension == "none" or len(text) > MAX_VALUE:
        raise BadFilter("Unknown subgroup filter: choose one from the list.")
    if value not in vocabulary(dimension, tags):
        raise BadFilter("Unknown subgroup filter: choose one from the list.")
    return dimension, value


def _compare(args) -> tuple[str, str] | None:
    a, b = args.get("a") or "", args.get("b") or ""
    if not a or not b or a == b or max(len(a), len(b)) > MAX_VALUE:
        return None  # checked against the groups present once they are known
    return a, b


def parse_query(args, *, protocols, tags: frozenset[str] = frozenset()) -> CohortQuery:
    """Return the checked query of a request's args; BadFilter on any value off its list."""
    first_from, first_to = _date(args, "from"), _date(args, "to")
    if first_from and first_to and first_from > first_to:
        raise BadFilter("The first-session range ends before it starts.")
    return CohortQuery(
        outcome=_choice(args, "outcome", OUTCOMES, "pain"),
        unit=_choice(args, "unit", UNITS, "region"),
        split=_choice(args, "by", DIMENSIONS, "none"),
        only=_only(args, tags), first_from=first_from, first_to=first_to,
        protocol_id=_protocol(args, protocols),
        exclude_synthetic=(args.get("real") or "") in ("1", "on", "true"),
        compare=_compare(args))
