"""FHIR R4 Questionnaire items read into NerveTrack items (pure); see surveys.fhir_questionnaire."""

from __future__ import annotations

import re
from typing import Any

from surveys.fhir_format import (
    EXT_CARRY_FORWARD,
    EXT_NOT_APPLICABLE,
    EXT_STEP,
    ITEM_CONTROL,
    MAX_VALUE,
    MIN_VALUE,
    NRS_DEFAULTS,
    ORDINAL_VALUES,
    READ_ITEM_EXTENSIONS,
    SLIDER_STEP,
    Reader,
    as_dict,
    as_list,
    as_number,
    as_text,
    check_extensions,
    extension,
    item_controls,
)
from surveys.translations import clipped


def slug(value: str) -> str:
    """Return an identifier made a NerveTrack slug: lower case, a-z 0-9 - and _ only."""
    return re.sub(r"[^a-z0-9_-]+", "_", value.lower()).strip("_-")


def _item_ids(items: list, reader: Reader) -> dict[str, str]:
    """Return {linkId: item id} for the top-level items; refuse missing and clashing ids."""
    ids: dict[str, str] = {}
    for index, raw in enumerate(items):
        link = as_text(raw.get("linkId")) if isinstance(raw, dict) else None
        if link is None:
            reader.refuse(f"item[{index}]", "an item needs a linkId")
            continue
        made = slug(link)
        clash = next((other for other, taken in ids.items() if taken == made), None)
        if not made or clash is not None or link in ids:
            reader.refuse(clipped(link), "linkId is empty or repeats another once made an id")
        elif made != link:
            reader.note(clipped(link), f"item id {made!r}")
        ids[link] = made
    return ids


def read_items(raw_items: Any, reader: Reader) -> list[dict]:
    """Return NerveTrack items for a Questionnaire's top-level items; refusals go to reader."""
    items = as_list(raw_items)
    if not items:
        reader.refuse("Questionnaire", "no items")
    ids = _item_ids(items, reader)
    read = [_read_item(raw, ids, reader) for raw in items
            if isinstance(raw, dict) and as_text(raw.get("linkId")) in ids]
    return [item for item in read if item is not None]


def _read_item(raw: dict, ids: dict[str, str], reader: Reader) -> dict | None:
    where, item_id = clipped(raw["linkId"]), ids[raw["linkId"]]
    check_extensions(raw, reader, where, READ_ITEM_EXTENSIONS)
    typed = _typed(raw, item_id, reader, where)
    if raw.get("type") in TYPE_HINTS:
        return None  # a group or a loose text: its one refusal says it all
    if raw.get("readOnly"):
        reader.refuse(where, "a read-only item cannot be expressed")
    children = _children(raw, item_id, reader, where)
    depends = _depends_on(raw, ids, reader, where)
    text = as_text(raw.get("text"))
    if text is None:
        reader.refuse(where, "a question needs its text")
    reader.translated(where, raw, "text", "items", item_id, "text")
    if typed is None or text is None:
        return None
    item = {"id": item_id, "type": typed.pop("type"), "text": text, **children}
    if raw.get("required") is not True:
        item["required"] = False  # FHIR's default; NerveTrack's is true
    if depends:
        item["depends_on"] = depends
    for key, url in (("carry_forward", EXT_CARRY_FORWARD), ("not_applicable", EXT_NOT_APPLICABLE)):
        if as_dict(extension(raw, url)).get("valueBoolean") is True:
            item[key] = True
    return {**item, **typed}


TYPE_HINTS = {"group": " (an instrument is one flat list of questions)",
              "display": " outside a question (only help and scale-end labels, under one)"}


def _typed(raw: dict, item_id: str, reader: Reader, where: str) -> dict | None:
    kind = raw.get("type")
    if kind != "choice" and raw.get("answerOption"):
        reader.refuse(where, "answerOption on a question that is not a choice")
    if kind != "choice" and raw.get("repeats"):
        reader.refuse(where, "repeats on a question that is not a choice")
    if kind == "boolean":
        return {"type": "yesno"}
    if kind in ("string", "text"):
        return _text_item(raw, reader, where)
    if kind == "choice":
        return _choice(raw, item_id, reader, where)
    if kind in ("integer", "decimal"):
        return _numeric(kind, raw, reader, where)
    shown = clipped(kind) if isinstance(kind, str) else type(kind).__name__
    reader.refuse(where, f"type {shown!r} cannot be expressed{TYPE_HINTS.get(kind, '')}")
    return None


def _text_item(raw: dict, reader: Reader, where: str) -> dict | None:
    limit = raw.get("maxLength")
    if limit is None:
        return {"type": "text"}
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        reader.refuse(where, "maxLength must be a positive whole number")
        return None
    return {"type": "text", "max_length": limit}


def _bound(raw: dict, url: str, name: str, reader: Reader, where: str) -> int | float | None:
    ext = extension(raw, url)
    if ext is None:
        return None
    value = as_number(ext.get("valueInteger", ext.get("valueDecimal")))
    if value is None:
        reader.refuse(where, f"{name} must be an integer or decimal")
    return value


def _numeric(kind: str, raw: dict, reader: Reader, where: str) -> dict | None:
    low = _bound(raw, MIN_VALUE, "minValue", reader, where)
    high = _bound(raw, MAX_VALUE, "maxValue", reader, where)
    step = (_bound(raw, SLIDER_STEP, "sliderStepValue", reader, where)
            or _bound(raw, EXT_STEP, "step", reader, where))
    if kind == "integer" and "slider" in item_controls(raw):
        typed: dict = {"type": "nrs"}
        for key, value in (("min", low), ("max", high)):
            if value is not None and value != NRS_DEFAULTS[key]:
                typed[key] = value
    elif low is None or high is None:
        reader.refuse(where, f"{kind} questions need minValue and maxValue (answers within bounds)")
        return None
    else:
        typed = {"type": "number", "min": low, "max": high, **({"integer": True}
                                                               if kind == "integer" else {})}
    return {**typed, "step": step} if step is not None else typed


def _choice(raw: dict, item_id: str, reader: Reader, where: str) -> dict | None:
    options = as_list(raw.get("answerOption"))
    if not options:
        reader.refuse(where, "a choice question needs its answerOption list")
        return None
    read = [_option(option, item_id, reader, f"{where}/answerOption[{index}]")
            for index, option in enumerate(options)]
    if any(option is None for option in read):
        return None
    return {"type": "multi" if raw.get("repeats") is True else "single", "options": read}


def _option(option: Any, item_id: str, reader: Reader, where: str) -> dict | None:
    option = as_dict(option)
    check_extensions(option, reader, where, set())
    if option.get("initialSelected"):
        reader.refuse(where, "an answer selected in advance cannot be expressed")
    if "valueCoding" in option:
        return _coded_option(as_dict(option["valueCoding"]), item_id, reader, where)
    number = as_number(option.get("valueInteger"))
    if isinstance(number, int):
        return {"value": number, "label": str(number)}
    label = as_text(option.get("valueString"))
    if label is not None:
        reader.translated(where, option, "valueString", "items", item_id, "option_labels", label)
        return {"value": label, "label": label}
    reader.refuse(where, "only valueCoding, valueInteger and valueString answers can be expressed")
    return None


def _ordinal(coding: dict) -> int | float | None:
    for url in ORDINAL_VALUES:
        ext = extension(coding, url)
        if ext is not None:
            return as_number(ext.get("valueDecimal", ext.get("valueInteger")))
    return None


def _coded_option(coding: dict, item_id: str, reader: Reader, where: str) -> dict | None:
    code = as_text(coding.get("code"))
    if code is None:
        reader.refuse(where, "a coded answer needs its code")
        return None
    value: int | str = code
    ordinal = _ordinal(coding)
    if isinstance(ordinal, int):
        value = ordinal  # the number NerveTrack scores
        if str(ordinal) != code:
            reader.note(where, f"code {clipped(code)!r} is stored as its ordinal value {ordinal}")
    elif ordinal is not None:
        reader.refuse(where, "an ordinal value must be a whole number")
    label = as_text(coding.get("display")) or code
    reader.translated(where, coding, "display", "items", item_id, "option_labels", str(value))
    return {"value": value, "label": label}


CHILD_ROLES = {"help": ("help",), "lower": ("anchors", "min"), "upper": ("anchors", "max")}


def _children(raw: dict, item_id: str, reader: Reader, where: str) -> dict:
    """Return help and anchors from a question's display children; refuse anything else."""
    found: dict = {}
    for index, child in enumerate(as_list(raw.get("item"))):
        child = as_dict(child)
        child_where = f"{where}/{clipped(child.get('linkId') or f'item[{index}]')}"
        roles = item_controls(child) & set(CHILD_ROLES) if child.get("type") == "display" else {}
        text = as_text(child.get("text"))
        path = CHILD_ROLES[min(roles)] if len(roles) == 1 else None
        if path is None or text is None or _dig(found, path) is not None:
            reader.refuse(child_where, "under a question only one help text and one label per "
                          "scale end (display items with itemControl help, lower, upper) fit")
            continue
        check_extensions(child, reader, child_where, {ITEM_CONTROL})
        parent = found.setdefault(path[0], {}) if len(path) == 2 else found
        parent[path[-1]] = text
        reader.translated(child_where, child, "text", "items", item_id, *path)
    if len(found.get("anchors", {"min": 1, "max": 1})) != 2:
        reader.refuse(where, "scale-end labels come in pairs: give both lower and upper")
    return found


def _dig(found: dict, path: tuple[str, ...]) -> Any:
    node: Any = found
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _depends_on(raw: dict, ids: dict[str, str], reader: Reader, where: str) -> str | None:
    conditions = as_list(raw.get("enableWhen"))
    if not conditions:
        return None
    condition = as_dict(conditions[0]) if len(conditions) == 1 else {}
    question = condition.get("question")
    target = ids.get(question) if isinstance(question, str) else None
    if condition.get("operator") == "exists" and condition.get("answerBoolean") is True and target:
        return target
    reader.refuse(where, "enableWhen: only one condition, 'exists' = true on another question "
                  "(ask this once that one is answered), can be expressed")
    return None
