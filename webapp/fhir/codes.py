"""Code systems, units and small builders shared by the FHIR export.

NerveTrack's own code systems live under https://nervetrack.org/fhir (the same at every
clinic, so a registry can pool exports); instrument canonicals and the study-code identifier
live under the clinic's own NERVETRACK_BASE_URL + /fhir.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from surveys.catalogue import get_region
from surveys.fhir_format import HL7_EXT, NT_EXT, NT_FHIR
from webapp.care.trajectory import region_label

SCORE_SYSTEM = f"{NT_FHIR}/CodeSystem/score"
REGION_SYSTEM = f"{NT_FHIR}/CodeSystem/nerve-region"
PROCEDURE_SYSTEM = f"{NT_FHIR}/CodeSystem/procedure"
INJECTATE_SYSTEM = f"{NT_FHIR}/CodeSystem/injectate"
MEASURE_SYSTEM = f"{NT_FHIR}/CodeSystem/ultrasound-measure"
SAFETY_RULE_SYSTEM = f"{NT_FHIR}/CodeSystem/safety-rule"
EXT_REGION, EXT_TIMEPOINT = f"{NT_EXT}/nerve-region", f"{NT_EXT}/timepoint"
LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DATA_ABSENT_EXT = f"{HL7_EXT}/data-absent-reason"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
ACT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SYNTHETIC_TAG = {"system": ACT_REASON_SYSTEM, "code": "HTEST", "display": "test health data"}

# LOINC 72514-3 is a 0-10 numeric rating of pain intensity at one point in time ("Pt"), so it
# fits "pain right now" (nt-pain/pain_now). Worst pain over the past 7 days has a recall
# period that code does not describe: it keeps NerveTrack's own code only, as every other score.
PAIN_NRS = {"system": LOINC, "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
LOINC_SCORES = {("nt-pain", "pain_now"): PAIN_NRS}

HYDRODISSECTION = {"system": PROCEDURE_SYSTEM, "code": "hydrodissection",
                   "display": "Ultrasound-guided nerve hydrodissection"}
NERVE_CSA = {"system": MEASURE_SYSTEM, "code": "nerve-csa",
             "display": "Nerve cross-sectional area (ultrasound)"}
INJECTATE_NAMES = {"D5W": "Dextrose 5% in water", "D15W": "Dextrose 15% in water",
                   "saline": "Saline", "lidocaine": "Lidocaine", "other": "Other injectate"}


def fhir_instant(moment: datetime) -> str:
    """Return an aware datetime as a FHIR dateTime in UTC, e.g. 2026-01-12T10:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_id(base: str, kind: str, key: object) -> str:
    """Return a stable id for one record, so a registry can replace what it had before."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{kind}/{key}"))


def reference(rid: str) -> dict:
    """Return a Reference to a bundle entry by its urn:uuid full URL."""
    return {"reference": f"urn:uuid:{rid}"}


def category(code: str, display: str) -> list[dict]:
    """Return an Observation.category with one HL7 observation-category code."""
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def quantity(value: float, unit: str) -> dict:
    """Return a UCUM Quantity (the unit shown is the UCUM code)."""
    number = int(value) if float(value).is_integer() else value
    return {"value": number, "unit": unit, "system": UCUM, "code": unit}


def region_concept(code: str) -> dict:
    """Return a nerve region as a CodeableConcept: NerveTrack's code, its plain label as text."""
    try:
        get_region(code)
    except KeyError:  # a code from an older catalogue: keep it, without a display
        return {"coding": [{"system": REGION_SYSTEM, "code": code}], "text": code}
    label = region_label(code)
    return {"coding": [{"system": REGION_SYSTEM, "code": code, "display": label}], "text": label}


def contralateral(code: str) -> str | None:
    """Return the same nerve and site on the other side, if the catalogue has it."""
    stem, _, side = code.rpartition("-")
    other = {"left": "right", "right": "left"}.get(side)
    if other is None:
        return None
    try:
        return get_region(f"{stem}-{other}").code
    except KeyError:
        return None
