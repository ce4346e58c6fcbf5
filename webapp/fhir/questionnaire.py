"""A NerveTrack instrument as a FHIR R4 Questionnaire, the way surveys.fhir_questionnaire reads it.

The mapping (both ways) is in surveys.fhir_questionnaire's docstring. Scores and safety flags
are not part of a Questionnaire: each score is exported as an Observation instead.
"""

from __future__ import annotations

from surveys.fhir_format import (
    EXT_CARRY_FORWARD,
    EXT_NOT_APPLICABLE,
    EXT_PER_REGION,
    EXT_RECALL,
    EXT_SCALE_VERSION,
    EXT_STEP,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL_VALUES,
    SLIDER_STEP,
    TRANSLATION,
)
from surveys.schema import Instrument, Item

SHORT_TEXT = 200  # longer free-text answers are FHIR "text" (multi-line), shorter "string"


def questionnaire_url(base: str, instrument_id: str) -> str:
    """Return an instrument's canonical URL under the clinic's FHIR base."""
    return f"{base}/Questionnaire/{instrument_id}"


def canonical(base: str, instrument_id: str, version: object) -> str:
    """Return the versioned canonical reference (url|version) of an instrument."""
    return f"{questionnaire_url(base, instrument_id)}|{version}"


def translation(lang: str, content: str) -> dict:
    """Return one HL7 translation extension."""
    return {"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": lang},
                                              {"url": "content", "valueString": content}]}


def _translate(element: dict, key: str, texts: dict[str, str | None]) -> None:
    extensions = [translation(lang, text) for lang, text in texts.items() if text]
    if extensions:
        element[f"_{key}"] = {"extension": extensions}


def _item_translations(defn: Instrument, item_id: str) -> dict:
    return {lang: block.items[item_id] for lang, block in defn.translations.items()
            if item_id in block.items}


def _item_control(code: str) -> dict:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {
        "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def _number_ext(url: str, value: float, whole: bool) -> dict:
    if whole and float(value).is_integer():
        return {"url": url, "valueInteger": int(value)}
    return {"url": url, "valueDecimal": value}


def _display(item: Item, suffix: str, text: str, texts: dict[str, str | None]) -> dict:
    child = {"linkId": f"{item.id}.{suffix}", "type": "display", "text": text,
             "extension": [_item_control(suffix)]}
    _translate(child, "text", texts)
    return child


def _children(item: Item, words: dict) -> list[dict]:
    children = []
    if item.help is not None:
        children.append(_display(item, "help", item.help,
                                 {lang: w.help for lang, w in words.items()}))
    if item.anchors is not None:
        for suffix, key in (("lower", "min"), ("upper", "max")):
            texts = {lang: getattr(w.anchors, key) for lang, w in words.items() if w.anchors}
            children.append(_display(item, suffix, getattr(item.anchors, key), texts))
    return children


def _option(value: int | str, label: str, texts: dict[str, str | None]) -> dict:
    coding: dict = {"code": str(value), "display": label}
    if isinstance(value, int):
        # The number NerveTrack scores, so a reader that ignores the code still has it.
        coding["extension"] = [{"url": ORDINAL_VALUES[0], "valueDecimal": value}]
    _translate(coding, "display", texts)
    return {"valueCoding": coding}


def _choice(item: Item, words: dict) -> dict:
    options = [_option(o.value, o.label, {lang: (w.option_labels or {}).get(str(o.value))
                                          for lang, w in words.items()})
               for o in item.options or []]
    return {"type": "choice", **({"repeats": True} if item.type == "multi" else {}),
            "answerOption": options}


def _numeric(item: Item) -> dict:
    whole = item.type == "nrs" or item.integer
    low, high = item.bounds()
    extensions = [_number_ext(MIN_VALUE, low, whole), _number_ext(MAX_VALUE, high, whole)]
    if item.type == "nrs":
        extensions.append(_item_control("slider"))
    if item.step is not None:
        integral = item.type == "nrs" and float(item.step).is_integer()
        extensions.append(_number_ext(SLIDER_STEP if integral else EXT_STEP, item.step,
                                      integral))
    return {"type": "integer" if whole else "decimal", "extension": extensions}


def _typed(item: Item, words: dict) -> dict:
    if item.type in ("single", "multi"):
        return _choice(item, words)
    if item.type in ("nrs", "number"):
        return _numeric(item)
    if item.type == "yesno":
        return {"type": "boolean"}
    return {"type": "text" if item.max_length > SHORT_TEXT else "string",
            "maxLength": item.max_length}


def build_item(defn: Instrument, item: Item) -> dict:
    """Return one instrument item as a Questionnaire item."""
    words = _item_translations(defn, item.id)
    typed = _typed(item, words)
    out = {"linkId": item.id, "text": item.text, "type": typed.pop("type"),
           "required": item.required, **typed}
    _translate(out, "text", {lang: w.text for lang, w in words.items()})
    flags = [{"url": url, "valueBoolean": True} for url, on in (
        (EXT_CARRY_FORWARD, item.carry_forward), (EXT_NOT_APPLICABLE, item.not_applicable)) if on]
    if flags:
        out["extension"] = out.get("extension", []) + flags
    if item.depends_on is not None:
        out["enableWhen"] = [{"question": item.depends_on, "operator": "exists",
                              "answerBoolean": True}]
    children = _children(item, words)
    if children:
        out["item"] = children
    return out


def _header_extensions(defn: Instrument) -> list[dict]:
    extensions = [{"url": EXT_PER_REGION, "valueBoolean": defn.per_region}]
    if defn.recall_period is not None:
        parts = [{"url": "text", "valueString": defn.recall_period}]
        parts += [translation(lang, block.recall_period)
                  for lang, block in defn.translations.items() if block.recall_period]
        extensions.append({"url": EXT_RECALL, "extension": parts})
    if defn.scale_version is not None:
        extensions.append({"url": EXT_SCALE_VERSION, "valueString": defn.scale_version})
    return extensions


def build_questionnaire(defn: Instrument, *, base: str) -> dict:
    """Return an instrument as a FHIR R4 Questionnaire (a JSON-ready dict)."""
    out: dict = {"resourceType": "Questionnaire", "language": defn.language,
                 "extension": _header_extensions(defn),
                 "url": questionnaire_url(base, defn.id), "version": str(defn.version),
                 "title": defn.title, "status": "active", "subjectType": ["Patient"]}
    _translate(out, "title", {lang: block.title for lang, block in defn.translations.items()})
    if defn.extends is not None:
        out["derivedFrom"] = [questionnaire_url(base, defn.extends)]
    for key, value in (("description", defn.description), ("copyright", defn.licence)):
        if value is not None:
            out[key] = value
    out["item"] = [build_item(defn, item) for item in defn.items]
    return out
