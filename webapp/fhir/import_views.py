"""The coordinator's Questionnaire import: upload a FHIR R4 Questionnaire, get a definition file.

Nothing is stored: the page shows the instrument definition NerveTrack would serve (to download
and put in NERVETRACK_INSTRUMENTS_DIR), or the list of what cannot be expressed and where.
"""

from __future__ import annotations

import json

from flask import Response, abort, current_app, render_template, request

from surveys.fhir_questionnaire import ImportResult, read_questionnaire_json
from webapp.auth.security import ActionForm, role_required
from webapp.fhir.views import bp
from webapp.survey.instruments import library_for

UPLOAD, TEXT = "questionnaire", "questionnaire_text"


def _uploaded_text() -> str | None:
    """Return the uploaded file's (or the re-sent) text, "" if not UTF-8, None if nothing sent."""
    upload = request.files.get(UPLOAD)
    if upload is None or not upload.filename:
        return request.form.get(TEXT) or None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""


def _served_note(result: ImportResult) -> None:
    # The library refuses a second file with an id and version it already serves.
    definition = result.definition
    try:
        library_for(current_app).get(definition["id"], definition["version"])
    except KeyError:
        return
    result.notes.insert(0, f"NerveTrack already serves {definition['id']} version "
                           f"{definition['version']}: change the id or the version in the file, "
                           "or the library will refuse it")


def _page(result: ImportResult | None, text: str = "", status: int = 200):
    definition = json.dumps(result.definition, ensure_ascii=False, indent=2) \
        if result and result.definition else None
    return render_template("fhir/import_questionnaire.html", form=ActionForm(), result=result,
                           definition=definition, text=text), status


@bp.route("/coordinate/fhir/questionnaire", methods=["GET", "POST"])
@role_required("coordinator")
def import_questionnaire():
    """Read an uploaded Questionnaire; show or download the definition, or the refusals."""
    if request.method == "GET":
        return _page(None)
    if not ActionForm().validate_on_submit():
        abort(400)
    text = _uploaded_text()
    if text is None:
        return _page(ImportResult(None, ["Choose a Questionnaire JSON file to import."]),
                     status=400)
    result = (read_questionnaire_json(text) if text else
              ImportResult(None, ["Questionnaire: the file is not UTF-8 text"]))
    if result.definition is None:
        return _page(result, status=400)
    _served_note(result)
    if request.form.get("action") == "download":
        body = json.dumps(result.definition, ensure_ascii=False, indent=2) + "\n"
        filename = f"{result.definition['id']}.json"
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return _page(result, text=text)
