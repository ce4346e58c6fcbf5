"""FHIR R4 downloads for clinicians: one patient's Bundle, the cohort as NDJSON (both audited)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app
from sqlmodel import Session

from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.db import get_engine, get_session
from webapp.fhir.bundle import cohort_bundles, export_options, patient_bundle, to_line
from webapp.fhir.records import BATCH_SIZE, live_patient_ids, load_batch
from webapp.models import utcnow

bp = Blueprint("fhir", __name__, template_folder="templates")

FHIR_JSON, FHIR_NDJSON = "application/fhir+json", "application/fhir+ndjson"


def _attachment(filename: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@bp.route("/clinic/patients/<int:patient_id>/fhir.json")
@role_required("clinician")
def export_patient_fhir(patient_id: int):
    """One patient's FHIR R4 Bundle (collection) as a download."""
    patient = live_patient_or_404(patient_id)
    db = get_session()
    (records,) = load_batch(db, [patient.id])
    bundle = patient_bundle(records, export_options(current_app, utcnow()))
    audit.record(db, "fhir_exported", record_type="patient", record_id=patient.id,
                 patient_id=patient.id, detail={"resources": len(bundle["entry"])})
    db.commit()
    body = json.dumps(bundle, ensure_ascii=False, indent=1)
    return Response(body, mimetype=FHIR_JSON,
                    headers=_attachment(f"nervetrack-{patient.id}.fhir.json"))


@bp.route("/clinic/fhir.ndjson")
@role_required("clinician")
def export_cohort_fhir():
    """Every live patient's Bundle, one per line, streamed a batch of patients at a time."""
    db = get_session()
    options = export_options(current_app, utcnow())
    ids = live_patient_ids(db)
    # Audited before the first byte: a download cut short was still a disclosure.
    audit.record(db, "cohort_fhir_exported", detail={"patients": len(ids)})
    db.commit()
    return Response(_cohort_lines(get_engine(), options, ids), mimetype=FHIR_NDJSON,
                    headers=_attachment("nervetrack-cohort.fhir.ndjson"))


def _cohort_lines(engine, options, ids: list[int]):
    """Yield the NDJSON lines a batch at a time, holding no session while the client reads.

    Each batch is read and built in a short session of its own, closed before its lines are
    handed out, so a client that reads slowly (or never) keeps no transaction or lock open.
    """
    for start in range(0, len(ids), BATCH_SIZE):
        with Session(engine, expire_on_commit=False) as db:
            lines = [to_line(bundle)
                     for bundle in cohort_bundles(db, options, ids[start:start + BATCH_SIZE])]
        yield from lines
