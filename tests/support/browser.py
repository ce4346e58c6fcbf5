"""Shared pieces of the real-browser tests: Debian chromium, found or skipped (or required)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
