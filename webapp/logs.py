"""Logging hygiene: survey-link tokens never reach a log line, nor the text of an exception."""

from __future__ import annotations

import logging
import re
import traceback

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


# A deep recursion would print a thousand frames; the ends say where it started and failed.
_FIRST_FRAMES, _LAST_FRAMES = 8, 16


def exception_types(exc: BaseException) -> str:
    """Return the exception's qualified type, and those of its causes: never its text."""
    names, seen = [], set()
    while exc is not None and id(exc) not in seen and len(names) < 5:
        seen.add(id(exc))
        names.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
        exc = exc.__cause__ or exc.__context__
    return " from ".join(names)


def code_path(exc: BaseException) -> str:
    """Return the traceback as "file:line in function" lines, without source text or values."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    if len(lines) > _FIRST_FRAMES + _LAST_FRAMES:
        hidden = len(lines) - _FIRST_FRAMES - _LAST_FRAMES
        lines[_FIRST_FRAMES:-_LAST_FRAMES] = [f"  ... {hidden} more frames ..."]
    return "\n".join(lines)


def log_unexpected(exc: BaseException, where: str, *, what: str = "unexpected error",
                   level: int = logging.ERROR) -> None:
    """Log an exception by type and code path only: its text can carry patient data."""
    logging.getLogger("nervetrack").log(level, "%s %s at %s\n%s", what, exception_types(exc),
                                        where, code_path(exc))
