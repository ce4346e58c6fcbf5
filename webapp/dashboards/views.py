"""Clinician dashboards: the cohort view, the safety list, CSV exports and the plotly.js asset."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
)

from charts.assets import figure_payload
from charts.cohort import MIN_PLOTTED_N, VISIBLE_NERVES, build_cohort_view
from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.dashboards.cohort import COHORT_OUTCOMES, cohort_counts, cohort_rows
from webapp.dashboards.export import export_csv, export_rows
from webapp.dashboards.plotly_bundle import bundle_for
from webapp.db import get_session
from webapp.gc_pause import paused_gc
from webapp.models import utcnow

bp = Blueprint("dashboards", __name__, url_prefix="/clinic", template_folder="templates")

YEAR = 365 * 24 * 3600
COHORT_TITLES = {"change": "Median change from baseline, with interquartile range",
                 "responders": "Responders at each follow-up",
                 "completion": "Follow-ups answered"}


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


@bp.route("/cohort")
@role_required("clinician")
def show_cohort():
    """The cohort view: change from baseline, responders and completion for one outcome."""
    outcome = request.args.get("outcome", "pain")
    if outcome not in COHORT_OUTCOMES:
        abort(400)
    db = get_session()
    g.allow_inline_styles = True  # plotly.js injects <style>; scripts stay 'self' only
    view, figures = cohort_page(db, outcome, now=utcnow())
    patients, synthetic = cohort_counts(db)
    audit.record(db, "cohort_viewed", detail={"outcome": outcome})
    db.commit()
    return render_template("dashboards/show_cohort.html", outcome=outcome,
                           outcomes=list(COHORT_OUTCOMES), figures=figures, tables=view.tables,
                           titles=COHORT_TITLES, patients=patients, synthetic=synthetic,
                           min_plotted_n=MIN_PLOTTED_N, visible_nerves=VISIBLE_NERVES)


def cohort_page(db, outcome: str, *, now, library=None) -> tuple:
    """Return the cohort view of one outcome and its (name, title, JSON payload) figures."""
    with paused_gc():  # ~75,000 rows for 5,000 patients: see webapp/gc_pause.py
        rows = cohort_rows(db, outcome, now=now, library=library)
        view = build_cohort_view(rows, outcome=outcome, direction=COHORT_OUTCOMES[outcome],
                                 mcid=2)
        figures = [(name, COHORT_TITLES[name], figure_payload(fig))
                   for name, fig in view.figures.items()]
    return view, figures


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
