"""Instrument library: built-in definitions plus a clinic's directory of JSON files.

Licensed instruments ship as templates (scoring + item ids, placeholder text). A clinic serves
one with a file holding "extends": "<template id>" and the wording it is licensed to use; its
"translations" block holds the same keys (title, wording, help, option_labels...) per language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from surveys.schema import SLUG, DefinitionError, Instrument, parse_definition
from surveys.translations import clipped, language_problem

__all__ = ["DefinitionError", "InstrumentLibrary", "load_library", "load_templates"]

PACKAGE_DIR = Path(__file__).parent
BUILTIN_DIR = PACKAGE_DIR / "instruments"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
ALL_CHOICE_ITEMS = "*"


class WordingTranslation(BaseModel):
    """A clinic's licensed wording for a template in one more language."""

    model_config = ConfigDict(extra="forbid")

    title: str
    recall_period: str | None = None
    wording: dict[str, str]
    help: dict[str, str] = Field(default_factory=dict)
    option_labels: dict[str, dict[str, str]] = Field(default_factory=dict)
    anchors: dict[str, dict[str, str]] = Field(default_factory=dict)


class WordingFile(WordingTranslation):
    """A clinic's licensed wording for a template, optionally in several languages."""

    id: str = Field(pattern=SLUG)
    version: int | str
    extends: str
    language: str = "en"
    licence: str | None = None
    description: str | None = None
    translations: dict[str, WordingTranslation] = Field(default_factory=dict)


def _version_key(version: int | str) -> tuple:
    # "2.10" must sort after "2.9", so compare dotted parts as numbers where possible.
    # isdecimal, not isdigit: int() refuses "²"; it refuses 4300+ digits too, so keep parts short.
    parts = str(version).split(".")
    return tuple((0, int(p), "") if p.isdecimal() and len(p) < 20 else (1, 0, p) for p in parts)


@lru_cache(maxsize=1024)
def _latest(versions: tuple[str, ...]) -> str:
    return max(versions, key=_version_key)


@dataclass
class InstrumentLibrary:
    """Served instruments by id and version, plus the files that were rejected."""

    instruments: dict[str, dict[str, Instrument]] = field(default_factory=dict)
    errors: list[DefinitionError] = field(default_factory=list)
    templates: dict[str, Instrument] = field(default_factory=dict)

    def add(self, defn: Instrument, file: str) -> None:
        """Serve a definition; DefinitionError if this id and version is already served."""
        versions = self.instruments.setdefault(defn.id, {})
        if str(defn.version) in versions:
            raise DefinitionError(file, defn.id, f"version {defn.version} is already defined")
        versions[str(defn.version)] = defn

    def get(self, instrument_id: str, version: int | str | None = None) -> Instrument:
        """Return the latest (or the given) version of an instrument; KeyError if unknown."""
        versions = self.instruments.get(instrument_id)
        if not versions:
            raise KeyError(f"unknown instrument {instrument_id!r}")
        if version is None:
            return versions[_latest(tuple(versions))]
        try:
            return versions[str(version)]
        except KeyError:
            raise KeyError(f"instrument {instrument_id!r} has no version {version!r}") from None

    def all(self) -> list[Instrument]:
        """Return the latest version of every served instrument, sorted by id."""
        return [self.get(instrument_id) for instrument_id in sorted(self.instruments)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    # ValueError covers bad JSON and numbers over 4300 digits; RecursionError, deep nesting.
    except (OSError, ValueError, RecursionError) as exc:
        raise DefinitionError(path.name, "(file)", f"not readable JSON: {exc}") from None


def _parse_wording(raw: dict, file: str) -> WordingFile:
    try:
        return WordingFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(clipped(p) for p in first["loc"]) or "(definition)"
        raise DefinitionError(file, where, first["msg"].removeprefix("Value error, ")) from None


def _check_keys(given: dict, known: set[str], file: str, template: str) -> None:
    for key in given:
        if key not in known:
            raise DefinitionError(file, key, f"not an item of template {template!r}")


def _labelled_options(item: dict, wording: WordingTranslation, file: str) -> list[dict]:
    labels = {**wording.option_labels.get(ALL_CHOICE_ITEMS, {})}
    labels.update(wording.option_labels.get(item["id"], {}))
    values = {str(o["value"]) for o in item["options"]}
    unknown = set(wording.option_labels.get(item["id"], {})) - values
    if unknown:
        raise DefinitionError(file, item["id"], f"unknown option values {sorted(unknown)}")
    missing = sorted(values - set(labels))
    if missing:
        raise DefinitionError(file, item["id"], f"no option label for values {missing}")
    return [{**o, "label": labels[str(o["value"])]} for o in item["options"]]


def _worded_item(item: dict, wording: WordingTranslation, file: str) -> dict:
    if item["id"] not in wording.wording:
        raise DefinitionError(file, item["id"], "no wording given for this item")
    merged = {**item, "text": wording.wording[item["id"]]}
    if item["id"] in wording.help:
        merged["help"] = wording.help[item["id"]]
    if item["id"] in wording.anchors:
        merged["anchors"] = wording.anchors[item["id"]]
    if item.get("options"):
        merged["options"] = _labelled_options(item, wording, file)
    return merged


def _check_wording_keys(template: Instrument, wording: WordingTranslation, file: str) -> None:
    known = {item.id for item in template.items}
    for mapping in (wording.wording, wording.help, wording.anchors):
        _check_keys(mapping, known, file, template.id)
    choice_keys = {k: v for k, v in wording.option_labels.items() if k != ALL_CHOICE_ITEMS}
    _check_keys(choice_keys, known, file, template.id)


def _translated_item(item: dict, block: WordingTranslation, file: str) -> dict:
    # The same completeness rules as the main wording, kept in the translation format.
    worded = _worded_item(item, block, file)
    entry = {"text": worded["text"]}
    for key in ("help", "anchors"):
        if item["id"] in getattr(block, key):
            entry[key] = worded[key]
    if item.get("options"):
        entry["option_labels"] = {str(o["value"]): o["label"] for o in worded["options"]}
    return entry


def _translation(template: Instrument, wording: WordingFile, code: str, file: str) -> dict:
    block = wording.translations[code]
    try:
        reason = language_problem(code, wording.language)
        if reason:
            raise DefinitionError(file, "(definition)", reason)
        _check_wording_keys(template, block, file)
        raw_items = template.model_dump(exclude_none=True)["items"]
        items = {item["id"]: _translated_item(item, block, file) for item in raw_items}
    except DefinitionError as exc:
        reason = f"translations.{clipped(code)}: {exc.reason}"
        raise DefinitionError(file, exc.item, reason) from None
    header = block.model_dump(include={"title", "recall_period"}, exclude_none=True)
    return {**header, "items": items}


def merge_wording(template: Instrument, wording: WordingFile, file: str) -> Instrument:
    """Build a served instrument from a template and a clinic's licensed wording."""
    _check_wording_keys(template, wording, file)
    data = template.model_dump(exclude_none=True)
    items = [_worded_item(item, wording, file) for item in data["items"]]
    header = wording.model_dump(
        include={"id", "version", "title", "language", "recall_period", "licence", "description"},
        exclude_none=True,
    )
    codes = wording.translations
    translations = {code: _translation(template, wording, code, file) for code in codes}
    merged = {**data, **header, "items": items, "extends": template.id}
    return parse_definition({**merged, "translations": translations}, file)


def _load_file(path: Path, templates: dict[str, Instrument]) -> Instrument:
    raw = _read_json(path)
    if isinstance(raw, dict) and "extends" in raw:
        wording = _parse_wording(raw, path.name)
        if wording.extends not in templates:
            known = ", ".join(sorted(templates)) or "none"
            reason = f"unknown template {wording.extends!r}; known: {known}"
            raise DefinitionError(path.name, "extends", reason)
        return merge_wording(templates[wording.extends], wording, path.name)
    return parse_definition(raw, path.name)


def load_templates(errors: list[DefinitionError] | None = None) -> dict[str, Instrument]:
    """Load the licensed-instrument scoring templates shipped with NerveTrack."""
    templates: dict[str, Instrument] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        try:
            defn = parse_definition(_read_json(path), path.name)
        except DefinitionError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        templates[defn.id] = defn
    return templates


def _load_dir(library: InstrumentLibrary, directory: Path) -> None:
    for path in sorted(directory.glob("*.json")):
        try:
            library.add(_load_file(path, library.templates), path.name)
        except DefinitionError as exc:
            library.errors.append(exc)


def load_library(extra_dir: Path | None = None) -> InstrumentLibrary:
    """Load built-in instruments, then every *.json in a clinic's directory (errors collected)."""
    library = InstrumentLibrary()
    library.templates = load_templates(library.errors)
    _load_dir(library, BUILTIN_DIR)
    if extra_dir is not None:
        extra = Path(extra_dir)
        if extra.is_dir():
            _load_dir(library, extra)
        else:
            library.errors.append(DefinitionError(str(extra), "(directory)", "not a directory"))
    return library
