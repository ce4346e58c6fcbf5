"""Per-language wording inside an instrument definition: the format and its checks.

An instrument's main fields hold its wording in its own ``language``; ``translations`` adds
other languages, each with a title and any of: recall period, item text, help, anchors,
option labels. A string left out falls back (see surveys.i18n), so a translation may be partial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from surveys.languages import LANGUAGE_CODES, base_language

if TYPE_CHECKING:
    from surveys.schema import Instrument, Item

__all__ = [
    "AnchorLabels",
    "ItemTranslation",
    "Translation",
    "clipped",
    "language_problem",
    "translation_problems",
]
NAME_LIMIT = 40


def clipped(name: object) -> str:
    """Return a key read from a file, cut short enough to print in an error message."""
    text = str(name)
    return text if len(text) <= NAME_LIMIT else text[:NAME_LIMIT] + "..."


class _Strict(BaseModel):
    # Unknown keys are refused, as in the main format: a typo must not pass as "not translated".
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnchorLabels(_Strict):
    min: str = Field(min_length=1)
    max: str = Field(min_length=1)


class ItemTranslation(_Strict):
    """One item's wording in one language; text is required, the rest optional."""

    text: str = Field(min_length=1)
    help: str | None = None
    anchors: AnchorLabels | None = None
    option_labels: dict[str, str] | None = None


class Translation(_Strict):
    """An instrument's wording in one language."""

    title: str = Field(min_length=1)
    recall_period: str | None = None
    items: dict[str, ItemTranslation] = Field(default_factory=dict)


def language_problem(code: str, default_language: str) -> str | None:
    """Return why a translation key cannot be used, or None if it is fine."""
    if code not in LANGUAGE_CODES:
        return f"unknown language {clipped(code)!r}; use one of {', '.join(LANGUAGE_CODES)}"
    if code == base_language(default_language):
        return f"{code!r} is the instrument's own language: its wording goes in the main fields"
    return None


def _option_problems(item: Item, labels: dict[str, str]) -> list[str]:
    if not item.options:
        return ["option_labels given but the item has no options"]
    values = {str(value) for value in item.option_values()}
    unknown, missing = sorted(set(labels) - values), sorted(values - set(labels))
    problems = [f"unknown option values {unknown}"] if unknown else []
    return problems + ([f"no option label for values {missing}"] if missing else [])


def _item_problems(defn: Instrument, item_id: str, entry: ItemTranslation) -> list[str]:
    try:
        item = defn.item(item_id)
    except KeyError:
        return ["not an item of this instrument"]
    problems = []
    if entry.help is not None and item.help is None:
        problems.append("help given but the item has none")
    if entry.anchors is not None and item.anchors is None:
        problems.append("anchors given but the item has none")
    if entry.option_labels is not None:
        problems += _option_problems(item, entry.option_labels)
    return problems


def translation_problems(defn: Instrument) -> list[tuple[str, str]]:
    """Return (item, reason) for translation blocks that do not fit the instrument."""
    problems: list[tuple[str, str]] = []
    for code, block in defn.translations.items():
        where = f"translations.{clipped(code)}"
        reason = language_problem(code, defn.language)
        if reason:
            problems.append(("(definition)", f"{where}: {reason}"))
        if block.recall_period is not None and defn.recall_period is None:
            problems.append(
                ("(definition)", f"{where}: recall_period given but the instrument has none")
            )
        for item_id, entry in block.items.items():
            reasons = _item_problems(defn, item_id, entry)
            problems += [(clipped(item_id), f"{where}: {reason}") for reason in reasons]
    return problems
