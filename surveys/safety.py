"""Safety flags: answers that a clinician must see (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from surveys.answer_input import AnswerError, parse_answer_number
from surveys.schema import FlagRule, Instrument


@dataclass(frozen=True)
class Flag:
    """A raised safety flag for the clinician."""

    id: str
    item: str
    severity: str
    message: str
    answer: object


def _normalise(value: object) -> str | None:
    # Form answers, JSON answers and rule values may differ in type ("yes", True, 1, "01", 1.0).
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        try:
            value = parse_answer_number(value)
        except AnswerError:
            text = value.strip().lower()
            return {"true": "yes", "false": "no"}.get(text, text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        return _number_text(value)
    return None  # a list inside a list, a dict...: never a trigger value


def _number_text(value: int | float) -> str | None:
    try:
        return str(value)
    except ValueError:  # an int too long to print (more than 4300 digits)
        return None


def _matches(rule: FlagRule, answer: object) -> bool:
    if answer is None:
        return False
    wanted = {_normalise(v) for v in rule.trigger_values()} - {None}
    given = answer if isinstance(answer, list | tuple | set | frozenset) else [answer]
    return any(_normalise(v) in wanted for v in given)


def evaluate_flags(defn: Instrument, answers: Mapping[str, object]) -> list[Flag]:
    """Return the flags raised by these answers, serious ones first."""
    if not isinstance(answers, Mapping):
        answers = {}  # not answers at all: nothing to flag
    raised = [
        Flag(rule.id, rule.item, rule.severity, rule.message, answers.get(rule.item))
        for rule in defn.flags
        if _matches(rule, answers.get(rule.item))
    ]
    return sorted(raised, key=lambda flag: flag.severity != "serious")
