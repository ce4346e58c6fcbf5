"""A real browser (Debian chromium through Playwright) draws a patient's dashboard on a tablet.

Skipped when chromium is missing, unless NERVETRACK_REQUIRE_BROWSER=1 (then it fails).
Runs on SQLite only: the browser part is the same whatever the database.
"""

from __future__ import annotations

import json
import re
import threading

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from bench.bench_dashboard import seed_scleroderma_patient
from tests.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from tests.conftest import STAFF_PASSWORD
from webapp import create_app
from webapp.db import get_engine
from webapp.users import create_user

pytestmark = pytest.mark.browser



@pytest.fixture
def live_app(tmp_path):
    """The app on SQLite served by a real HTTP server in a thread; yields (url, patient id)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"),
                      "BASE_URL": "http://127.0.0.1", "REMINDER_CHANNEL": "file"})
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
    yield f"http://127.0.0.1:{server.server_port}", patient_id
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


def test_dashboard_draws_on_a_tablet(live_app):
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    base, patient_id = live_app
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.on("console", lambda msg: _console(msg, errors))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "clinician@clinic.test")
            page.fill("input[name=password]", STAFF_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/(clinic|$).*"))
            page.goto(f"{base}/clinic/patients/{patient_id}")
            page.wait_for_selector("#plot-pain.js-plotly-plot .main-svg", timeout=20_000)
            drawn = page.locator("#plot-pain .scatterlayer .trace").count()
            expected = _visible_traces(page.content(), "pain")
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)
            plots = page.locator(".js-plotly-plot").count()
            hover = page.evaluate(HOVER_LAST_POINT, "plot-pain")
        finally:
            browser.close()
    # 7 regions x (baseline, line, missed 3-month markers) + sessions; the 7 MCID bands start
    # hidden (legend-only) past two regions, so they are not drawn.
    assert expected == 7 * 3 + 1
    assert drawn == expected
    assert plots == 6  # pain, worst pain, paresthesia, function, PGIC and the CSA panel
    assert errors == []
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
