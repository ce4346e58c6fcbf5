"""An instrument's wording in a patient's language, falling back string by string.

The fallback order for every string is: the requested language, then the given fallback
language (the clinic's default), then the instrument's own wording (its main fields).
"""

from __future__ import annotations

from collections.abc import Iterable

from surveys.languages import LANGUAGE_CODES, base_language
from surveys.schema import Instrument, Item
from surveys.translations import ItemTranslation, Translation

__all__ = [
    "localise",
    "missing_translations",
    "missing_wording",
    "text_for",
    "translatable_strings",
    "wording_language",
]


def _is_own(instrument: Instrument, tag: str) -> bool:
    return base_language(tag) == base_language(instrument.language)


def _blocks(instrument: Instrument, lang: str | None, fallback: str | None) -> list[Translation]:
    # The instrument's own wording is always last in line, so a tag naming it ends the search.
    blocks = []
    for tag in filter(None, (lang, fallback)):
        if _is_own(instrument, tag):
            break
        if base_language(tag) in instrument.translations:
            blocks.append(instrument.translations[base_language(tag)])
    return blocks


def _first(values: Iterable[str | None], default: str | None) -> str | None:
    return next((value for value in values if value is not None), default)


def wording_language(instrument: Instrument, lang: str | None, fallback: str | None = None) -> str:
    """Return the language a localised instrument is mostly in: lang, fallback, or its own."""
    for tag in filter(None, (lang, fallback)):
        if _is_own(instrument, tag):
            return instrument.language
        if base_language(tag) in instrument.translations:
            return base_language(tag)
    return instrument.language


def _localised_item(item: Item, entries: list[ItemTranslation]) -> Item:
    if not entries:
        return item
    update: dict = {
        "text": entries[0].text,
        "help": _first((e.help for e in entries), item.help),
    }
    anchors = [e.anchors for e in entries if e.anchors is not None]
    if item.anchors is not None and anchors:
        update["anchors"] = item.anchors.model_copy(update=anchors[0].model_dump())
    if item.options:
        labels = [e.option_labels or {} for e in entries]
        update["options"] = [
            o.model_copy(update={"label": _first((m.get(str(o.value)) for m in labels), o.label)})
            for o in item.options
        ]
    return item.model_copy(update=update)


def localise(instrument: Instrument, lang: str | None, fallback: str | None = None) -> Instrument:
    """Return the instrument worded in lang; each missing string from fallback, then its own."""
    blocks = _blocks(instrument, lang, fallback)
    if not blocks:
        return instrument
    items = [
        _localised_item(item, [b.items[item.id] for b in blocks if item.id in b.items])
        for item in instrument.items
    ]
    recall = instrument.recall_period
    update = {
        "title": blocks[0].title,
        "recall_period": _first((b.recall_period for b in blocks), recall) if recall else None,
        "language": wording_language(instrument, lang, fallback),
        "items": items,
        # The copy's main fields are another language now: drop the blocks, never re-localise it.
        "translations": {},
    }
    return instrument.model_copy(update=update)


def text_for(
    instrument: Instrument, item_id: str, lang: str | None, fallback: str | None = None
) -> str:
    """Return one item's question text in lang (with fallback); KeyError if the item is unknown."""
    item = instrument.item(item_id)
    entries = [b.items[item_id] for b in _blocks(instrument, lang, fallback) if item_id in b.items]
    return entries[0].text if entries else item.text


def _item_strings(item: Item) -> dict[str, str]:
    found = {f"items.{item.id}.text": item.text}
    if item.help is not None:
        found[f"items.{item.id}.help"] = item.help
    if item.anchors is not None:
        found[f"items.{item.id}.anchors.min"] = item.anchors.min
        found[f"items.{item.id}.anchors.max"] = item.anchors.max
    for option in item.options or []:
        found[f"items.{item.id}.option_labels.{option.value}"] = option.label
    return found


def translatable_strings(instrument: Instrument) -> dict[str, str]:
    """Return every patient-facing string of an instrument's own wording, keyed by its path."""
    found = {"title": instrument.title}
    if instrument.recall_period is not None:
        found["recall_period"] = instrument.recall_period
    for item in instrument.items:
        found.update(_item_strings(item))
    return found


def _translated_paths(block: Translation) -> set[str]:
    paths = {"title"} | ({"recall_period"} if block.recall_period is not None else set())
    for item_id, entry in block.items.items():
        prefix = f"items.{item_id}"
        paths.add(f"{prefix}.text")
        if entry.help is not None:
            paths.add(f"{prefix}.help")
        if entry.anchors is not None:
            paths |= {f"{prefix}.anchors.min", f"{prefix}.anchors.max"}
        paths |= {f"{prefix}.option_labels.{value}" for value in entry.option_labels or {}}
    return paths


def missing_translations(
    instrument: Instrument, languages: Iterable[str] = LANGUAGE_CODES
) -> dict[str, list[str]]:
    """Return, per language, the paths of strings with no wording in that language."""
    wanted = translatable_strings(instrument)
    missing: dict[str, list[str]] = {}
    for lang in languages:
        block = instrument.translations.get(base_language(lang))
        if _is_own(instrument, lang):
            missing[lang] = []
        else:
            done = _translated_paths(block) if block else set()
            missing[lang] = [path for path in wanted if path not in done]
    return missing


def missing_wording(
    instruments: Iterable[Instrument], languages: Iterable[str] = LANGUAGE_CODES
) -> dict[str, list[str]]:
    """Return, per language, "instrument id: path" for every string not yet translated."""
    languages = tuple(languages)
    report: dict[str, list[str]] = {lang: [] for lang in languages}
    for instrument in instruments:
        for lang, paths in missing_translations(instrument, languages).items():
            report[lang] += [f"{instrument.id}: {path}" for path in paths]
    return report
