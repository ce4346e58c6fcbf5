"""Logging hygiene: survey-link tokens never reach a log line."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/p/t/[A-Za-z0-9_\-]+")


class RedactLinkTokens(logging.Filter):
    """Replace the token of a survey link in any log message with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/p/t/" in message:
            record.msg, record.args = _TOKEN_PATH.sub("/p/t/[redacted]", message), None
        return True


def install_log_filters() -> None:
    """Attach the redaction filter to the loggers that print request lines (once)."""
    for name in ("werkzeug", "gunicorn.access", "nervetrack"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
