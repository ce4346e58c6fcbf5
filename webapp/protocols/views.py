"""Coordinator pages for follow-up protocols: list, view, JSON import / export, move patients.

The builder (``builder_views``) creates and edits protocols without JSON; these pages keep the
JSON text for moving a protocol between clinics, checked as strictly as the builder's schema.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from scheduler.protocol import parse_protocol
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.models import Protocol, ProtocolVersion, utcnow
from webapp.protocols import builder_views  # noqa: F401  (the builder's routes on this blueprint)
from webapp.protocols.blueprint import bp
from webapp.protocols.forms import MovePatientsForm, ProtocolForm
from webapp.protocols.json_import import dump_definition, parse_definition
from webapp.protocols.lookups import (
    SCRATCH,
    instrument_titles,
    protocol_or_404,
    starting_definition,
    version_or_404,
)
from webapp.protocols.store import (
    add_protocol_version,
    ensure_default_protocol,
    latest_version,
    move_courses,
    name_problem,
    older_courses,
    preview_moves,
)
from webapp.protocols.wording import describe_timepoint

__all__ = ["SCRATCH", "bp"]


def _known_instruments() -> set[str]:
    return set(instrument_titles())


@bp.route("/")
@role_required("coordinator")
def list_protocols():
    """List protocols and their versions."""
    db = get_session()
    ensure_default_protocol(db)
    db.commit()
    protos = db.exec(select(Protocol).order_by(Protocol.name)).all()
    versions = db.exec(select(ProtocolVersion).order_by(ProtocolVersion.version)).all()
    by_protocol = {p.id: [v for v in versions if v.protocol_id == p.id] for p in protos}
    return render_template("protocols/list_protocols.html", protocols=protos,
                           by_protocol=by_protocol)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def create_protocol():
    """Import a protocol as JSON (from another clinic, a copy, or the default)."""
    form = ProtocolForm()
    errors: list[str] = []
    if request.method == "GET":
        form.definition.data = dump_definition(starting_definition(request.args.get("from")))
    elif form.validate_on_submit():
        name = (form.name.data or "").strip()
        errors = _check_new_name(name)
        definition, problems = parse_definition(form.definition.data, name or "unnamed",
                                                _known_instruments())
        errors += problems
        if not errors:
            return _store_new_protocol(name, definition)
    status = 400 if request.method == "POST" else 200
    return render_template("protocols/create_protocol.html", form=form, errors=errors,
                           instruments=sorted(_known_instruments())), status


def _check_new_name(name: str) -> list[str]:
    problem = name_problem(get_session(), name)
    return [problem] if problem else []


def _store_new_protocol(name: str, definition: dict):
    db = get_session()
    proto = Protocol(name=name)
    db.add(proto)
    db.flush()
    version = add_protocol_version(db, proto, definition, created_by_id=current_user.id)
    audit.record(db, "protocol_created", record_type="protocol_version", record_id=version.id,
                 detail={"protocol_id": proto.id, "version": version.version})
    db.commit()
    flash("Protocol created.", "info")
    return redirect(url_for("protocols.show_version", version_id=version.id))


@bp.route("/<int:protocol_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_protocol(protocol_id: int):
    """Edit a protocol as JSON; saving adds a new version and never rewrites one."""
    db = get_session()
    proto = protocol_or_404(protocol_id)
    newest = latest_version(db, proto.id)
    form = ProtocolForm()
    errors: list[str] = []
    if request.method == "GET":
        form.definition.data = dump_definition(newest.definition)
    elif form.validate_on_submit():
        definition, errors = parse_definition(form.definition.data, proto.name,
                                              _known_instruments())
        if not errors:
            version = add_protocol_version(db, proto, definition, created_by_id=current_user.id)
            audit.record(db, "protocol_version_added", record_type="protocol_version",
                         record_id=version.id,
                         detail={"protocol_id": proto.id, "version": version.version})
            db.commit()
            flash(f"Saved as version {version.version}.", "info")
            return redirect(url_for("protocols.show_version", version_id=version.id))
    status = 400 if request.method == "POST" else 200
    return render_template("protocols/edit_protocol.html", form=form, errors=errors,
                           protocol=proto, newest=newest,
                           instruments=sorted(_known_instruments())), status


@bp.route("/versions/<int:version_id>")
@role_required("coordinator")
def show_version(version_id: int):
    """Show one protocol version as a timepoints table, and who could move to it."""
    return _render_version(version_or_404(version_id))


@bp.route("/versions/<int:version_id>/export")
@role_required("coordinator")
def export_version(version_id: int):
    """Download one version as JSON, to import it in another clinic."""
    version = version_or_404(version_id)
    proto = protocol_or_404(version.protocol_id)
    filename = f"protocol-{proto.id}-v{version.version}.json"
    return Response(dump_definition(version.definition), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _render_version(version: ProtocolVersion, form=None, errors=None, status: int = 200):
    proto = protocol_or_404(version.protocol_id)
    parsed = parse_protocol(version.definition)
    titles = instrument_titles()
    labels = {tp.key: tp.label for tp in parsed.timepoints}
    rows = [describe_timepoint(tp, titles, labels) for tp in parsed.timepoints]
    return render_template("protocols/show_version.html", version=version, protocol=proto,
                           parsed=parsed, rows=rows, older=older_courses(get_session(), version),
                           form=form or MovePatientsForm(), errors=errors or [],
                           newest=latest_version(get_session(), proto.id)), status


@bp.route("/versions/<int:version_id>/move", methods=["POST"])
@role_required("coordinator")
def move_patients(version_id: int):
    """Move selected (or all) courses to this version: first a page that says what happens."""
    version = version_or_404(version_id)
    form = MovePatientsForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    older = {course.id: (course, patient, v) for course, patient, v in older_courses(db, version)}
    chosen = list(older) if form.scope.data == "all" else form.course_ids.data or []
    if not chosen or any(cid not in older for cid in chosen):
        return _render_version(version, form, ["Choose at least one course still on an older "
                                               "version of this protocol."], 400)
    if form.confirm.data != "yes":
        moves = preview_moves(db, version, [older[cid] for cid in chosen], now=utcnow())
        return render_template("protocols/confirm_move.html", version=version, form=form,
                               protocol=protocol_or_404(version.protocol_id), moves=moves,
                               chosen=chosen)
    move_courses(db, version, [older[cid][0] for cid in chosen], now=utcnow(),
                 actor=request_actor())
    db.commit()
    flash(f"Moved {len(chosen)} course(s) to version {version.version}.", "info")
    return redirect(url_for("protocols.show_version", version_id=version.id))
