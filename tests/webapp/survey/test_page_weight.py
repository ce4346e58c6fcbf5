"""A survey page must stay light for a cheap phone on a weak connection."""

from __future__ import annotations

import re

from tests.support.patient import open_survey, sign_in

BUDGET = 30_000  # bytes, uncompressed: HTML + CSS + JS + inline SVG
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"')


def _size(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.get_data()
    response.close()
    return len(body)


def test_a_full_survey_page_weighs_under_the_budget(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    page = client.get(f"/p/a/{assignment.id}/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html  # the body map is inline
    assets = [a for a in ASSET_RE.findall(html) if a != "data:,"]  # the empty favicon
    assert sorted(a.split("?")[0] for a in assets) == ["/static/patient.css", "/static/patient.js"]
    assert all(a.startswith("/static/") for a in assets)  # nothing from a third party
    sizes = {"html": len(page.get_data())} | {a: _size(client, a) for a in assets}
    total = sum(sizes.values())
    print(f"\nsurvey page weight: {total} bytes ({sizes})")
    assert total < BUDGET
    heaviest = max(len(client.get(f"/p/a/{assignment.id}/{n}").get_data()) for n in range(1, 6))
    print(f"heaviest page of the survey: {heaviest + total - sizes['html']} bytes")
    assert heaviest + total - sizes["html"] < BUDGET


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
