"""The protocol builder's pages: a protocol as a form, previewed on a sample course, no JSON.

Everything works without script: "Add a timepoint", "Remove", "Up" and "Down" are submit
buttons that change the rows on the server, and "Preview" plans the sample course. Saving adds
a version (a new protocol starts at version 1); nothing is stored until then.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp import audit
from webapp.auth.security import role_required
from webapp.db import get_session
from webapp.models import Protocol, utcnow
from webapp.protocols.blueprint import bp
from webapp.protocols.builder import (
    MAX_TIMEPOINTS,
    apply_row_action,
    builder_limits,
    formdata_of,
    rows_of,
    with_rows,
)
from webapp.protocols.builder_checks import BuilderResult, assign_keys, check_builder
from webapp.protocols.builder_forms import ANCHOR_WORDS, ProtocolBuilderForm, set_choices
from webapp.protocols.lookups import instrument_titles, protocol_or_404, starting_definition
from webapp.protocols.sample import next_monday, preview
from webapp.protocols.store import add_protocol_version, latest_version, name_problem

SAMPLE_RANGE = (date(2000, 1, 1), date(2100, 12, 31))


def _zone() -> str:
    return current_app.config.get("CLINIC_TIMEZONE", "UTC")


def _today() -> date:
    return utcnow().date()


@bp.route("/build", methods=["GET", "POST"])
@role_required("coordinator")
def build_protocol():
    """Build a new protocol in a form: from the default, a copy of a version, or scratch."""
    if request.method == "GET":
        formdata = formdata_of(starting_definition(request.args.get("from")),
                               next_monday(_today()))
        formdata.setlist("name", [""])
        return _render(None, _form(formdata))
    return _submitted(None)


@bp.route("/<int:protocol_id>/build", methods=["GET", "POST"])
@role_required("coordinator")
def build_version(protocol_id: int):
    """Change a protocol in a form; saving adds a new version and never rewrites one."""
    proto = protocol_or_404(protocol_id)
    if request.method == "GET":
        newest = latest_version(get_session(), proto.id)
        form = _form(formdata_of(newest.definition, next_monday(_today())))
        return _render(proto, form, limits=builder_limits(newest.definition))
    return _submitted(proto)


def _form(formdata: MultiDict) -> ProtocolBuilderForm:
    form = ProtocolBuilderForm(formdata=formdata)
    assign_keys(form)
    set_choices(form, instrument_titles())
    return form


def _submitted(proto: Protocol | None):
    rows = rows_of(request.form)
    # Beyond the limit only the first row too many is kept: every row's "skip near" lists the
    # rows above it, so a page of 500 rows would cost seconds and megabytes to redraw.
    kept = with_rows(request.form, rows[:MAX_TIMEPOINTS + 1])
    form = ProtocolBuilderForm(formdata=kept)
    if not form.validate() and "csrf_token" in form.errors:
        abort(400)
    if len(rows) > MAX_TIMEPOINTS:
        return _too_many(proto, form, len(rows))
    action = request.form.get("action", "")
    if action not in ("preview", "save"):
        return _change_rows(proto, action)
    assign_keys(form)
    titles = instrument_titles()
    set_choices(form, titles)
    first_day = form.sample_first.data or next_monday(_today())
    name = proto.name if proto else form.name.data or ""
    # A preview needs no name yet; only saving does.
    checked_name = name or ("Preview" if action == "preview" else "")
    result = check_builder(form, name=checked_name, instruments=titles, first_day=first_day,
                           zone=_zone())
    _check_outside_the_form(result, form,
                            new_name=name if proto is None and action == "save" else None)
    if not result.ok:
        return _render(proto, form, result=result, status=400)
    if action == "save":
        return _save(proto, name, result.definition)
    shown = preview(result.protocol, result.plan, first_day, _zone(), titles)
    return _render(proto, form, result=result, shown=shown)


def _check_outside_the_form(result: BuilderResult, form, *, new_name: str | None) -> None:
    """The rules that need the database or the whole page: a new name, the sample's date."""
    if new_name is not None and not result.errors.get("name"):
        problem = name_problem(get_session(), new_name)
        if problem:
            result.errors.setdefault("name", []).append(problem)
    day = form.sample_first.data
    if form.sample_first.errors or (day and not SAMPLE_RANGE[0] <= day <= SAMPLE_RANGE[1]):
        result.errors.setdefault("sample", []).append(
            "The sample course's first session: a date between 2000 and 2100.")


def _too_many(proto: Protocol | None, form: ProtocolBuilderForm, count: int):
    assign_keys(form)
    set_choices(form, instrument_titles())
    result = BuilderResult(row_errors={MAX_TIMEPOINTS: [
        f"A protocol holds at most {MAX_TIMEPOINTS} timepoints: this one and the "
        f"{count - MAX_TIMEPOINTS - 1} after it were not kept. Remove this one to save the "
        f"first {MAX_TIMEPOINTS} (a timepoint can repeat, or follow every session, instead)."]})
    return _render(proto, form, result=result, status=400)


def _change_rows(proto: Protocol | None, action: str):
    changed = apply_row_action(request.form, action)
    if changed is None:
        result = BuilderResult(errors={"timepoints": [
            f"A protocol holds at most {MAX_TIMEPOINTS} timepoints." if action == "add"
            else "That row action is not available."]})
        return _render(proto, _form(request.form), result=result, status=400)
    formdata, _row = changed
    return _render(proto, _form(formdata))


def _save(proto: Protocol | None, name: str, definition: dict):
    db = get_session()
    action = "protocol_version_added"
    if proto is None:
        proto, action = Protocol(name=name), "protocol_created"
        db.add(proto)
        db.flush()
    version = add_protocol_version(db, proto, definition, created_by_id=current_user.id)
    audit.record(db, action, record_type="protocol_version", record_id=version.id,
                 detail={"protocol_id": proto.id, "version": version.version,
                         "editor": "builder"})
    db.commit()
    flash(f"Saved “{proto.name}” as version {version.version}.", "info")
    return redirect(url_for("protocols.show_version", version_id=version.id))


def _render(proto: Protocol | None, form: ProtocolBuilderForm, *, result=None, shown=None,
            limits=(), status: int = 200):
    newest = latest_version(get_session(), proto.id) if proto else None
    result = result or BuilderResult()
    return render_template("protocols/build_protocol.html", protocol=proto, newest=newest,
                           form=form, errors=result.errors, row_errors=result.row_errors,
                           preview=shown, limits=list(limits), anchors=ANCHOR_WORDS,
                           max_rows=MAX_TIMEPOINTS, zone=_zone()), status
