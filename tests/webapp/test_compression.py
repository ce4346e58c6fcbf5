"""Compressed responses, content-hashed static URLs with a year-long cache, and plotly.js as is."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli
import pytest
from flask import url_for

from webapp.dashboards.plotly_bundle import bundle_for

STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
YEAR = "max-age=31536000"


def decoded(response) -> bytes:
    """Return the body as the browser would read it, per its Content-Encoding."""
    encoding = response.headers.get("Content-Encoding")
    body = response.get_data()
    return {None: lambda b: b, "gzip": gzip.decompress, "br": brotli.decompress}[encoding](body)


@pytest.mark.parametrize(("accept", "expected"), [
    ("gzip", "gzip"),
    ("gzip, deflate", "gzip"),
    ("gzip, deflate, br, zstd", "br"),
    ("br;q=0.5, gzip", "gzip"),
    ("", None),
    ("identity", None),
    ("deflate", None),
])
def test_pages_are_compressed_only_as_the_client_accepts(client, accept, expected):
    plain = client.get("/login", headers={"Accept-Encoding": ""})
    response = client.get("/login", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == expected
    assert "Accept-Encoding" in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "no-store"
    # The same page either way (the CSRF token aside, which is minted per request).
    page, again = decoded(response).decode(), plain.get_data(as_text=True)
    assert page.split('name="csrf_token"')[0] == again.split('name="csrf_token"')[0]
    if expected:
        assert int(response.headers["Content-Length"]) == len(response.get_data())
        assert len(response.get_data()) < len(plain.get_data())


@pytest.mark.parametrize(("site", "compressed"), [
    ("cross-site", False), ("same-origin", True), ("none", True), ("same-site", True),
])
def test_cross_site_requests_get_uncompressed_pages(client, site, compressed):
    response = client.get("/login", headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": site})
    assert response.status_code == 200
    assert (response.headers.get("Content-Encoding") == "gzip") is compressed


@pytest.mark.parametrize("name", ["app.css", "patient.css", "patient.js"])
def test_static_urls_carry_the_content_hash(app, name):
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()
    with app.test_request_context():
        url = url_for("static", filename=name)
    assert url == f"/static/{name}?v={digest[:16]}"


def test_pages_link_static_files_by_hash(client):
    html = client.get("/p/").get_data(as_text=True)
    digest = hashlib.sha256((STATIC / "patient.css").read_bytes()).hexdigest()[:16]
    assert f'href="/static/patient.css?v={digest}"' in html


@pytest.mark.parametrize(("query", "year_long"), [
    ("current", True), ("", False), ("?v=0000000000000000", False), ("?v=", False),
])
def test_only_the_current_hash_is_cached_for_a_year(app, client, query, year_long):
    with app.test_request_context():
        current = url_for("static", filename="app.css")
    path = current if query == "current" else "/static/app.css" + query
    response = client.get(path)
    assert response.status_code == 200
    cache = response.headers.get("Cache-Control", "")
    assert (YEAR in cache and "immutable" in cache and "public" in cache) is year_long
    assert "no-store" not in cache
    assert decoded(response) == (STATIC / "app.css").read_bytes()


@pytest.mark.parametrize("accept", ["gzip", "br", "br, gzip"])
def test_static_files_are_compressed_and_intact(app, client, accept):
    with app.test_request_context():
        url = url_for("static", filename="app.css")
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.headers["Content-Encoding"] in accept
    assert decoded(response) == (STATIC / "app.css").read_bytes()
    assert YEAR in response.headers["Cache-Control"]


@pytest.mark.parametrize(("accept", "encoding"), [
    ("gzip", "gzip"), ("gzip, deflate, br, zstd", "gzip"), ("br", None), ("", None),
])
def test_plotly_bundle_keeps_its_own_encoding(app, client, accept, encoding):
    bundle = bundle_for(app)
    response = client.get("/clinic/assets/plotly.min.js", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert response.get_data() == (bundle.gzipped if encoding else bundle.data)
    assert decoded(response) == bundle.data
    assert response.headers["ETag"] == f'"{bundle.etag}{"-gzip" if encoding else ""}"'
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get("/clinic/assets/plotly.min.js", headers={
        "Accept-Encoding": accept, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("debug", "follows_edits"), [(True, True), (False, False)])
def test_an_edited_static_file_gets_a_new_hash_in_debug_mode_only(tmp_path, debug, follows_edits):
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    app.static_folder = str(tmp_path / "static")
    (tmp_path / "static").mkdir()
    style = tmp_path / "static" / "site.css"
    style.write_text("body { color: black }")
    app.debug = debug
    with app.test_request_context("/"):
        before = url_for("static", filename="site.css")
        style.write_text("body { color: navy; background: white }")
        after = url_for("static", filename="site.css")
    new = hashlib.sha256(style.read_bytes()).hexdigest()[:16]
    assert (after == f"/static/site.css?v={new}") is follows_edits
    assert (after != before) is follows_edits


@pytest.mark.parametrize("debug", [True, False])
def test_static_url_is_url_for_with_the_hash_under_any_application_root(app, debug):
    from webapp.static_urls import static_url

    app.debug = debug
    for root in ("", "/clinic"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            expected = url_for("static", filename="patient.css")
            assert expected.startswith(f"{root}/static/patient.css?v=")
            assert static_url("patient.css") == static_url("patient.css") == expected
