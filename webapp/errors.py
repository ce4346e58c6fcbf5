"""Friendly error pages: a clear message and a 4xx/5xx status, never a stack trace.

Every unexpected error is logged by type and code path only (webapp.logs), never with its
text, which can hold patient data: that includes the errors Flask itself would log with a
full traceback (an exception in an error handler or after a response was built).
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from webapp.logs import log_unexpected

log = logging.getLogger("nervetrack")

MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    429: "Too many attempts. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Please try again later.",
}
# Modules whose own frames raise when a value cannot be sent to the database at all: SQLite
# refuses integers over 2**63 (OverflowError), both drivers lone surrogates (UnicodeEncodeError).
DRIVER_MODULES = ("sqlalchemy.", "psycopg", "sqlite3")


def _render(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


def _where() -> str:
    # The endpoint, not the path: a path can hold a survey link's token.
    return f"{request.method} {request.endpoint or 'no route'}"


def _http_error(exc: HTTPException):
    code = exc.code or 500
    return _render(code, MESSAGES.get(code, exc.description or "Something went wrong."))


def _csrf_error(exc: CSRFError):
    return _render(400, "This form has expired or was not sent from NerveTrack. "
                        "Please reload the page and try again.")


def _rollback() -> None:
    # The failed statement may have aborted the transaction (PostgreSQL): the error page must
    # still be able to read, for the signed-in user's menu.
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _database_down(exc: OperationalError):
    log.error("database unavailable: %s", type(exc).__name__)
    return _render(503, "The service is temporarily unavailable. Please try again shortly.")


def _value_refused_by_database(exc: Exception):
    """A value the database cannot hold (an id too large, a NUL byte): the request's fault."""
    if not isinstance(exc, DataError) and not _raised_in_driver(exc):
        return _unexpected(exc)
    _rollback()
    log_unexpected(exc, _where(), what="value refused by the database", level=logging.WARNING)
    return _render(400, MESSAGES[400])


def _raised_in_driver(exc: Exception) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    return module.startswith(DRIVER_MODULES)


def _unexpected(exc: Exception):
    log_unexpected(exc, _where())
    _rollback()
    return _render(500, MESSAGES[500])


def _log_exception(exc_info) -> None:
    """Stand-in for Flask's `log_exception`, which writes the traceback with the message."""
    log_unexpected(exc_info[1], _where())


def init_app(app: Flask) -> None:
    """Register the error handlers, and log Flask's own unhandled errors the same way."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)
    for refused in (DataError, OverflowError, UnicodeEncodeError):
        app.register_error_handler(refused, _value_refused_by_database)
    app.register_error_handler(Exception, _unexpected)
    app.log_exception = _log_exception
