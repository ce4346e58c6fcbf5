"""Coordinator pages for follow-up protocols: list, view, create, copy, edit, move patients."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from scheduler.protocol import (
    ProtocolError,
    load_default_protocol,
    parse_protocol,
    protocol_to_dict,
)
from webapp import audit
from webapp.audit import request_actor
from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.models import Protocol, ProtocolVersion, utcnow
from webapp.protocols.forms import MovePatientsForm, ProtocolForm
from webapp.protocols.store import (
    add_protocol_version,
    ensure_default_protocol,
    latest_version,
    move_courses,
    older_courses,
)
from webapp.survey.instruments import get_library

bp = Blueprint("protocols", __name__, url_prefix="/coordinate/protocols",
               template_folder="templates")

# A valid one-timepoint skeleton to start "from scratch".
SCRATCH = {
    "name": "New protocol", "channels": ["email"], "reminder_time": "09:00",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "timepoints": [{"key": "m1", "label": "1 month after the last session",
                    "anchor": "last_session", "offset_days": 30,
                    "window": {"opens_days": -7, "closes_days": 14},
                    "instruments": ["nt-pain"], "reminders": [{"when": "open", "days": 0}]}],
}


def _dump(definition: dict) -> str:
    return json.dumps(definition, indent=2, ensure_ascii=False)


def _known_instruments() -> set[str]:
    return {defn.id for defn in get_library().all()}


def parse_definition(text: str, name: str) -> tuple[dict | None, list[str]]:
    """Return (definition, []) for valid JSON protocol text, or (None, messages)."""
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."]
    if not isinstance(definition, dict):
        return None, ["The protocol must be a JSON object ({ ... })."]
    definition["name"] = name  # the stored name always matches the protocol's own name
    try:
        parse_protocol(definition, known_instruments=_known_instruments())
    except ProtocolError as exc:
        return None, exc.messages
    return definition, []


def _protocol_or_404(protocol_id: int) -> Protocol:
    proto = get_session().get(Protocol, protocol_id)
    if proto is None:
        abort(404)
    return proto


def _version_or_404(version_id: int) -> ProtocolVersion:
    version = get_session().get(ProtocolVersion, version_id)
    if version is None:
        abort(404)
    return version


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


def _starting_definition(source: str | None) -> dict:
    if source and source.isdigit():
        return dict(_version_or_404(int(source)).definition)
    if source == "scratch":
        return dict(SCRATCH)
    return protocol_to_dict(load_default_protocol())


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def create_protocol():
    """Create a protocol from the default, as a copy of a version, or from scratch."""
    form = ProtocolForm()
    errors: list[str] = []
    if request.method == "GET":
        form.definition.data = _dump(_starting_definition(request.args.get("from")))
    elif form.validate_on_submit():
        name = (form.name.data or "").strip()
        errors = _check_new_name(name)
        definition, problems = parse_definition(form.definition.data, name or "unnamed")
        errors += problems
        if not errors:
            return _store_new_protocol(name, definition)
    status = 400 if request.method == "POST" else 200
    return render_template("protocols/create_protocol.html", form=form, errors=errors,
                           instruments=sorted(_known_instruments())), status


def _check_new_name(name: str) -> list[str]:
    if not name:
        return ["Give the protocol a name."]
    if get_session().exec(select(Protocol).where(Protocol.name == name)).first():
        return [f"A protocol called {name!r} already exists: edit it to add a version."]
    return []


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
    """Edit a protocol's definition; saving adds a new version and never rewrites one."""
    db = get_session()
    proto = _protocol_or_404(protocol_id)
    newest = latest_version(db, proto.id)
    form = ProtocolForm()
    errors: list[str] = []
    if request.method == "GET":
        form.definition.data = _dump(newest.definition)
    elif form.validate_on_submit():
        definition, errors = parse_definition(form.definition.data, proto.name)
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
    return _render_version(_version_or_404(version_id))


def _render_version(version: ProtocolVersion, form=None, errors=None, status: int = 200):
    proto = _protocol_or_404(version.protocol_id)
    parsed = parse_protocol(version.definition)
    return render_template("protocols/show_version.html", version=version, protocol=proto,
                           parsed=parsed, older=older_courses(get_session(), version), form=form or
                           MovePatientsForm(), errors=errors or [],
                           newest=latest_version(get_session(), proto.id)), status


@bp.route("/versions/<int:version_id>/move", methods=["POST"])
@role_required("coordinator")
def move_patients(version_id: int):
    """Move selected (or all) courses on older versions to this version and re-plan them."""
    version = _version_or_404(version_id)
    form = MovePatientsForm()
    if not form.validate_on_submit():
        abort(400)
    older = {course.id: course for course, _p, _v in older_courses(get_session(), version)}
    chosen = list(older) if form.scope.data == "all" else form.course_ids.data or []
    if not chosen or any(cid not in older for cid in chosen):
        return _render_version(version, form, ["Choose at least one course still on an older "
                                               "version of this protocol."], 400)
    db = get_session()
    move_courses(db, version, [older[cid] for cid in chosen], now=utcnow(),
                 actor=request_actor())
    db.commit()
    flash(f"Moved {len(chosen)} course(s) to version {version.version}.", "info")
    return redirect(url_for("protocols.show_version", version_id=version.id))

