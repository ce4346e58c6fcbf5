"""A real browser (Debian chromium through Playwright) draws a patient's dashboard on a tablet
(the cohort view: tests/browser/test_cohort.py).

Skipped when chromium is missing, unless NERVETRACK_REQUIRE_BROWSER=1 (then it fails).
Runs on SQLite only: the browser part is the same whatever the database.

Each test runs with both plotly.js bundles: "full" (inside the plotly package, always there) and
"basic" (the pinned partial bundle `nervetrack fetch-assets` put in NERVETRACK_ASSET_DIR, else
~/.cache/nervetrack; skipped when it is absent, unless NERVETRACK_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from bench.bench_dashboard import seed_scleroderma_patient
from tests.support.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from tests.support.web import STAFF_PASSWORD
from webapp import create_app
from webapp.auth.users import create_user
from webapp.dashboards.plotly_bundle import bundle_for, default_asset_dir, installed_bundle
from webapp.db import get_engine

pytestmark = pytest.mark.browser



@pytest.fixture(params=["full", "basic"])
def asset_dir(request, tmp_path):
    """The asset folder for each bundle: empty (full), or the real fetched one (basic)."""
    if request.param == "full":
        return request.param, tmp_path / "no-assets"
    given = os.environ.get("NERVETRACK_ASSET_DIR")  # where `nervetrack fetch-assets` put it
    folder = Path(given) if given else default_asset_dir()
    if installed_bundle(folder) is None:
        message = f"no verified basic plotly.js bundle in {folder}: run `nervetrack fetch-assets`"
        if os.environ.get("NERVETRACK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return request.param, folder


@pytest.fixture
def live_app(tmp_path, asset_dir):
    """The app on SQLite served by a real HTTP server in a thread, with the bundle asked for."""
    kind, folder = asset_dir
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "ASSET_DIR": str(folder),
                      "BASE_URL": "http://127.0.0.1", "REMINDER_CHANNEL": "file"})
    bundle = bundle_for(app)
    assert bundle.kind == kind
    engine = get_engine(app)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        patient_id = seed_scleroderma_patient(db, study_code="NT-SSC")
        create_user(session=db, email="clinician@clinic.test", name="Clinician",
                    role="clinician", password=STAFF_PASSWORD)
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", patient_id=patient_id,
                          bundle=bundle, engine=engine)
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()


def _visible_traces(html: str, name: str) -> int:
    body = re.search(rf'<script type="application/json" id="fig-{name}">(.*?)</script>', html,
                     re.S).group(1)
    return sum(1 for t in json.loads(body)["data"] if t.get("visible", True) is True)


def _console(msg, errors: list[str]) -> None:
    # The browser asks for /favicon.ico on its own; base.html has none, which is not our page.
    if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
        errors.append(f"{msg.text} ({msg.location.get('url')})")


class Tablet:
    """A signed-in clinician's chromium page at tablet size, noting errors and plotly.js loads."""

    def __init__(self, browser, base: str):
        self.errors: list[str] = []
        self.plotly: list = []  # the responses that delivered plotly.js
        self.page = browser.new_page(viewport={"width": 1024, "height": 768})
        self.page.on("console", lambda msg: _console(msg, self.errors))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("response", lambda r: self.plotly.append(r) if "/plotly.min.js" in r.url
                     else None)
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=email]", "clinician@clinic.test")
        self.page.fill("input[name=password]", STAFF_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/(clinic|$).*"))

    def assert_bundle_served(self, bundle) -> None:
        """The page loaded exactly our bundle, gzipped, through its cache-busting URL."""
        assert len(self.plotly) == 1
        response = self.plotly[0]
        assert response.url.endswith(f"/clinic/assets/plotly.min.js?v={bundle.etag}")
        headers = response.all_headers()
        assert headers["content-encoding"] == "gzip"
        assert headers["etag"] == f'"{bundle.etag}-gzip"'
        assert self.page.evaluate("window.Plotly.version") == bundle.version


@contextmanager
def signed_in_tablet(base: str):
    """Yield a Tablet in Debian chromium (skipped, or failed if required, without it)."""
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield Tablet(browser, base)
        finally:
            browser.close()


def test_dashboard_draws_on_a_tablet(live_app):
    with signed_in_tablet(live_app.base) as tablet:
        page = tablet.page
        page.goto(f"{live_app.base}/clinic/patients/{live_app.patient_id}")
        first = page.locator("figure.panel").first
        panel_top = first.bounding_box()["y"]
        served_before = len(tablet.plotly)  # the server-drawn panels need no plotly.js
        first.locator("details.live summary").click()  # the interactive view, on demand
        plot = first.locator(".plot").get_attribute("id")
        page.wait_for_selector(f"#{plot}.js-plotly-plot .main-svg", timeout=20_000)
        drawn = page.locator(f"#{plot} .scatterlayer .trace").count()
        expected = _visible_traces(page.content(), plot.removeprefix("plot-"))
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"dashboard-{live_app.bundle.kind}.png"),
                        full_page=True)
        plots = page.locator(".js-plotly-plot").count()
        hover = page.evaluate(HOVER_LAST_POINT, plot)
        x_title, legend = (page.locator(f"#{plot} {sel}").bounding_box()
                           for sel in (".g-xtitle", ".legend"))
        tablet.assert_bundle_served(live_app.bundle)
    # one region: pain and paresthesia x (band, baseline, line, missed 3-month markers),
    # its sessions, and the (empty) trace that carries the named-timepoint axis on top
    assert expected == 2 * 4 + 2
    assert drawn == expected
    assert served_before == 0 and plots == 1  # only the view the clinician opened
    assert tablet.errors == []
    # the first region's panel starts on the first screen, and its legend sits under the
    # axis title
    assert panel_top < 768 - 150, panel_top
    assert legend["y"] >= x_title["y"] + x_title["height"], (legend, x_title)
    # plotly.js filled the trace-level template from the points' customdata and text
    assert "%{" not in hover and "undefined" not in hover
    assert re.search(r"\d\d [A-Z][a-z]{2} \d{4} · ", hover), hover
    assert re.search(r"Pain \(NRS 0-10\): \d+Change from baseline: [−+]?\d", hover), hover


# Hover the last answered point of the first region's line and return the tooltip's text.
HOVER_LAST_POINT = """(id) => {
  const gd = document.getElementById(id);
  const curve = gd.data.findIndex(t => t.mode === "lines+markers" && t.customdata);
  const ys = gd.data[curve].y;
  let point = ys.length - 1;
  while (ys[point] === null) point -= 1;
  Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: point}]);
  return gd.querySelector(".hoverlayer").textContent;
}"""
