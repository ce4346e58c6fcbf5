"""Clinician dashboards: the cohort view, the safety list, CSV exports and the plotly.js asset."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import select

from charts.assets import figure_payload
from charts.cohort import MIN_PLOTTED_N, VISIBLE_NERVES, build_cohort_view
from webapp import audit
from webapp.auth.security import live_patient_or_404, role_required
from webapp.care.forms import AcknowledgeForm
from webapp.dashboards.cohort import COHORT_OUTCOMES, cohort_counts, cohort_rows
from webapp.dashboards.export import export_csv, export_rows
from webapp.dashboards.plotly_bundle import bundle_for
from webapp.db import get_session
from webapp.gc_pause import paused_gc
from webapp.models import Patient, SafetyFlag, utcnow

bp = Blueprint("dashboards", __name__, url_prefix="/clinic", template_folder="templates")

YEAR = 365 * 24 * 3600
COHORT_TITLES = {"change": "Median change from baseline, with interquartile range",
                 "responders": "Responders at each follow-up",
                 "completion": "Follow-ups answered"}
ACKNOWLEDGED_SHOWN = 50


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


def _flags(db, acknowledged: bool):
    query = select(SafetyFlag, Patient).join(Patient, Patient.id == SafetyFlag.patient_id)
    query = query.where(Patient.erased_at.is_(None))
    if acknowledged:
        return db.exec(query.where(SafetyFlag.acknowledged_at.is_not(None))
                       .order_by(SafetyFlag.acknowledged_at.desc())
                       .limit(ACKNOWLEDGED_SHOWN)).all()
    serious_first = (SafetyFlag.severity != "serious")
    return db.exec(query.where(SafetyFlag.acknowledged_at.is_(None))
                   .order_by(serious_first, SafetyFlag.raised_at.desc())).all()


def _render_flags(form=None, failed_id=None, status=200):
    db = get_session()
    return render_template("dashboards/list_safety_flags.html", open_flags=_flags(db, False),
                           done_flags=_flags(db, True), form=form or AcknowledgeForm(),
                           failed_id=failed_id), status


@bp.route("/safety")
@role_required("clinician")
def list_safety_flags():
    """Open safety flags (serious first) and the most recently acknowledged ones."""
    db = get_session()
    audit.record(db, "safety_flags_viewed")
    db.commit()
    return _render_flags()


@bp.route("/safety/<int:flag_id>/acknowledge", methods=["POST"])
@role_required("clinician")
def acknowledge_flag(flag_id: int):
    """Acknowledge an open safety flag with a note."""
    db = get_session()
    flag = db.get(SafetyFlag, flag_id)
    if flag is None:
        abort(404)
    live_patient_or_404(flag.patient_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _render_flags(form, flag_id, 400)
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), current_user.id
        flag.ack_note = form.note.data.strip()
        db.add(flag)
        audit.record(db, "safety_flag_acknowledged", record_type="safety_flag",
                     record_id=flag.id, patient_id=flag.patient_id)
        db.commit()
        flash("Flag acknowledged.", "info")
    return redirect(url_for("dashboards.list_safety_flags"))


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
