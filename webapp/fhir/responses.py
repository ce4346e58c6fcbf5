"""The patient, their answers and their scores as FHIR R4 resources (JSON-ready dicts)."""

from __future__ import annotations

from surveys.answer_input import NOT_APPLICABLE
from surveys.schema import Instrument, Item
from surveys.scoring import is_missing
from webapp.fhir.codes import (
    DATA_ABSENT_EXT,
    DATA_ABSENT_SYSTEM,
    EXT_REGION,
    EXT_TIMEPOINT,
    LOINC_SCORES,
    SCORE_SYSTEM,
    SYNTHETIC_TAG,
    category,
    fhir_instant,
    quantity,
    reference,
    region_concept,
    resource_id,
)
from webapp.fhir.questionnaire import build_questionnaire, canonical
from webapp.fhir.records import Answered
from webapp.models import Patient, SurveyScore


def patient_resource(patient: Patient, *, base: str, include_identity: bool) -> dict:
    """Return the Patient: study code only, unless the clinic opted in to name and contacts."""
    out: dict = {"resourceType": "Patient", "id": resource_id(base, "Patient", patient.id),
                 "identifier": [{"system": f"{base}/study-code", "value": patient.study_code}]}
    if patient.synthetic:
        out["meta"] = {"tag": [SYNTHETIC_TAG]}
    if include_identity:
        out["name"] = [{"given": [patient.first_name]}]
        telecom = [{"system": kind, "value": value}
                   for kind, value in (("email", patient.email), ("phone", patient.phone))
                   if value]
        if telecom:
            out["telecom"] = telecom
        out["communication"] = [{"language": {"coding": [
            {"system": "urn:ietf:bcp:47", "code": patient.language}]}}]
    return out


def questionnaire_resource(defn: Instrument, *, base: str) -> dict:
    """Return an instrument version as a Questionnaire with a stable id."""
    rid = resource_id(base, "Questionnaire", f"{defn.id}|{defn.version}")
    return {**build_questionnaire(defn, base=base), "id": rid}


def _answer(item: Item | None, value: object) -> dict:
    if item is not None and item.options:
        labels = {str(o.value): o.label for o in item.options}
        return {"valueCoding": {"code": str(value), "display": labels.get(str(value),
                                                                          str(value))}}
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int | float):
        decimal = item is not None and item.type == "number" and not item.integer
        if decimal or not float(value).is_integer():
            return {"valueDecimal": value}
        return {"valueInteger": int(value)}
    return {"valueString": str(value)}


def _response_item(item_id: str, item: Item | None, value: object) -> dict:
    out: dict = {"linkId": item_id}
    if item is not None:
        out["text"] = item.text
    if value == NOT_APPLICABLE:
        # "Does not apply to me": no answer, and the reason why, as FHIR says it.
        out["extension"] = [{"url": DATA_ABSENT_EXT, "valueCode": "not-applicable"}]
        return out
    values = value if isinstance(value, list) else [value]
    out["answer"] = [_answer(item, v) for v in values]
    return out


def _response_items(answers: dict, defn: Instrument | None) -> list[dict]:
    if defn is None:  # the definition is gone: keep the answers, typed by their values
        return [_response_item(key, None, answers[key]) for key in sorted(answers)
                if not is_missing(answers[key]) or answers[key] == NOT_APPLICABLE]
    return [_response_item(item.id, item, answers[item.id]) for item in defn.items
            if item.id in answers and (not is_missing(answers[item.id])
                                       or answers[item.id] == NOT_APPLICABLE)]


def response_resource(row: Answered, defn: Instrument | None, *, base: str,
                      patient: dict) -> dict:
    """Return one submitted survey page (one region, if asked per region) as a response."""
    response = row.response
    version = defn.version if defn is not None else response.instrument_version
    extensions = [{"url": EXT_TIMEPOINT, "valueString": row.timepoint_key}]
    if response.region_code:
        extensions.append({"url": EXT_REGION,
                           "valueCodeableConcept": region_concept(response.region_code)})
    when = response.submitted_at or response.started_at
    return {"resourceType": "QuestionnaireResponse",
            "id": resource_id(base, "QuestionnaireResponse", response.id),
            "extension": extensions,
            "questionnaire": canonical(base, response.instrument_id, version),
            "status": "completed" if row.assignment_status == "completed" else "in-progress",
            "subject": patient, "source": patient, "authored": fhir_instant(when),
            "item": _response_items(response.answers or {}, defn)}


def score_code(score: SurveyScore, label: str) -> dict:
    """Return a score's code: LOINC where one fits, always NerveTrack's own."""
    own = {"system": SCORE_SYSTEM, "code": f"{score.instrument_id}.{score.score_id}",
           "display": label}
    loinc = LOINC_SCORES.get((score.instrument_id, score.score_id))
    return {"coding": [loinc, own] if loinc else [own], "text": label}


def score_observation(score: SurveyScore, row: Answered, label: str, *, base: str,
                      patient: dict, response_id: str) -> dict:
    """Return one score as a survey Observation derived from its response."""
    out: dict = {"resourceType": "Observation",
                 "id": resource_id(base, "Observation", f"score-{score.id}"),
                 "status": "final" if row.assignment_status == "completed" else "preliminary",
                 "category": category("survey", "Survey"), "code": score_code(score, label),
                 "subject": patient,
                 "effectiveDateTime": fhir_instant(row.response.submitted_at or score.scored_at),
                 "derivedFrom": [reference(response_id)]}
    if score.region_code:
        out["bodySite"] = region_concept(score.region_code)
    if score.value is None:  # too few items answered for the instrument's rule
        out["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT_SYSTEM,
                                               "code": "not-performed"}]}
    else:
        out["valueQuantity"] = quantity(score.value, "{score}")
    return out
