"""The instrument library the app serves: built-ins plus the clinic's own definition files."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import Flask, current_app, has_app_context

from surveys.loader import InstrumentLibrary, load_library

log = logging.getLogger("nervetrack")


def library_for(app: Flask) -> InstrumentLibrary:
    """Return the app's instrument library, loading it once; bad files are logged and skipped."""
    library = app.extensions.get("nervetrack.instruments")
    if library is None:
        extra = app.config.get("INSTRUMENTS_DIR")
        library = load_library(Path(extra) if extra else None)
        for error in library.errors:
            log.warning("instrument definition rejected: %s", error)
        app.extensions["nervetrack.instruments"] = library
    return library


def get_library() -> InstrumentLibrary:
    """Return the current app's instrument library."""
    return library_for(current_app)


def library_for_default() -> InstrumentLibrary:
    """Return the app's library inside an app context, else the built-in one (no clinic files)."""
    if has_app_context():
        return get_library()
    return _builtin_library()


@cache
def _builtin_library() -> InstrumentLibrary:
    return load_library(None)
