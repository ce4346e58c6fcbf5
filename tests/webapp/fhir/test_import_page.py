"""The Questionnaire import page: a definition file or the refusals, and nothing stored."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from surveys.loader import load_library
from tests.support.web import csrf_token
from webapp.fhir.questionnaire import build_questionnaire

PAGE = "/coordinate/fhir/questionnaire"
NT_PAIN = load_library().get("nt-pain")


def _questionnaire(**changes) -> dict:
    # nt-pain under a new id, so the clinic's library would serve the downloaded file.
    exported = build_questionnaire(NT_PAIN, base="https://clinic.example/fhir")
    return {**exported, "url": "https://clinic.example/fhir/Questionnaire/hand-pain", **changes}


def _row_counts(db) -> dict[str, int]:
    db.expire_all()
    conn = db.connection()
    return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables}


def _post(client, content: bytes | None, **fields):
    data = {"csrf_token": csrf_token(client, PAGE), **fields}
    if content is not None:
        data["questionnaire"] = (io.BytesIO(content), "questionnaire.json")
    return client.post(PAGE, data=data, content_type="multipart/form-data")


def test_an_importable_questionnaire_shows_its_definition_and_how_it_scores(db, signed_in):
    client = signed_in("coordinator")
    before = _row_counts(db)
    response = _post(client, json.dumps(_questionnaire()).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Instrument definition: hand-pain version 1" in html
    assert "No scores and no safety flags." in html
    assert "How much pain do you have right now?" in html
    assert _row_counts(db) == before


def test_the_download_is_a_definition_file_the_library_serves(db, signed_in, tmp_path):
    client = signed_in("coordinator")
    source = json.dumps(_questionnaire())
    response = _post(client, None, questionnaire_text=source, action="download")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hand-pain.json"'
    (tmp_path / "hand-pain.json").write_bytes(response.get_data())
    library = load_library(tmp_path)
    assert library.errors == []
    served = library.get("hand-pain")
    assert served.items == NT_PAIN.items and served.scores == []


def test_a_questionnaire_already_served_is_pointed_out(signed_in):
    client = signed_in("coordinator")
    exported = build_questionnaire(NT_PAIN, base="https://clinic.example/fhir")
    html = _post(client, json.dumps(exported).encode()).get_data(as_text=True)
    assert "NerveTrack already serves nt-pain version 1" in html


@pytest.mark.parametrize(("content", "expected"), [
    (json.dumps(_questionnaire(item=[{"linkId": "scan", "type": "attachment",
                                      "text": "Upload"}])).encode(),
     "scan: type &#39;attachment&#39; cannot be expressed"),
    (b"{not json", "the file is not readable JSON"),
    ("caf\xe9".encode("latin-1"), "the file is not UTF-8 text"),
    (None, "Choose a Questionnaire JSON file to import."),
])
def test_refusals_are_listed_with_a_400_and_nothing_changes(db, signed_in, content, expected):
    client = signed_in("coordinator")
    before = _row_counts(db)
    response = _post(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert expected in html and "Nothing was saved" in html
    assert "Download the definition file" not in html
    assert _row_counts(db) == before


def test_a_post_without_a_csrf_token_is_refused(signed_in):
    client = signed_in("coordinator")
    response = client.post(PAGE, data={"questionnaire_text": json.dumps(_questionnaire())})
    assert response.status_code == 400
