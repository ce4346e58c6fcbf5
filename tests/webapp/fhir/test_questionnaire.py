"""Every instrument exports as a valid R4 Questionnaire and imports back identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from surveys.fhir_format import ITEM_CONTROL, MAX_VALUE, MIN_VALUE, TRANSLATION
from surveys.fhir_questionnaire import import_questionnaire
from surveys.loader import load_library
from surveys.schema import parse_definition
from webapp.fhir.questionnaire import build_questionnaire

FIXTURES = Path(__file__).parents[2] / "fixtures" / "instruments"
LIBRARY = load_library(FIXTURES)
BASE = "https://nervetrack.example/fhir"
# Built-ins and the clinic fixtures (licensed templates worded with placeholder text, in one
# or two languages), then the bare templates themselves.
INSTRUMENTS = {defn.id: defn for defn in LIBRARY.all()} | {
    f"template:{defn.id}": defn for defn in LIBRARY.templates.values()}


def test_the_fixture_library_loads_cleanly():
    assert LIBRARY.errors == []
    assert {"nt-pain", "nt-psfs", "quickdash-fr-fa", "template:bctq"} <= set(INSTRUMENTS)


@pytest.mark.parametrize("key", sorted(INSTRUMENTS))
def test_export_validates_and_imports_back_identical(key):
    defn = INSTRUMENTS[key]
    exported = build_questionnaire(defn, base=BASE)
    Questionnaire.model_validate(exported)
    assert (exported["url"], exported["version"]) == (f"{BASE}/Questionnaire/{defn.id}",
                                                     str(defn.version))
    result = import_questionnaire(json.loads(json.dumps(exported)))
    assert result.refusals == []
    imported = parse_definition(result.definition, "round trip")
    # A Questionnaire carries no scoring rules or flags, and "extends" would make the loader
    # read the file as wording for a template: those three are the only differences.
    assert imported == defn.model_copy(update={"scores": [], "flags": [], "extends": None})


def test_an_nrs_is_a_bounded_integer_slider_with_labelled_ends():
    exported = build_questionnaire(LIBRARY.get("nt-pain"), base=BASE)
    item = exported["item"][0]
    assert item["type"] == "integer" and item["required"] is True
    urls = {ext["url"]: ext for ext in item["extension"]}
    assert (urls[MIN_VALUE]["valueInteger"], urls[MAX_VALUE]["valueInteger"]) == (0, 10)
    assert urls[ITEM_CONTROL]["valueCodeableConcept"]["coding"][0]["code"] == "slider"
    children = {child["linkId"]: child for child in item["item"]}
    assert children["pain_now.lower"]["text"] == "No pain"
    french = [ext for ext in children["pain_now.lower"]["_text"]["extension"]
              if ext["url"] == TRANSLATION and ext["extension"][0]["valueCode"] == "fr"]
    assert french[0]["extension"][1]["valueString"] == "Pas de douleur"


def test_choice_options_carry_their_scored_value_and_a_dependency_is_enable_when():
    pgic = build_questionnaire(LIBRARY.get("nt-pgic"), base=BASE)["item"][0]
    first = pgic["answerOption"][0]["valueCoding"]
    assert (first["code"], first["display"], first["extension"][0]["valueDecimal"]) == \
        ("1", "Very much better", 1)
    psfs = {item["linkId"]: item for item in
            build_questionnaire(LIBRARY.get("nt-psfs"), base=BASE)["item"]}
    assert psfs["rating_2"]["enableWhen"] == [{"question": "activity_2", "operator": "exists",
                                               "answerBoolean": True}]
