"""Friendly error pages: a clear message and a 4xx/5xx status, never a stack trace."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("nervetrack")

MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    429: "Too many attempts. Please wait a few minutes and try again.",
}


def _render(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


def _http_error(exc: HTTPException):
    code = exc.code or 500
    return _render(code, MESSAGES.get(code, exc.description or "Something went wrong."))


def _csrf_error(exc: CSRFError):
    return _render(400, "This form has expired or was not sent from NerveTrack. "
                        "Please reload the page and try again.")


def _database_down(exc: OperationalError):
    log.error("database unavailable: %s", type(exc).__name__)
    return _render(503, "The service is temporarily unavailable. Please try again shortly.")


def _unexpected(exc: Exception):
    # Log the type and the code path only: exception text can carry patient data.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected error %s\n%s", type(exc).__name__, frames)
    return _render(500, "Something went wrong on our side. Please try again later.")


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(Exception, _unexpected)
