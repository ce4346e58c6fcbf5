"""One patient's FHIR R4 Bundle, and the cohort as NDJSON streamed a bundle at a time.

The Bundle is of type "collection": a set of resources about one patient for a registry or
another system to file, not a signed clinical document (which would need a Composition and an
author). Entries have urn:uuid full URLs built from stable ids, so exporting again gives the
same ids and a registry can replace what it filed before. Times are UTC.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlmodel import Session

from surveys.loader import InstrumentLibrary
from surveys.schema import Instrument
from webapp.fhir.clinical import (
    administration_resource,
    adverse_event_resource,
    csa_observations,
    procedure_resource,
)
from webapp.fhir.codes import fhir_instant, reference
from webapp.fhir.records import PatientRecords, iter_patient_records, live_patient_ids
from webapp.fhir.responses import (
    patient_resource,
    questionnaire_resource,
    response_resource,
    score_observation,
)
from webapp.survey.instruments import library_for

TRUE_WORDS = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ExportOptions:
    """What a FHIR export needs besides the data: base URL, identity opt-in, clock, library."""

    base: str
    include_identity: bool
    now: datetime
    library: InstrumentLibrary


def export_options(app: Flask, now: datetime) -> ExportOptions:
    """Read the FHIR base (BASE_URL + /fhir) and the identity opt-in from the app's config."""
    identity = app.config.get("FHIR_INCLUDE_IDENTITY", False)
    if isinstance(identity, str):
        identity = identity.strip().lower() in TRUE_WORDS
    return ExportOptions(base=f"{str(app.config['BASE_URL']).rstrip('/')}/fhir",
                         include_identity=identity is True, now=now, library=library_for(app))


def _definition(library: InstrumentLibrary, instrument_id: str, version: str):
    try:
        return library.get(instrument_id, version)
    except KeyError:  # a clinic file removed since: the answers are still exported
        return None


def _score_labels(definitions: dict) -> dict[tuple[str, str], str]:
    return {(defn.id, rule.id): rule.label for defn in definitions.values() if defn
            for rule in defn.scores}


def _survey_resources(records: PatientRecords, options: ExportOptions,
                      patient: dict) -> list[dict]:
    keys = {(r.response.instrument_id, r.response.instrument_version) for r in records.answered}
    definitions: dict[tuple[str, str], Instrument | None] = {
        key: _definition(options.library, *key) for key in sorted(keys)}
    out = [questionnaire_resource(d, base=options.base) for d in definitions.values() if d]
    responses = {}
    for row in records.answered:
        defn = definitions[(row.response.instrument_id, row.response.instrument_version)]
        resource = response_resource(row, defn, base=options.base, patient=patient)
        responses[row.response.id] = (row, resource["id"])
        out.append(resource)
    labels = _score_labels(definitions)
    for score in records.scores:
        if score.response_id in responses:
            row, response_id = responses[score.response_id]
            label = labels.get((score.instrument_id, score.score_id), score.score_id)
            out.append(score_observation(score, row, label, base=options.base,
                                         patient=patient, response_id=response_id))
    return out


def _care_resources(records: PatientRecords, options: ExportOptions,
                    patient: dict) -> list[dict]:
    out = []
    for row in records.performed:
        out.append(procedure_resource(row, base=options.base, patient=patient))
        out.append(administration_resource(row, base=options.base, patient=patient))
        out += csa_observations(row, base=options.base, patient=patient)
    out += [adverse_event_resource(flag, records.performed, base=options.base, patient=patient)
            for flag in records.adverse_events]
    return out


def patient_bundle(records: PatientRecords, options: ExportOptions) -> dict:
    """Return one patient's collection Bundle."""
    subject = patient_resource(records.patient, base=options.base,
                               include_identity=options.include_identity)
    patient = reference(subject["id"])
    resources = [subject, *_survey_resources(records, options, patient),
                 *_care_resources(records, options, patient)]
    return {"resourceType": "Bundle", "type": "collection",
            "timestamp": fhir_instant(options.now),
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def resource_counts(bundle: dict) -> Counter:
    """Return how many resources of each type a bundle holds."""
    return Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])


def to_line(bundle: dict) -> str:
    """Return a bundle as one NDJSON line (compact JSON, newline-terminated)."""
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n"


def cohort_bundles(db: Session, options: ExportOptions,
                   patient_ids: list[int] | None = None) -> Iterator[dict]:
    """Yield one Bundle per live patient, built a batch of patients at a time."""
    ids = live_patient_ids(db) if patient_ids is None else patient_ids
    for records in iter_patient_records(db, ids):
        yield patient_bundle(records, options)
