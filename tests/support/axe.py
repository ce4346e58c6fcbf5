"""axe-core for the browser tests: fetched once from the npm registry into a cache folder outside
the repository, injected into the page, and its violations returned (axe's default rule set:
WCAG 2.x A and AA plus its best practices, such as empty table headers).

The folder is NERVETRACK_AXE_DIR, else ~/.cache/nervetrack-test (`.ci/run` fills it with
`npm install --prefix`). Missing and not fetchable (no npm, offline): the test is skipped, or
fails when NERVETRACK_REQUIRE_BROWSER=1, as for chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

AXE_PACKAGE = "axe-core@4"


def axe_dir() -> Path:
    """Return the cache folder axe-core is installed into."""
    given = os.environ.get("NERVETRACK_AXE_DIR")
    return Path(given) if given else Path.home() / ".cache" / "nervetrack-test"


def axe_script() -> Path:
    """Return axe.min.js, installing axe-core with npm the first time; skip (or fail) without."""
    folder = axe_dir()
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        _install(folder)
    if not script.is_file():
        message = f"axe-core is not in {folder} and npm could not fetch {AXE_PACKAGE}"
        if os.environ.get("NERVETRACK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return script


def _install(folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                    "--no-save", AXE_PACKAGE], check=False, capture_output=True, timeout=300)


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations (id, impact, targets).

    `assert axe_violations(page) == [], describe(violations)` reads well when one fails.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol rather than page.add_script_tag: our pages'
        # CSP (script-src 'self') would refuse an inline <script> and log a console error.
        page.evaluate(axe_script().read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("() => axe.run(document)")
    return [{"id": v["id"], "impact": v["impact"],
             "targets": [node["target"] for node in v["nodes"]][:5]}
            for v in result["violations"]]


def describe(violations: list[dict]) -> str:
    """Return one line per violation (rule, impact, first targets) for an assertion message."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['targets']}" for v in violations)
