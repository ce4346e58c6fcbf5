"""A survey page must stay light for a cheap phone on a weak connection."""

from __future__ import annotations

import re

import pytest

from tests.support.activities import speak
from tests.support.patient import FIRST_PSFS, answer_all, csrf_of, open_survey, sign_in

BUDGET = 15_000  # bytes, uncompressed: HTML + CSS + JS + inline SVG
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"')
PAGES = [{"pain_now": "7", "pain_worst": "8"}, {"pain_now": "4", "pain_worst": "6"},
         {"paresthesia": "5"}, {"paresthesia": "2"}, FIRST_PSFS]


def _size(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.get_data()
    response.close()
    return len(body)


@pytest.mark.parametrize("language", ["en", "fr", "es", "fa"])
def test_every_patient_page_weighs_under_the_budget_in_every_language(db, client, language):
    assignment = open_survey(db)
    speak(db, assignment, language)
    sign_in(client, db, assignment)
    page = client.get(f"/p/a/{assignment.id}/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html  # the body map is inline
    assert f'lang="{language}"' in html
    assets = [a for a in ASSET_RE.findall(html) if a != "data:,"]  # the empty favicon
    assert sorted(a.split("?")[0] for a in assets) == ["/static/patient.css", "/static/patient.js"]
    assert all(a.startswith("/static/") for a in assets)  # nothing from a third party
    extra = sum(_size(client, a) for a in assets)
    weights = {"start": _size(client, "/p/")}
    weights |= {f"page {n}": _size(client, f"/p/a/{assignment.id}/{n}") for n in range(1, 6)}
    answer_all(client, assignment.id, PAGES)
    weights["review"] = _size(client, f"/p/a/{assignment.id}/review")
    token = csrf_of(client, f"/p/a/{assignment.id}/review")
    client.post(f"/p/a/{assignment.id}/submit", data={"csrf_token": token})
    weights["thanks"] = _size(client, f"/p/a/{assignment.id}/thanks")
    totals = {name: size + extra for name, size in weights.items()}
    print(f"\n{language}: page weights with {extra} bytes of CSS and JS: {totals}")
    assert {name: total for name, total in totals.items() if total >= BUDGET} == {}


def test_patient_pages_load_no_plotly_and_no_inline_script(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    for path in ("/p/", f"/p/a/{assignment.id}/1", f"/p/a/{assignment.id}/5"):
        html = client.get(path).get_data(as_text=True)
        assert "plotly" not in html.lower()
        assert re.search(r"<script(?![^>]*\ssrc=)", html) is None
        assert re.search(r"<[^>]+\son[a-z]+=", html) is None  # no inline event handlers
        assert "style=" not in html
        assert re.search(r'(?:src|href|action)="(?:https?:)?//', html) is None  # no third party
