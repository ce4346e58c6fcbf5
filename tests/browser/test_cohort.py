"""A real browser (Debian chromium through Playwright) draws the cohort view of the seeded demo.

The clinician's question from the demo: carpal tunnel on D5W against other injectates. At a
tablet's 1024x768 and a desktop's 1440x900, the page draws mean change with 95% CI error bars,
responder bars with their CIs and the Kaplan-Meier curves with numbers at risk, with no console
error; its tables start collapsed. Screenshots go to test-output/.

Skipped when chromium is missing, unless NERVETRACK_REQUIRE_BROWSER=1 (then it fails). Runs with
both plotly.js bundles, like tests/browser/test_dashboard.py, on SQLite only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from tests.support.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from tests.support.web import STAFF_PASSWORD
from webapp import create_app
from webapp.auth.users import create_user
from webapp.dashboards.plotly_bundle import bundle_for, default_asset_dir, installed_bundle
from webapp.db import get_engine, make_engine
from webapp.demo.seed import seed_demo

pytestmark = pytest.mark.browser

VIEWPORTS = ((1024, 768), (1440, 900))
QUESTION = "/clinic/cohort?by=injectate&only=site:median-carpal-tunnel&a=D5W&b=saline"
FIG_RE = re.compile(r'<script type="application/json" id="fig-([a-z_]+)">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory) -> Path:
    """The demo seeded once into a SQLite file (each bundle's server gets a copy)."""
    path = tmp_path_factory.mktemp("cohort") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        seed_demo(session=db, today=date(2026, 11, 21))
        create_user(session=db, email="browser@clinic.test", name="Clinician",
                    role="clinician", password=STAFF_PASSWORD)
        db.commit()
    engine.dispose()
    return path


@pytest.fixture(params=["full", "basic"])
def live_app(request, tmp_path, seeded_db):
    """The app on a copy of the seeded demo, served over HTTP, with the bundle asked for."""
    folder = tmp_path / "no-assets"
    if request.param == "basic":
        given = os.environ.get("NERVETRACK_ASSET_DIR")
        folder = Path(given) if given else default_asset_dir()
        if installed_bundle(folder) is None:
            message = f"no verified basic plotly.js bundle in {folder}: run fetch-assets"
            if os.environ.get("NERVETRACK_REQUIRE_BROWSER") == "1":
                pytest.fail(message)
            pytest.skip(message)
    shutil.copy(seeded_db, tmp_path / "demo.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "ASSET_DIR": str(folder),
                      "BASE_URL": "http://127.0.0.1", "REMINDER_CHANNEL": "file"})
    assert bundle_for(app).kind == request.param
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", kind=request.param)
    server.shutdown()
    thread.join(timeout=10)
    get_engine(app).dispose()


@pytest.fixture
def browser():
    """Debian chromium (skipped, or failed if required, without it)."""
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _signed_in_page(browser, base: str, width: int, height: int):
    """A clinician's page at this size, collecting console and page errors."""
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "browser@clinic.test")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(clinic|$).*"))
    return page, errors


def _visible(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if t.get("visible", True) is True]


def _error_bars(figure: dict) -> int:
    """Points of the visible traces that carry a 95% CI (an error bar to draw)."""
    return sum(sum(1 for up in t["error_y"]["array"] if up is not None)
               for t in _visible(figure))


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_cohort_draws_ci_error_bars_and_kaplan_meier(live_app, browser, width, height):
    page, errors = _signed_in_page(browser, live_app.base, width, height)
    page.goto(live_app.base + QUESTION)
    for name in ("change", "responders", "durability"):
        page.wait_for_selector(f"#plot-{name}.js-plotly-plot .main-svg", timeout=30_000)
    figures = {name: json.loads(body) for name, body in FIG_RE.findall(page.content())}
    drawn = {"error bars": page.locator("#plot-change path.yerror").count(),
             "bars": page.locator("#plot-responders .barlayer .point").count(),
             "curves": page.locator("#plot-durability .scatterlayer .js-line").count(),
             "at risk": page.locator("#plot-durability .textpoint").count()}
    hover = page.evaluate(HOVER_FIRST_POINT, "plot-change")
    collapsed = not page.locator("#table-timepoints").is_visible()
    overflow = page.evaluate("document.scrollingElement.scrollWidth") - width
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"cohort-{live_app.kind}-{width}x{height}.png"),
                    full_page=True)
    page.click("#details-timepoints summary")
    opened = page.locator("#table-timepoints").is_visible()
    page.close()
    change, km = figures["change"], figures["durability"]
    assert [t["name"] for t in change["data"]] == ["D5W", "Saline", "Anaesthetic"]
    assert drawn["error bars"] == _error_bars(change) >= 9  # 3 groups x 1, 3, 6 months at least
    assert drawn["bars"] == sum(len(t["y"]) for t in _visible(figures["responders"]))
    assert drawn["curves"] == 3  # one Kaplan-Meier step line per injectate group
    at_risk = [t for t in km["data"] if t.get("yaxis") == "y2"]
    assert drawn["at risk"] == sum(len(t["text"]) for t in at_risk) > 0
    assert re.search(r"D5W.+mean change [−+]\d\.\d \(95% CI [−+]?\d", hover), hover
    assert collapsed and opened
    assert overflow <= 0, overflow
    assert errors == []


def test_trial_table_prints_without_errors(live_app, browser):
    page, errors = _signed_in_page(browser, live_app.base, 1024, 768)
    page.goto(live_app.base + QUESTION.replace("/clinic/cohort", "/clinic/cohort/trial-table"))
    tables = page.locator("article.trial-table table").count()
    page.emulate_media(media="print")
    header_hidden = not page.locator("header.top").is_visible()
    page.close()
    assert tables == 4 and header_hidden
    assert errors == []


# Hover the first point of the first trace and return the tooltip's text.
HOVER_FIRST_POINT = """(id) => {
  const gd = document.getElementById(id);
  Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: 0}]);
  return gd.querySelector(".hoverlayer").textContent;
}"""
