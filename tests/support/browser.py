"""Shared pieces of the real-browser tests: Debian chromium, found or skipped (or required), a
live server for an app, and a phone-sized page."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def chromium_path() -> str:
    """Return Debian chromium's path; skip without it, or fail if NERVETRACK_REQUIRE_BROWSER=1."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("NERVETRACK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (NERVETRACK_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("chromium is not installed")
    return path


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve the app from a real local HTTP server in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def phone_page(**options) -> Iterator:
    """A 390x844 touch phone page in Debian's chromium; its console errors collect in
    `page.console_errors`. `options` go to `new_context` (color_scheme="dark", locale=...)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      device_scale_factor=2, is_mobile=True, has_touch=True,
                                      **options)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        try:
            yield page
        finally:
            context.close()
            browser.close()


def app_session(app):
    """A database session on the app's engine, for a test to arrange or check rows."""
    from sqlmodel import Session

    from webapp.db import get_engine

    return Session(get_engine(app), expire_on_commit=False)
