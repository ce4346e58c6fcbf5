"""Clinician dashboards: the cohort view and its trial table, CSV exports and the plotly.js
asset (the safety list's routes live in safety_views, on this blueprint)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
)

from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.dashboards.cohort import analyse_cohort, cohort_counts, protocol_names
from webapp.dashboards.cohort_context import cohort_context
from webapp.dashboards.cohort_filters import BadFilter, parse_query
from webapp.dashboards.cohort_units import course_tags
from webapp.dashboards.export import export_csv, export_rows
from webapp.dashboards.plotly_bundle import bundle_for
from webapp.dashboards.trial_export import (
    audit_detail,
    describe,
    printable_rows,
    row_count,
    trial_csv,
    trial_sections,
)
from webapp.db import get_session

bp = Blueprint("dashboards", __name__, url_prefix="/clinic", template_folder="templates")

YEAR = 365 * 24 * 3600


@bp.route("/assets/plotly.min.js")
def send_plotly_js():
    """Serve plotly.js (the pinned basic bundle, else the full one) from our own domain.

    Public on purpose: it is the unmodified open-source library and carries no patient data, so
    a shared, year-long, immutable cache entry is safe. Pages link it with ?v=<etag>, so a new
    bundle is a new URL. Browsers that accept gzip get the bytes compressed once per process;
    each encoding has its own ETag, and If-None-Match answers 304.
    """
    bundle = bundle_for(current_app)
    compressed = bool(request.accept_encodings["gzip"])
    response = Response(bundle.gzipped if compressed else bundle.data,
                        mimetype="text/javascript")
    if compressed:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{bundle.etag}-gzip" if compressed else bundle.etag)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)


@bp.app_template_global()
def plotly_etag() -> str:
    """The served bundle's ETag, for the cache-busting ?v= of its URL."""
    return bundle_for(current_app).etag


def _checked_query(db):
    """Return (query, tags, protocols) of the request, or raise BadFilter."""
    tags, protocols = course_tags(db), protocol_names(db)
    return parse_query(request.args, protocols=protocols, tags=tags), tags, protocols


def _bad_filter(exc: BadFilter):
    return render_template("error.html", status=400, message=str(exc)), 400


@bp.route("/cohort")
@role_required("clinician")
def show_cohort():
    """The cohort view: does it work, for whom, and for how long (one outcome at a time)."""
    db = get_session()
    try:
        query, tags, protocols = _checked_query(db)
    except BadFilter as exc:
        return _bad_filter(exc)
    g.allow_inline_styles = True  # plotly.js injects <style>; scripts stay 'self' only
    analysis = analyse_cohort(db, query, tags)
    patients, synthetic = cohort_counts(db)
    audit.record(db, "cohort_viewed", detail={"outcome": query.outcome,
                                              **audit_detail(query, "page", len(analysis.rows))})
    db.commit()
    return render_template("dashboards/show_cohort.html", **cohort_context(
        analysis, tags=tags, protocols=protocols, patients=patients, synthetic=synthetic))


def _audited_trial_table(form: str):
    """Return (query, tags, protocols, sections) of the trial table, audited as an export."""
    db = get_session()
    query, tags, protocols = _checked_query(db)
    sections = trial_sections(db, query, tags)
    audit.record(db, "cohort_trial_table_exported",
                 detail=audit_detail(query, form, row_count(sections)))
    db.commit()
    return query, tags, protocols, sections


@bp.route("/cohort/trial-table")
@role_required("clinician")
def show_trial_table():
    """The trial table as a printable page (every outcome), audited as an export."""
    try:
        query, tags, protocols, sections = _audited_trial_table("page")
    except BadFilter as exc:
        return _bad_filter(exc)
    return render_template("dashboards/show_trial_table.html", sections=sections,
                           rows_of=printable_rows, query=query,
                           described=describe(query, protocols, tags))


@bp.route("/cohort/trial-table.csv")
@role_required("clinician")
def export_trial_table():
    """The trial table as CSV (every outcome), audited."""
    try:
        _query, _tags, _protocols, sections = _audited_trial_table("csv")
    except BadFilter as exc:
        return _bad_filter(exc)
    return _csv_response(trial_csv(sections), "nervetrack-trial-table.csv")


def _csv_response(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/export.csv")
@role_required("clinician")
def export_cohort():
    """The whole cohort's scores as tidy long-form CSV."""
    db = get_session()
    rows = export_rows(db)
    audit.record(db, "export_cohort", detail={"rows": len(rows)})
    db.commit()
    return _csv_response(export_csv(rows), "nervetrack-cohort.csv")


@bp.route("/patients/<int:patient_id>/export.csv")
@role_required("clinician")
def export_patient(patient_id: int):
    """One patient's scores as tidy long-form CSV."""
    patient = live_patient_or_404(patient_id)
    db = get_session()
    rows = export_rows(db, patient.id)
    audit.record(db, "export_patient", record_type="patient", record_id=patient.id,
                 patient_id=patient.id, detail={"rows": len(rows)})
    db.commit()
    return _csv_response(export_csv(rows), f"nervetrack-{patient.id}.csv")
