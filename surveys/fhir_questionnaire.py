"""A FHIR R4 Questionnaire read into a NerveTrack instrument definition (pure).

webapp/fhir/questionnaire.py writes instruments the same way, so an export imports back as it
was. What maps: url's last segment (else id, else name) -> id, made a slug; version; title;
language; description; copyright -> licence; NerveTrack extensions per-region, recall-period,
scale-version. Items: linkId -> id (made a slug), text, required (FHIR's default: false);
boolean -> yesno; string or text -> text (maxLength); choice -> single, or multi if repeats,
with answerOption valueCoding (ordinalValue makes the value a number), valueInteger or
valueString; integer with itemControl slider -> nrs (minValue/maxValue, default 0-10,
sliderStepValue); integer or decimal -> number (minValue and maxValue needed); display
children with itemControl help, lower, upper -> help and anchors; enableWhen of one condition
"question exists = true" -> depends_on; translation extensions -> translations.

Refused, each with its linkId path: groups, display items outside a question, other types,
answerValueSet, initial answers, read-only items, repeats on a non-choice item, other
enableWhen forms, modifierExtension, expressions and answer rules NerveTrack cannot enforce.
Other extensions are ignored and listed in the notes, as FHIR allows for non-modifier ones.

Scores: a Questionnaire carries no NerveTrack scoring rules, so an imported definition has no
scores and no safety flags. Its answers are stored and exported, but nothing is scored or
flagged until the clinic adds "scores" (and "flags") to the file, which the loader validates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from surveys.fhir_format import (
    EXT_PER_REGION,
    EXT_RECALL,
    EXT_SCALE_VERSION,
    Reader,
    as_dict,
    as_list,
    as_text,
    check_extensions,
    extension,
    translation_pairs,
)
from surveys.fhir_items import read_items, slug
from surveys.schema import DefinitionError, parse_definition

__all__ = ["ImportResult", "import_questionnaire", "read_questionnaire_json"]

WHERE = "Questionnaire"
READ_EXTENSIONS = {EXT_PER_REGION, EXT_RECALL, EXT_SCALE_VERSION}


@dataclass
class ImportResult:
    """A definition (a dict to save as JSON) or the refusals, and notes on what was left out."""

    definition: dict | None
    refusals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_questionnaire_json(text: str) -> ImportResult:
    """Import a Questionnaire from JSON text; unreadable JSON is a refusal, never an error."""
    try:
        raw = json.loads(text)
    # ValueError: bad JSON or a number over 4300 digits; RecursionError: absurd nesting.
    except (ValueError, RecursionError):
        return ImportResult(None, [f"{WHERE}: the file is not readable JSON"])
    try:  # "\ud800" is valid JSON but no text: it could be neither shown nor saved
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return ImportResult(None, [f"{WHERE}: the file holds a broken character (a lone "
                                   "surrogate escape such as \\ud800)"])
    return import_questionnaire(raw)


def import_questionnaire(raw: Any) -> ImportResult:
    """Read a FHIR R4 Questionnaire (parsed JSON) into an instrument definition, or refuse."""
    if not isinstance(raw, dict) or raw.get("resourceType") != "Questionnaire":
        return ImportResult(None, [f"{WHERE}: not a FHIR Questionnaire (resourceType)"])
    reader = Reader()
    check_extensions(raw, reader, WHERE, READ_EXTENSIONS)
    header = _header(raw, reader)
    items = read_items(raw.get("item"), reader)
    if reader.refusals:
        return ImportResult(None, reader.refusals, reader.notes)
    definition = {**header, "items": items, "scores": [], "flags": []}
    if reader.translations:
        definition["translations"] = reader.translations
    try:
        parse_definition(definition, WHERE)
    except DefinitionError as exc:
        return ImportResult(None, [f"{exc.item}: {exc.reason}"], reader.notes)
    return ImportResult(definition, [], reader.notes)


def _header(raw: dict, reader: Reader) -> dict:
    title = as_text(raw.get("title"))
    if title is None:
        reader.refuse(WHERE, "a Questionnaire needs a title")
    reader.translated(WHERE, raw, "title", "title")
    header = {"id": _instrument_id(raw, reader), "version": _version(raw, reader),
              "title": title, "language": _language(raw, reader)}
    recall = _recall_period(raw, reader)
    if recall is not None:
        header["recall_period"] = recall
    header["per_region"] = as_dict(extension(raw, EXT_PER_REGION)).get("valueBoolean") is True
    scale = as_text(as_dict(extension(raw, EXT_SCALE_VERSION)).get("valueString"))
    for key, value in (("licence", as_text(raw.get("copyright"))), ("scale_version", scale),
                       ("description", as_text(raw.get("description")))):
        if value is not None:
            header[key] = value
    if raw.get("derivedFrom"):
        reader.note(WHERE, "derivedFrom is not kept: to score a licensed instrument with "
                    "NerveTrack's template, load its wording with an 'extends' file instead")
    return header


def _instrument_id(raw: dict, reader: Reader) -> str:
    for key in ("url", "id", "name"):
        value = as_text(raw.get(key))
        if value is None:
            continue
        source = value.rstrip("/").rsplit("/", 1)[-1] if key == "url" else value
        made = slug(source)
        if made:
            if made != source:
                reader.note(WHERE, f"instrument id {made!r}, made from its {key}")
            return made
    reader.refuse(WHERE, "no url, id or name to make the instrument id from")
    return ""


def _version(raw: dict, reader: Reader) -> int | str:
    version = as_text(raw.get("version"))
    if version is None:
        reader.note(WHERE, "no version: version 1")
        return 1
    # Short whole numbers become integers, as in NerveTrack's own files ("version": 1).
    return int(version) if version.isdecimal() and len(version) < 10 else version


def _language(raw: dict, reader: Reader) -> str:
    language = as_text(raw.get("language"))
    if language is None:
        reader.note(WHERE, "no language: English (en) assumed")
        return "en"
    return language


def _recall_period(raw: dict, reader: Reader) -> str | None:
    parts = as_list(as_dict(extension(raw, EXT_RECALL)).get("extension"))
    text = next((as_text(p.get("valueString")) for p in parts
                 if isinstance(p, dict) and p.get("url") == "text"), None)
    for lang, content in translation_pairs(parts, reader, WHERE):
        reader.put(lang, content, "recall_period")
    return text
