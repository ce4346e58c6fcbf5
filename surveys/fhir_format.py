"""The Questionnaire format NerveTrack reads and writes: URLs, and a tolerant JSON reader (pure).

webapp/fhir/questionnaire.py writes with these URLs and surveys.fhir_questionnaire reads them,
so an exported instrument imports back as it was. A hostile or foreign file never raises here:
anything of the wrong shape reads as absent, and the caller says what is missing.
"""

from __future__ import annotations

from typing import Any

from surveys.translations import clipped

NT_FHIR = "https://nervetrack.org/fhir"  # NerveTrack's own systems: the same at every clinic
NT_EXT = f"{NT_FHIR}/StructureDefinition"
EXT_PER_REGION, EXT_RECALL = f"{NT_EXT}/per-region", f"{NT_EXT}/recall-period"
EXT_SCALE_VERSION, EXT_STEP = f"{NT_EXT}/scale-version", f"{NT_EXT}/step"
EXT_CARRY_FORWARD, EXT_NOT_APPLICABLE = f"{NT_EXT}/carry-forward", f"{NT_EXT}/not-applicable"
HL7_EXT = "http://hl7.org/fhir/StructureDefinition"
ITEM_CONTROL, ITEM_CONTROL_SYSTEM = (f"{HL7_EXT}/questionnaire-itemControl",
                                     "http://hl7.org/fhir/questionnaire-item-control")
MIN_VALUE, MAX_VALUE = f"{HL7_EXT}/minValue", f"{HL7_EXT}/maxValue"
SLIDER_STEP, TRANSLATION = f"{HL7_EXT}/questionnaire-sliderStepValue", f"{HL7_EXT}/translation"
ORDINAL_VALUES = (f"{HL7_EXT}/ordinalValue", f"{HL7_EXT}/itemWeight")
NRS_DEFAULTS = {"min": 0, "max": 10}
READ_ITEM_EXTENSIONS = {ITEM_CONTROL, MIN_VALUE, MAX_VALUE, SLIDER_STEP, EXT_STEP,
                        EXT_CARRY_FORWARD, EXT_NOT_APPLICABLE}
# Extensions that change what is asked or which answers are valid: ignoring them would serve
# a different questionnaire, so they are refused.
RULE_EXTENSIONS = ("expression", "Expression", "questionnaire-hidden", "regex", "minLength",
                   "maxDecimalPlaces", "minOccurs", "maxOccurs", "questionnaire-constraint",
                   "unitOption", "maxSize", "mimeType")
UNEXPRESSIBLE = {"initial": "an initial (pre-filled) answer", "answerValueSet":
                 "answers from a value set (list them as answerOption)",
                 "modifierExtension": "a modifier extension"}


class Reader:
    """Collects refusals, notes and translations while a Questionnaire is read."""

    def __init__(self) -> None:
        self.refusals: list[str] = []
        self.notes: list[str] = []
        self.translations: dict[str, dict] = {}

    def refuse(self, where: str, what: str) -> None:
        self.refusals.append(f"{where}: {what}")

    def note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def translated(self, where: str, element: dict, key: str, *path: str) -> None:
        """Keep the translation extensions of element's primitive `key` under path."""
        primitive = element.get(f"_{key}")
        exts = as_list(primitive.get("extension")) if isinstance(primitive, dict) else []
        for lang, content in translation_pairs(exts, self, where):
            self.put(lang, content, *path)

    def put(self, lang: str, content: str, *path: str) -> None:
        """Store one translated string at translations[lang][path...]."""
        node = self.translations.setdefault(lang, {})
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = content


def as_list(value: Any) -> list:
    """Return value if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    """Return value if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    """Return value if it is a non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def as_number(value: Any) -> int | float | None:
    """Return a JSON number (whole values as int), else None."""
    # bool is an int in Python but never a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else value


def translation_pairs(exts: list, reader: Reader, where: str) -> list[tuple[str, str]]:
    """Return (lang, content) of the translation extensions in exts."""
    pairs = []
    for ext in exts:
        if not isinstance(ext, dict) or ext.get("url") != TRANSLATION:
            continue
        parts = {p.get("url"): p for p in as_list(ext.get("extension")) if isinstance(p, dict)}
        lang = as_text(as_dict(parts.get("lang")).get("valueCode"))
        content = as_text(as_dict(parts.get("content")).get("valueString"))
        if lang and content:
            pairs.append((lang, content))
        else:
            reader.refuse(where, "a translation needs a lang and a content")
    return pairs


def extension(element: dict, url: str) -> dict | None:
    """Return element's first extension with this url, if any."""
    return next((e for e in as_list(element.get("extension"))
                 if isinstance(e, dict) and e.get("url") == url), None)


def item_controls(element: dict) -> set[str]:
    """Return the itemControl codes of an item."""
    ext = extension(element, ITEM_CONTROL) or {}
    codings = as_list(as_dict(ext.get("valueCodeableConcept")).get("coding"))
    return {c.get("code") for c in codings if isinstance(c, dict)}


def url_name(url: str) -> str:
    """Return the last segment of a URL (what names an extension), short enough to print."""
    return clipped(url.rstrip("/").rsplit("/", 1)[-1])


def check_extensions(element: dict, reader: Reader, where: str, read: set[str]) -> None:
    """Refuse rule-changing extensions and elements; note the extensions left unread."""
    for ext in as_list(element.get("extension")):
        url = ext.get("url") if isinstance(ext, dict) else None
        if not isinstance(url, str):
            reader.refuse(where, "an extension without a url")
        elif any(word in url for word in RULE_EXTENSIONS):
            reader.refuse(where, f"extension {url_name(url)} cannot be expressed")
        elif url not in read:
            reader.note(where, f"extension {url_name(url)} ignored")
    for key, what in UNEXPRESSIBLE.items():
        if element.get(key):
            reader.refuse(where, f"{what} cannot be expressed")
