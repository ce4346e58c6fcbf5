"""Safety flags: answers that a clinician must see (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from surveys.schema import FlagRule, Instrument


@dataclass(frozen=True)
class Flag:
    """A raised safety flag for the clinician."""

    id: str
    item: str
    severity: str
    message: str
    answer: object


def _normalise(value: object) -> str:
    # Form answers, JSON answers and rule values may differ in type ("yes", True, 1).
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value).strip().lower()
    return {"true": "yes", "false": "no"}.get(text, text)


def _matches(rule: FlagRule, answer: object) -> bool:
    if answer is None:
        return False
    wanted = {_normalise(v) for v in rule.trigger_values()}
    given = answer if isinstance(answer, list | tuple | set) else [answer]
    return any(_normalise(v) in wanted for v in given)


def evaluate_flags(defn: Instrument, answers: Mapping[str, object]) -> list[Flag]:
    """Return the flags raised by these answers, serious ones first."""
    raised = [
        Flag(rule.id, rule.item, rule.severity, rule.message, answers.get(rule.item))
        for rule in defn.flags
        if _matches(rule, answers.get(rule.item))
    ]
    return sorted(raised, key=lambda flag: flag.severity != "serious")
