"""Response compression (Flask-Compress): brotli or gzip, whichever the browser prefers.

Two kinds of response are left as they are:
- the plotly.js bundle, which its view already serves gzipped once per process with an ETag per
  encoding (compressing it again on every request would cost more than the page it serves);
- responses to cross-site requests (``Sec-Fetch-Site: cross-site``): pages hold CSRF tokens and
  some echo what the request asked for, and a compressed length observed across many requests
  an attacker's page triggers is what BREACH reads secrets from. Our own pages, links opened
  from a message and typed addresses are never cross-site, so they are still compressed.
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

# Endpoints that set their own Content-Encoding (named as strings: the kernel imports no feature).
PRECOMPRESSED_ENDPOINTS = frozenset({"dashboards.send_plotly_js"})

SETTINGS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],  # static files are sent as streams
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,
}


def should_compress() -> bool:
    """Tell whether this request's response may be compressed."""
    if request.endpoint in PRECOMPRESSED_ENDPOINTS:
        return False
    return request.headers.get("Sec-Fetch-Site", "").lower() != "cross-site"


def init_app(app: Flask) -> None:
    """Compress eligible responses when the client accepts brotli or gzip."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    app.config["COMPRESS_REGISTER"] = False  # registered below, behind should_compress
    compress = Compress()
    compress.init_app(app)

    def compress_response(response):
        return compress.after_request(response) if should_compress() else response

    app.after_request(compress_response)
