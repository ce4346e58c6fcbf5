"""Checking FHIR exports: fhir.resources' R4B models, plus the codes those models do not enforce."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from webapp.fhir.codes import (
    OBSERVATION_CATEGORY,
    REGION_SYSTEM,
    SCORE_SYSTEM,
    UCUM,
)

UTC_INSTANT_KEYS = ("timestamp", "authored", "effectiveDateTime", "performedDateTime",
                    "detected", "recordedDate")


def validate_bundle(bundle: dict) -> Counter:
    """Validate a bundle and each of its resources with the R4B models; return type counts."""
    Bundle.model_validate(bundle)
    counts: Counter = Counter()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        counts[resource["resourceType"]] += 1
    assert len({entry["fullUrl"] for entry in bundle["entry"]}) == len(bundle["entry"])
    return counts


def _references(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


def _instants(node) -> list[str]:
    if isinstance(node, dict):
        found = [node[k] for k in UTC_INSTANT_KEYS if isinstance(node.get(k), str)]
        return found + [t for value in node.values() for t in _instants(value)]
    if isinstance(node, list):
        return [t for value in node for t in _instants(value)]
    return []


def by_type(bundle: dict, kind: str) -> list[dict]:
    """Return the bundle's resources of one type."""
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def resolve(bundle: dict, ref: dict) -> dict:
    """Return the bundle entry's resource a Reference points to (KeyError if none)."""
    entries = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    return entries[ref["reference"]]


def check_required_codes(bundle: dict) -> None:
    """Our own checks: references resolve, UTC times, codes and UCUM units where required."""
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert set(_references(bundle)) <= urls
    for text in _instants(bundle):
        assert text.endswith("Z") and datetime.fromisoformat(text).utcoffset().seconds == 0
    for observation in by_type(bundle, "Observation"):
        _check_observation(bundle, observation)
    for administration in by_type(bundle, "MedicationAdministration"):
        assert resolve(bundle, administration["partOf"][0])["resourceType"] == "Procedure"
        assert administration["medicationCodeableConcept"]["coding"][0]["code"]
        dose = administration.get("dosage", {}).get("dose")
        assert dose is None or (dose["system"], dose["code"]) == (UCUM, "mL")
    for procedure in by_type(bundle, "Procedure"):
        assert procedure["code"]["coding"] and procedure["bodySite"][0]["coding"][0]["system"] \
            == REGION_SYSTEM
    for event in by_type(bundle, "AdverseEvent"):
        assert event["event"]["coding"][0]["code"] and event["seriousness"]["coding"]


def _check_observation(bundle: dict, observation: dict) -> None:
    codings = observation["code"]["coding"]
    assert codings and all(c.get("system") and c.get("code") for c in codings)
    kinds = {c["code"] for cat in observation["category"] for c in cat["coding"]
             if c["system"] == OBSERVATION_CATEGORY}
    if kinds == {"survey"}:
        assert any(c["system"] == SCORE_SYSTEM for c in codings)
        source = resolve(bundle, observation["derivedFrom"][0])
        assert source["resourceType"] == "QuestionnaireResponse"
        unit = observation.get("valueQuantity", {"system": UCUM, "code": "{score}"})
        assert (unit["system"], unit["code"]) == (UCUM, "{score}")
        assert "valueQuantity" in observation or "dataAbsentReason" in observation
    else:
        assert kinds == {"imaging"}
        quantity = observation["valueQuantity"]
        assert (quantity["system"], quantity["code"]) == (UCUM, "mm2")
        assert resolve(bundle, observation["partOf"][0])["resourceType"] == "Procedure"
    if "bodySite" in observation:
        site = observation["bodySite"]
        assert site["coding"][0]["system"] == REGION_SYSTEM and site["text"]
