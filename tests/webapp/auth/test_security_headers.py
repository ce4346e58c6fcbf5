"""Security headers on every kind of page, and error pages without internals."""

from __future__ import annotations

import pytest

from tests.support.web import STAFF_PASSWORD, login

PAGES = [("anonymous", "/login"), ("anonymous", "/p/"), ("anonymous", "/nowhere"),
         ("clinician", "/clinic/patients"), ("coordinator", "/coordinate/worklist"),
         ("admin", "/admin/users"), ("admin", "/admin/audit")]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_every_page_sends_the_security_headers(client, make_staff, who, path):
    if who != "anonymous":
        make_staff(who)
        login(client, f"{who}@clinic.test", STAFF_PASSWORD)
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_static_files_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_shared_files_do_not_vary_by_cookie_but_pages_do(client, db, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    for path in ("/static/app.css", "/clinic/assets/plotly.min.js"):
        assert "Cookie" not in client.get(path).vary, path
    assert "Cookie" in client.get("/clinic/patients").vary


def test_unexpected_errors_show_no_stack_trace_or_sql(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM patient WHERE first_name='Sam'")

    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "SELECT" not in body and "Sam" not in body
    assert "Something went wrong" in body


def test_unexpected_errors_keep_patient_data_out_of_the_log(app, client, caplog):
    from flask import request

    @app.route("/boom2")
    def boom2():
        detail = request.args["detail"]
        raise ValueError(f"patient {detail}")

    client.get("/boom2?detail=Zelda+has+median+nerve+pain")
    assert "ValueError" in caplog.text
    assert "Zelda" not in caplog.text and "median" not in caplog.text


def test_survey_link_tokens_are_redacted_from_request_logs(app, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - "GET /p/t/%s HTTP/1.1" 303 -',
                                           "SecretToken_abc-123")
    assert "SecretToken_abc-123" not in caplog.text
    assert "/p/t/[redacted]" in caplog.text
