"""Static files under content-hashed URLs, cached by browsers for a year.

``url_for('static', filename=...)`` gains ``?v=<hash of the file's bytes>``, so a changed file is
a new URL. A request whose ``v`` matches the file as it is now may be kept for a year as
immutable; any other request for a static file gets Flask's default (revalidate).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, current_app, request, url_for
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
HASH_CHARS = 16


@lru_cache(maxsize=512)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    # Keyed on mtime and size too, so an edited file (demo, development) gets a new hash.
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:HASH_CHARS]


def static_file_hash(filename: str | None) -> str | None:
    """Return the content hash of a file in the app's static folder, or None if there is none.

    Outside debug mode a file's hash is read once per process (a deployment replaces the files
    and restarts the workers); in debug mode an edited file gets a new hash at once.
    """
    folder = current_app.static_folder
    if current_app.debug:
        return _current_hash(folder, filename)
    return _deployed_hash(folder, filename)


@lru_cache(maxsize=512)
def _deployed_hash(folder: str | None, filename: str | None) -> str | None:
    return _current_hash(folder, filename)


def _current_hash(folder: str | None, filename: str | None) -> str | None:
    path = safe_join(folder, filename) if folder and filename else None
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return None
    if stat is None or not os.path.isfile(path):
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(filename: str) -> str:
    """Return url_for('static', filename=...) with its hash; outside debug mode, built once per
    process and application root (templates ask for the same few files on every page)."""
    if current_app.debug:
        return url_for("static", filename=filename)
    built = current_app.extensions.setdefault("nervetrack.static_urls", {})
    key = (request.script_root, filename)
    url = built.get(key)
    if url is None:
        built[key] = url = url_for("static", filename=filename)
    return url


def _add_hash(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        digest = static_file_hash(values.get("filename"))
        if digest:
            values["v"] = digest


def _cache_hashed(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    wanted = request.args.get("v")
    if wanted and wanted == static_file_hash((request.view_args or {}).get("filename")):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    """Add content hashes to static URLs and a year-long cache to requests that carry one."""
    app.url_defaults(_add_hash)
    app.after_request(_cache_hashed)
    app.jinja_env.globals["static_url"] = static_url
