"""Fixtures of the real-browser tests."""

from __future__ import annotations

import pytest

from tests.support.browser import serve


@pytest.fixture
def live(app):
    """The app (on each database) served from a thread: (app, base URL)."""
    with serve(app) as base_url:
        yield app, base_url
