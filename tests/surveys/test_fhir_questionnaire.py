"""Importing a FHIR R4 Questionnaire: what maps, what is refused (and where), hostile files."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.fhir_format import HL7_EXT, ITEM_CONTROL, ITEM_CONTROL_SYSTEM, MAX_VALUE, MIN_VALUE
from surveys.fhir_questionnaire import import_questionnaire, read_questionnaire_json
from surveys.loader import load_library
from surveys.schema import parse_definition

LOINC = "http://loinc.org"


def _control(code: str) -> dict:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {
        "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def _coded(code: str, display: str, ordinal: int | None = None) -> dict:
    coding = {"system": LOINC, "code": code, "display": display}
    if ordinal is not None:
        coding["extension"] = [{"url": f"{HL7_EXT}/ordinalValue", "valueDecimal": ordinal}]
    return {"valueCoding": coding}


# A foreign form written as other systems write them: upper-case linkIds, LOINC answer codes
# with ordinal values, a pain slider, a help text, a condition on an earlier answer.
FOREIGN = {
    "resourceType": "Questionnaire", "status": "active", "language": "en",
    "url": "http://forms.example.org/Questionnaire/Hand-Pain", "version": "2",
    "title": "Hand pain form", "copyright": "Example licence",
    "item": [
        {"linkId": "Q1", "type": "integer", "text": "Pain now", "required": True,
         "extension": [{"url": MIN_VALUE, "valueInteger": 0},
                       {"url": MAX_VALUE, "valueInteger": 10}, _control("slider")],
         "item": [{"linkId": "Q1-help", "type": "display", "text": "0 is no pain",
                   "extension": [_control("help")]}]},
        {"linkId": "Q2", "type": "choice", "text": "Night waking",
         "extension": [{"url": f"{HL7_EXT}/questionnaire-choiceOrientation",
                        "valueCode": "horizontal"}],
         "answerOption": [_coded("LA6270-8", "Never", 0), _coded("LA10066-1", "Rarely", 1)]},
        {"linkId": "Q3", "type": "boolean", "text": "Numb fingers?"},
        {"linkId": "Q4", "type": "string", "text": "Which fingers?", "maxLength": 80,
         "enableWhen": [{"question": "Q3", "operator": "exists", "answerBoolean": True}]},
        {"linkId": "Q5", "type": "decimal", "text": "Grip (kg)",
         "extension": [{"url": MIN_VALUE, "valueDecimal": 0},
                       {"url": MAX_VALUE, "valueDecimal": 80.5}]},
        {"linkId": "Q6", "type": "choice", "repeats": True, "text": "Which hand",
         "answerOption": [{"valueString": "left"}, {"valueString": "right"}]},
    ],
}


def test_a_foreign_form_maps_to_a_definition_with_notes():
    result = import_questionnaire(FOREIGN)
    assert result.refusals == []
    definition = result.definition
    assert (definition["id"], definition["version"], definition["licence"]) == \
        ("hand-pain", 2, "Example licence")
    items = {item["id"]: item for item in definition["items"]}
    assert items["q1"] == {"id": "q1", "type": "nrs", "text": "Pain now",
                           "help": "0 is no pain"}
    assert items["q2"]["options"] == [{"value": 0, "label": "Never"},
                                      {"value": 1, "label": "Rarely"}]
    assert items["q2"]["required"] is False  # FHIR's default
    assert items["q3"]["type"] == "yesno"
    assert (items["q4"]["max_length"], items["q4"]["depends_on"]) == (80, "q3")
    assert (items["q5"]["type"], items["q5"]["min"], items["q5"]["max"]) == ("number", 0, 80.5)
    assert items["q6"]["type"] == "multi"
    assert (definition["scores"], definition["flags"]) == ([], [])
    assert "Q1: item id 'q1'" in result.notes
    assert any("'LA6270-8' is stored as its ordinal value 0" in n for n in result.notes)
    assert "Q2: extension questionnaire-choiceOrientation ignored" in result.notes
    parse_definition(definition, "imported")


def test_an_imported_definition_loads_from_the_clinic_folder(tmp_path):
    result = import_questionnaire(FOREIGN)
    (tmp_path / "hand-pain.json").write_text(json.dumps(result.definition), encoding="utf-8")
    library = load_library(tmp_path)
    assert library.errors == []
    served = library.get("hand-pain", 2)
    assert [item.id for item in served.items] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert served.scores == []


def _changed(path: tuple, value) -> dict:
    """FOREIGN with one element replaced (path of keys and indexes); None deletes it."""
    raw = copy.deepcopy(FOREIGN)
    node = raw
    for step in path[:-1]:
        node = node[step]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


ATTACHMENT = {"linkId": "scan", "type": "attachment", "text": "Upload a scan"}
GROUP = {"linkId": "g1", "type": "group", "text": "Section", "item": [copy.deepcopy(
    FOREIGN["item"][2])]}


@pytest.mark.parametrize(("raw", "expected"), [
    (_changed(("item", 2), ATTACHMENT), "scan: type 'attachment' cannot be expressed"),
    (_changed(("item", 2), GROUP), "g1: type 'group' cannot be expressed (an instrument is "
                                   "one flat list of questions)"),
    (_changed(("item", 0, "item", 0, "type"), "group"),
     "Q1/Q1-help: under a question only one help text"),
    (_changed(("item", 1, "item"), [copy.deepcopy(FOREIGN["item"][2])]),
     "Q2/Q3: under a question only one help text"),
    (_changed(("item", 3, "enableWhen", 0, "operator"), "="), "Q4: enableWhen: only one"),
    (_changed(("item", 3, "enableWhen"), [{"question": "Q3", "operator": "exists",
                                           "answerBoolean": True},
                                          {"question": "Q1", "operator": "exists",
                                           "answerBoolean": True}]), "Q4: enableWhen"),
    (_changed(("item", 3, "enableWhen", 0, "question"), "nowhere"), "Q4: enableWhen"),
    (_changed(("item", 1, "answerOption"), None), "Q2: a choice question needs its answerOption"),
    (_changed(("item", 1, "answerValueSet"), "http://loinc.org/vs/LL358-3"),
     "Q2: answers from a value set (list them as answerOption) cannot be expressed"),
    (_changed(("item", 1, "answerOption", 1), {"valueDate": "2026-01-01"}),
     "Q2/answerOption[1]: only valueCoding, valueInteger and valueString"),
    (_changed(("item", 1, "answerOption", 1, "initialSelected"), True),
     "Q2/answerOption[1]: an answer selected in advance cannot be expressed"),
    (_changed(("item", 4, "extension"), []), "Q5: decimal questions need minValue and maxValue"),
    (_changed(("item", 2, "initial"), [{"valueBoolean": True}]),
     "Q3: an initial (pre-filled) answer cannot be expressed"),
    (_changed(("item", 2, "readOnly"), True), "Q3: a read-only item cannot be expressed"),
    (_changed(("item", 3, "repeats"), True), "Q4: repeats on a question that is not a choice"),
    (_changed(("item", 2, "modifierExtension"), [{"url": "http://x", "valueBoolean": True}]),
     "Q3: a modifier extension cannot be expressed"),
    (_changed(("item", 4, "extension"), [*FOREIGN["item"][4]["extension"], {
        "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"
               "calculatedExpression", "valueExpression": {"language": "text/fhirpath"}}]),
     "Q5: extension sdc-questionnaire-calculatedExpression cannot be expressed"),
    (_changed(("item", 2, "text"), None), "Q3: a question needs its text"),
    (_changed(("item", 2, "linkId"), "Q1"), "Q1: linkId is empty or repeats another"),
    (_changed(("item", 0, "item", 0, "extension", 0), _control("lower")),
     "Q1: scale-end labels come in pairs"),
    (_changed(("item",), []), "Questionnaire: no items"),
    (_changed(("title",), None), "Questionnaire: a Questionnaire needs a title"),
    (_changed(("_title",), {"extension": [{"url": f"{HL7_EXT}/translation", "extension": [
        {"url": "lang", "valueCode": "de"}, {"url": "content", "valueString": "Handschmerz"}]}]}),
     "translations.de: unknown language 'de'"),
    (_changed(("resourceType",), "Patient"), "Questionnaire: not a FHIR Questionnaire"),
])
def test_what_cannot_be_expressed_is_refused_with_where(raw, expected):
    result = import_questionnaire(raw)
    assert result.definition is None
    assert any(expected in refusal for refusal in result.refusals), result.refusals


def test_every_refusal_is_listed_not_only_the_first():
    raw = _changed(("item", 2), ATTACHMENT)
    raw["item"][3]["enableWhen"][0]["operator"] = "!="
    raw["item"].append({"linkId": "extra", "type": "display", "text": "Thanks"})
    result = import_questionnaire(raw)
    wheres = [refusal.split(":", 1)[0] for refusal in result.refusals]
    assert wheres == ["scan", "Q4", "extra"]


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", "the file is not readable JSON"),
    ("[1, 2]", "not a FHIR Questionnaire"),
    ("[" * 100_000, "the file is not readable JSON"),
    ('{"resourceType": "Questionnaire", "item": "x"}', "no items"),
    ('{"resourceType": "Questionnaire", "title": "\\ud800"}', "holds a broken character"),
])
def test_unreadable_files_are_refusals(text, expected):
    result = read_questionnaire_json(text)
    assert result.definition is None
    assert any(expected in refusal for refusal in result.refusals)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["linkId", "type", "text", "item", "answerOption", "valueCoding",
                         "code", "extension", "url", "enableWhen", "question", "operator",
                         "answerBoolean", "required", "repeats", "maxLength", "title",
                         "_text", "valueInteger", "valueDecimal", "valueString"]),
        inner, max_size=5),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(items=JSON_VALUES, title=JSON_VALUES)
def test_any_json_is_read_without_an_exception(items, title):
    result = import_questionnaire({"resourceType": "Questionnaire", "title": title,
                                   "item": items})
    assert (result.definition is None) == bool(result.refusals)
