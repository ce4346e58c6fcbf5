"""Scoring engine: declarative score rules applied to clean answers (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from surveys.answer_input import NOT_APPLICABLE, parse_answer_number
from surveys.safety import Flag, evaluate_flags
from surveys.schema import Instrument, ScoreRule
from surveys.validation import unknown_fields, validate_answers

__all__ = [
    "Flag",
    "ScoreResult",
    "evaluate_flags",
    "is_missing",
    "score_answers",
    "score_rule",
    "unknown_fields",
    "validate_answers",
]

YES_WORDS = {"yes", "true", "1"}


@dataclass(frozen=True)
class ScoreResult:
    """One computed score: value (None when not scored), items answered, and why not scored."""

    value: float | None
    answered: int
    reason: str | None = None
    positive: bool | None = None

    @property
    def display(self) -> str:
        """Return the value rounded to 2 decimals for display, or an empty string."""
        return "" if self.value is None else f"{self.value:.2f}".rstrip("0").rstrip(".")


def is_missing(value: object) -> bool:
    """Return True for an absent answer: None, blank text, an empty list or "does not apply"."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip() or value == NOT_APPLICABLE
    return isinstance(value, list | tuple) and not value


def _as_number(value: object) -> float:
    # Stored answers are numbers; text is read by the same rule as a typed answer.
    if isinstance(value, str):
        value = parse_answer_number(value)  # AnswerError is a ValueError
    if not isinstance(value, int | float):
        raise ValueError("not a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("too large") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _is_yes(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in YES_WORDS
    if isinstance(value, int | float):
        return value == 1
    raise ValueError("not a yes or no answer")


def _missing_reason(rule: ScoreRule, answered: int) -> str | None:
    total = len(rule.items)
    missing = total - answered
    if answered == 0:
        return "no items answered"
    if rule.min_answered is not None and answered < rule.min_answered:
        return f"only {answered} of {total} items answered; needs at least {rule.min_answered}"
    if rule.max_missing is not None and missing > rule.max_missing:
        return f"{missing} of {total} items missing; at most {rule.max_missing} allowed"
    # No rule given means every item is needed: never prorate silently.
    strict = rule.missing == "none" or (rule.min_answered is None and rule.max_missing is None)
    if strict and missing:
        return f"{missing} of {total} items missing; all are needed"
    return None


def _weighted(rule: ScoreRule, values: list[float | None]) -> float:
    weights = rule.weights or []
    return sum(w * v for w, v in zip(weights, values, strict=True) if v is not None)


def _present(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


_METHODS: dict[str, Callable[[ScoreRule, list[float | None]], float]] = {
    "answer": lambda rule, values: _present(values)[0],
    "sum": lambda rule, values: sum(_present(values)),
    "mean": lambda rule, values: sum(_present(values)) / len(_present(values)),
    # QuickDASH: ((sum / n) - 1) x 25 over the answered items, giving 0-100.
    "rescaled_mean": lambda rule, values: (sum(_present(values)) / len(_present(values)) - 1) * 25,
    "count_yes": lambda rule, values: sum(_present(values)),
    "weighted_sum": _weighted,
}


def _item_values(rule: ScoreRule, answers: Mapping[str, object]) -> list[float | None]:
    values: list[float | None] = []
    for item_id in rule.items:
        answer = answers.get(item_id)
        if is_missing(answer):
            values.append(None)
        elif rule.method == "count_yes":
            try:
                values.append(1.0 if _is_yes(answer) else 0.0)
            except ValueError:
                raise ValueError(f"item {item_id!r} has an answer that is not yes or no") from None
        else:
            try:
                values.append(_as_number(answer))
            except ValueError:
                raise ValueError(f"item {item_id!r} has a non-numeric answer") from None
    return values


def _is_responder(rule: ScoreRule, first: float | None, answer: object) -> bool:
    # Compare the stored answer ("2") and the number read from it (2, 2.0, an Arabic-Indic 2).
    wanted = {str(v) for v in rule.responder_values or []}
    if isinstance(answer, str) and answer in wanted:
        return True
    return first is not None and f"{first:g}" in wanted


def _is_positive(rule: ScoreRule, value: float, first: float | None, answer: object) -> bool | None:
    if rule.responder_values is not None:
        return _is_responder(rule, first, answer)
    if rule.threshold is not None:
        return value >= rule.threshold
    return None


def score_rule(rule: ScoreRule, answers: Mapping[str, object]) -> ScoreResult:
    """Apply one score rule to clean answers."""
    try:
        values = _item_values(rule, answers)
    except ValueError as exc:
        answered = sum(not is_missing(answers.get(i)) for i in rule.items)
        return ScoreResult(None, answered, str(exc))
    answered = sum(v is not None for v in values)
    reason = _missing_reason(rule, answered)
    if reason:
        return ScoreResult(None, answered, reason)
    value = _METHODS[rule.method](rule, values)
    if not math.isfinite(value):
        return ScoreResult(None, answered, "score is not a finite number")
    if rule.range and not rule.range[0] <= value <= rule.range[1]:
        # Only unvalidated answers get here; a wrong score is worse than none.
        return ScoreResult(None, answered, f"score {value:g} is outside {rule.range}")
    positive = _is_positive(rule, value, values[0], answers.get(rule.items[0]))
    return ScoreResult(value, answered, None, positive)


def score_answers(defn: Instrument, answers: Mapping[str, object]) -> dict[str, ScoreResult]:
    """Compute every score of an instrument, keyed by score id."""
    if not isinstance(answers, Mapping):
        answers = {}  # not answers at all: every score is "no items answered"
    return {rule.id: score_rule(rule, answers) for rule in defn.scores}
