"""Answer validation for web forms: raw strings in, clean values and plain messages out (pure).

Numbers are read by the one rule in surveys.answer_input (ASCII, Arabic-Indic and Persian
digits); text answers refuse control characters and lone surrogates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from surveys.answer_input import (
    MAX_NUMBER_CHARS,
    NOT_APPLICABLE,
    AnswerError,
    answer_text,
    check_characters,
    parse_answer_number,
)
from surveys.schema import Instrument, Item

__all__ = [
    "MAX_NUMBER_CHARS",
    "AnswerError",
    "parse_answer_number",
    "parse_item",
    "unknown_fields",
    "validate_answers",
]

MISSING_MESSAGE = "Please answer this question."
ONE_ANSWER_MESSAGE = "Please give just one answer."
YES = {"yes", "y", "true", "1", "on"}
NO = {"no", "n", "false", "0", "off"}


def _values(raw: Mapping[str, Any], key: str) -> list[str]:
    # Werkzeug's MultiDict gives every value via getlist; a plain dict gives one or a list.
    if hasattr(raw, "getlist"):
        found = raw.getlist(key)
    elif isinstance(raw, Mapping):
        found = raw.get(key)
    else:
        found = None  # not a form at all: nothing was answered
    if found is None:
        return []
    items = found if isinstance(found, list | tuple) else [found]
    texts = (answer_text(v).strip() for v in items if v is not None)
    return [text for text in texts if text]


def _fmt(number: float) -> str:
    return f"{number:g}"


def _number_message(item: Item, low: float, high: float) -> str:
    whole = item.type == "nrs" or item.integer
    if item.type == "number":
        hint = "whole number" if whole else "number"
        return f"Enter a {hint} from {_fmt(low)} to {_fmt(high)}."
    return f"Choose a number from {_fmt(low)} to {_fmt(high)}."


def _parse_number(item: Item, text: str) -> float | int:
    low, high = item.bounds()
    message = _number_message(item, low, high)
    number = parse_answer_number(text, unreadable=message)
    if not low <= number <= high:
        raise AnswerError(message)
    # parse_answer_number gives an int for every whole value, so a float has a fraction.
    if (item.type == "nrs" or item.integer) and isinstance(number, float):
        raise AnswerError(message)
    if item.step and not _on_step(number - low, item.step):
        raise AnswerError(f"Use steps of {_fmt(item.step)}, from {_fmt(low)} to {_fmt(high)}.")
    return number


def _on_step(offset: float, step: float) -> bool:
    ratio = offset / step
    # A ratio too large for a float cannot be checked against a step: refuse it.
    return math.isfinite(ratio) and math.isclose(ratio, round(ratio), abs_tol=1e-9)


def _parse_option(item: Item, text: str) -> int | str:
    for value in item.option_values():
        if str(value) == text:
            return value
    raise AnswerError("Choose one of the options shown.")


def _parse_yesno(text: str) -> bool:
    lowered = text.lower()
    if lowered in YES or lowered in NO:
        return lowered in YES
    raise AnswerError("Please answer yes or no.")


def _parse_text(item: Item, text: str) -> str:
    if len(text) > item.max_length:
        raise AnswerError(f"Please keep this under {item.max_length} characters.")
    return check_characters(text)


def parse_item(item: Item, values: list[str]) -> object:
    """Turn one item's raw form values into a clean answer (None if unanswered)."""
    if not values:
        return None
    if item.type == "multi":
        chosen = [_parse_option(item, v) for v in dict.fromkeys(values)]
        return chosen
    if len(values) > 1:
        raise AnswerError(ONE_ANSWER_MESSAGE)
    text = values[0]
    if item.not_applicable and text == NOT_APPLICABLE:
        return NOT_APPLICABLE
    if item.type in ("nrs", "number"):
        return _parse_number(item, text)
    if item.type == "single":
        return _parse_option(item, text)
    if item.type == "yesno":
        return _parse_yesno(text)
    return _parse_text(item, text)


def _skipped(item: Item, clean: Mapping[str, object]) -> bool:
    # A rating whose activity was never named has nothing to rate.
    return item.depends_on is not None and clean.get(item.depends_on) in (None, "", [])


def validate_answers(
    defn: Instrument, raw: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, object], dict[str, str]]:
    """Check raw form answers; return (clean answers, {item id: message}). Never raises."""
    clean: dict[str, object] = {}
    errors: dict[str, str] = {}
    for item in defn.items:
        try:
            clean[item.id] = parse_item(item, _values(raw, item.id))
        except AnswerError as exc:
            errors[item.id] = str(exc)
    for item in defn.items:
        if item.id in errors:
            continue
        if _skipped(item, clean):
            if clean[item.id] is not None and item.depends_on not in errors:
                first = defn.item(item.depends_on).text
                errors[item.id] = f'Please answer "{first}" first, or leave this blank.'
            continue
        if clean[item.id] is None and item.required and not partial:
            errors[item.id] = MISSING_MESSAGE
    answered = {key: value for key, value in clean.items() if value is not None}
    return {key: value for key, value in answered.items() if key not in errors}, errors


def unknown_fields(defn: Instrument, raw: Mapping[str, Any]) -> list[str]:
    """Return submitted field names that are not items of this instrument (they are ignored)."""
    if not isinstance(raw, Mapping):
        return []
    known = {item.id for item in defn.items}
    return sorted(_field_name(key) for key in raw if key not in known)


def _field_name(key: object) -> str:
    # Form field names are text; anything else is named by its type, never printed in full.
    return key if isinstance(key, str) else f"<{type(key).__name__}>"
