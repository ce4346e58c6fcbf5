"""Error pages and error logs: plain pages, the right status, and logs with no exception text.

Test routes raise exceptions whose text holds a (fake) patient's name, as a real bug's message
might; the log must name the type and the code path and never that text.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import request
from sqlmodel import func, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

from tests.support.web import csrf_token
from webapp.db import get_session
from webapp.models import AuditEvent, Patient
from webapp.params import refuse_unreadable_parameters

NAME = "Philippa Quayle-Testpatient"
PLAIN_500 = "Something went wrong on our side. Please try again later."
PLAIN_400 = "The request could not be understood. Please go back and try again."
TRACE_WORDS = ("Traceback", 'File "', "sqlalchemy", "psycopg", NAME)


def _boom():
    raise ValueError(f"could not score answers of {NAME}")


def _after_boom(response):
    if response.headers.get("X-Test-Boom"):
        raise KeyError(f"{NAME} lost her session")
    return response


def _refused_by_database(kind: str):
    db = get_session()
    if kind == "too large":  # out of range for INTEGER (PostgreSQL) and for SQLite's binding
        value = sa.cast(sa.bindparam("v", 2**63), sa.Integer)
        db.exec(select(Patient).where(Patient.id == value)).all()
    elif kind == "lone surrogate":
        db.exec(select(Patient).where(Patient.first_name == "\ud800" + NAME)).all()
    else:
        "\ud800".encode()  # the same error type, raised by our own code: a bug, not bad input
    return "stored"


@pytest.fixture
def test_app(app):
    """The app with routes that fail on purpose (added before its first request)."""
    app.add_url_rule("/test/boom", "test_boom", _boom)
    app.add_url_rule("/test/after-boom", "test_after_boom",
                     lambda: ("fine", 200, {"X-Test-Boom": "1"}))
    app.add_url_rule("/test/refused/<kind>", "test_refused", _refused_by_database)
    app.after_request(_after_boom)
    return app


def _assert_plain(response, status: int, message: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in html
    for word in TRACE_WORDS:
        assert word not in html


def _assert_logged_without_text(caplog, type_name: str, function: str) -> None:
    records = [r for r in caplog.records if type_name in r.getMessage()]
    assert records, caplog.text
    message = records[0].getMessage()
    assert "test_errors.py:" in message and f" in {function}" in message
    assert NAME not in caplog.text and "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)  # no handler prints a traceback


def test_an_unexpected_error_logs_its_type_and_code_path_but_not_its_text(test_app, caplog):
    caplog.set_level(logging.DEBUG)
    response = test_app.test_client().get("/test/boom")
    _assert_plain(response, 500, PLAIN_500)
    _assert_logged_without_text(caplog, "builtins.ValueError", "_boom")
    assert "GET test_boom" in caplog.text


def test_flask_own_error_logging_is_redacted_too(test_app, caplog):
    # An exception after the view (in after_request) skips the error handlers: Flask's
    # handle_exception logs it itself, unless log_exception is ours.
    test_app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.DEBUG)
    response = test_app.test_client().get("/test/after-boom")
    _assert_plain(response, 500, PLAIN_500)
    _assert_logged_without_text(caplog, "builtins.KeyError", "_after_boom")


def test_a_deep_recursion_logs_a_short_code_path(test_app, caplog):
    def recurse(depth):
        return recurse(depth + 1)

    test_app.add_url_rule("/test/deep", "test_deep", lambda: recurse(0))
    caplog.set_level(logging.DEBUG)
    _assert_plain(test_app.test_client().get("/test/deep"), 500, PLAIN_500)
    message = next(r.getMessage() for r in caplog.records if "RecursionError" in r.getMessage())
    assert "more frames" in message and message.count("\n") < 30


@pytest.mark.parametrize("kind", ["too large", "lone surrogate"])
def test_a_value_the_database_refuses_is_a_400_not_a_500(test_app, db, caplog, kind):
    caplog.set_level(logging.DEBUG)
    response = test_app.test_client().get(f"/test/refused/{kind}")
    _assert_plain(response, 400, PLAIN_400)
    assert "value refused by the database" in caplog.text and NAME not in caplog.text


def test_the_same_error_type_from_our_own_code_is_still_a_500(test_app, caplog):
    caplog.set_level(logging.DEBUG)
    _assert_plain(test_app.test_client().get("/test/refused/ours"), 500, PLAIN_500)
    assert "builtins.UnicodeEncodeError" in caplog.text


QUERY_NUL = ["/login?next=%00", "/p/?x=a%00b", "/healthz?%00=1", "/clinic/patients?q=%00"]


@pytest.mark.parametrize("path", QUERY_NUL)
def test_a_nul_byte_in_the_query_string_is_a_clear_400(client, path):
    _assert_plain(client.get(path), 400, PLAIN_400)


def test_a_nul_byte_in_a_form_is_refused_before_anything_is_stored(client, db, make_staff):
    make_staff("clinician")
    before = db.exec(select(func.count()).select_from(AuditEvent)).one()
    response = client.post("/login", data={"email": "clinician@clinic.test\x00",
                                           "password": "x\x00"})
    _assert_plain(response, 400, PLAIN_400)
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == before


@pytest.mark.parametrize("where", ["args", "form"])
def test_a_lone_surrogate_in_a_parameter_is_a_400(app, where):
    # Werkzeug never decodes one from a URL-encoded body, but code that builds the
    # parameters differently must still not pass one on.
    with app.test_request_context("/p/", method="POST"):
        request.__dict__[where] = ImmutableMultiDict([("x", "ok"), ("y", "a\ud800")])
        with pytest.raises(BadRequest):
            refuse_unreadable_parameters()
        request.__dict__[where] = ImmutableMultiDict([("x", "ok \u0665 \u00b2 \u200c")])
        assert refuse_unreadable_parameters() is None


JSON_BODIES = {
    "lone surrogate": b'{"email": "\\ud800@clinic.test", "password": "x"}',
    "NUL": b'{"email": "a\\u0000b", "password": "x"}',
    "surrogate as a key, deep inside": b'[{"a": [{"\\udfff": 1}]}]',
    "nested 5000 deep": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("body", JSON_BODIES.values(), ids=JSON_BODIES.keys())
def test_a_json_body_that_no_page_could_show_is_a_400(client, db, make_staff, body):
    # Flask-WTF reads a JSON body as the form's data: a lone surrogate would reach the page.
    make_staff("clinician")
    token = csrf_token(client, "/login")
    before = db.exec(select(func.count()).select_from(AuditEvent)).one()
    response = client.post("/login", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    _assert_plain(response, 400, PLAIN_400)
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == before
