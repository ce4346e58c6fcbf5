"""Treatment records as FHIR R4 resources: the procedure, what was injected, CSA, adverse events.

One Procedure per procedure record (one region in one performed session), with the region as
body site and the clinician's note of any complication. A MedicationAdministration, partOf
that Procedure, carries the injectate and the volume in mL. Each measured cross-sectional
area (the treated side, and the other side when measured) is an imaging Observation in mm2.
Safety flags of kind adverse_event (raised from the patient's after-session answers) are
AdverseEvents, whose suspect entities are the procedures of the last session before them.
"""

from __future__ import annotations

from webapp.fhir.codes import (
    HYDRODISSECTION,
    INJECTATE_NAMES,
    INJECTATE_SYSTEM,
    NERVE_CSA,
    SAFETY_RULE_SYSTEM,
    SERIOUSNESS_SYSTEM,
    category,
    contralateral,
    fhir_instant,
    quantity,
    reference,
    region_concept,
    resource_id,
)
from webapp.fhir.records import Performed
from webapp.models import SafetyFlag

SERIOUSNESS = {"serious": ("serious", "Serious"), "watch": ("non-serious", "Non-serious")}


def procedure_id(base: str, row: Performed) -> str:
    """Return the stable id of a procedure record's Procedure."""
    return resource_id(base, "Procedure", row.record.id)


def procedure_resource(row: Performed, *, base: str, patient: dict) -> dict:
    """Return one hydrodissection of one region as a completed Procedure."""
    record = row.record
    out = {"resourceType": "Procedure", "id": procedure_id(base, row), "status": "completed",
           "code": {"coding": [HYDRODISSECTION], "text": HYDRODISSECTION["display"]},
           "subject": patient, "performedDateTime": fhir_instant(row.performed_at),
           "bodySite": [region_concept(record.region_code)]}
    if record.adverse_events:
        out["complication"] = [{"text": record.adverse_events}]
    return out


def injectate_concept(code: str, concentration: str | None) -> dict:
    """Return an injectate as NerveTrack's code, named in words with its concentration."""
    name = INJECTATE_NAMES.get(code, code)
    text = f"{name} ({concentration})" if concentration else name
    return {"coding": [{"system": INJECTATE_SYSTEM, "code": code, "display": name}],
            "text": text}


def administration_resource(row: Performed, *, base: str, patient: dict) -> dict:
    """Return what was injected, partOf its Procedure, with the volume in mL when recorded."""
    record = row.record
    out = {"resourceType": "MedicationAdministration",
           "id": resource_id(base, "MedicationAdministration", record.id),
           "status": "completed", "partOf": [reference(procedure_id(base, row))],
           "medicationCodeableConcept": injectate_concept(record.injectate,
                                                          record.concentration),
           "subject": patient, "effectiveDateTime": fhir_instant(row.performed_at)}
    if record.volume_ml is not None:
        out["dosage"] = {"site": region_concept(record.region_code),
                         "dose": quantity(record.volume_ml, "mL")}
    return out


def _csa(row: Performed, region: str, value: float, key: str, *, base: str,
         patient: dict) -> dict:
    return {"resourceType": "Observation", "id": resource_id(base, "Observation", key),
            "status": "final", "category": category("imaging", "Imaging"),
            "code": {"coding": [NERVE_CSA], "text": NERVE_CSA["display"]}, "subject": patient,
            "effectiveDateTime": fhir_instant(row.performed_at),
            "partOf": [reference(procedure_id(base, row))],
            "bodySite": region_concept(region), "valueQuantity": quantity(value, "mm2")}


def csa_observations(row: Performed, *, base: str, patient: dict) -> list[dict]:
    """Return the cross-sectional areas measured in a procedure (this side, the other side)."""
    record = row.record
    out = []
    if record.csa_mm2 is not None:
        out.append(_csa(row, record.region_code, record.csa_mm2, f"csa-{record.id}",
                        base=base, patient=patient))
    other = contralateral(record.region_code)
    if record.contralateral_csa_mm2 is not None and other is not None:
        out.append(_csa(row, other, record.contralateral_csa_mm2,
                        f"csa-contralateral-{record.id}", base=base, patient=patient))
    return out


def _suspects(flag: SafetyFlag, performed: list[Performed], base: str) -> list[dict]:
    before = [row.performed_at for row in performed if row.performed_at <= flag.raised_at]
    if not before:
        return []
    last = max(before)
    return [{"instance": reference(procedure_id(base, row))}
            for row in performed if row.performed_at == last]


def adverse_event_resource(flag: SafetyFlag, performed: list[Performed], *, base: str,
                           patient: dict) -> dict:
    """Return an adverse-event safety flag as an actual AdverseEvent."""
    code, display = SERIOUSNESS.get(flag.severity, SERIOUSNESS["watch"])
    out = {"resourceType": "AdverseEvent",
           "id": resource_id(base, "AdverseEvent", flag.id), "actuality": "actual",
           "event": {"coding": [{"system": SAFETY_RULE_SYSTEM, "code": flag.rule_id}],
                     "text": flag.detail},
           "subject": patient, "detected": fhir_instant(flag.raised_at),
           "recordedDate": fhir_instant(flag.raised_at),
           "seriousness": {"coding": [{"system": SERIOUSNESS_SYSTEM, "code": code,
                                       "display": display}]}}
    suspects = _suspects(flag, performed, base)
    if suspects:
        out["suspectEntity"] = suspects
    return out
