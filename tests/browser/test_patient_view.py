"""The clinician's patient page and printable report in a real browser, on the demo's scleroderma
case, at a phone (390 px), a tablet (1024 px) and a desktop (1440 px).

Debian chromium through Playwright (skipped without it, unless NERVETRACK_REQUIRE_BROWSER=1),
on SQLite only: the browser part is the same whatever the database. axe-core comes from the
npm registry into a cache outside the repository (tests/support/axe.py). Screenshots and the
report's PDF go to test-output/.
"""

from __future__ import annotations

import re
import threading
from io import BytesIO
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.axe import axe_violations, describe
from tests.support.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from webapp import create_app
from webapp.db import get_engine
from webapp.demo.accounts import DEMO_PASSWORDS
from webapp.demo.seed import SCLERODERMA_CODE, seed_demo
from webapp.models import Patient, TreatmentCourse, TreatmentSession

try:
    import pypdf
except ImportError:  # optional: not a dependency of the project
    pypdf = None

pytestmark = pytest.mark.browser

WIDTHS = (390, 1024, 1440)
NOTE = "Less tingling at night; asked about driving"
# 7 regions, each with its symptoms and (the demo measures every one) its CSA; function, PGIC
PANELS = 7 + 7 + 2
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The demo (staff, scleroderma case; no cohort) on SQLite, served from a thread."""
    folder = tmp_path_factory.mktemp("patient-view")
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "DATABASE_URL": f"sqlite:///{folder / 'browser.db'}",
                      "INSTANCE_PATH": str(folder / "instance"), "BASE_URL": "http://127.0.0.1",
                      "REMINDER_CHANNEL": "file", "ASSET_DIR": str(folder / "no-assets")})
    engine = get_engine(app)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        seed_demo(session=db, cohort_size=0)
        patient_id = db.exec(select(Patient.id).where(Patient.study_code == SCLERODERMA_CODE)).one()
        third = db.exec(select(TreatmentSession).join(TreatmentCourse).where(
            TreatmentCourse.patient_id == patient_id).order_by(TreatmentSession.scheduled_at)
            .offset(2)).first()
        third.notes = NOTE  # the demo's sessions carry no notes: one for the timeline
        db.add(third)
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", patient_id=patient_id)
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Clinician:
    """A signed-in clinician's page at one width, noting console errors and plotly.js loads."""

    def __init__(self, browser, base: str, width: int):
        self.errors: list[str] = []
        self.plotly: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text)
                     if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.plotly.append(r.url)
                     if "/plotly.min.js" in r.url else None)
        self.page.goto(f"{base}/login")
        email, password = DEMO_PASSWORDS["clinician"]
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/(clinic|$).*"))

    def overflow(self) -> int:
        """How many pixels the page is wider than the window (0 or less: no sideways scroll)."""
        return self.page.evaluate(OVERFLOW)

    def drawn(self) -> int:
        """How many interactive views plotly.js has drawn."""
        return self.page.locator("figure.panel .js-plotly-plot").count()


@pytest.fixture
def clinician(request, browser, live_app):
    person = Clinician(browser, live_app.base, request.param)
    yield person
    person.context.close()


@pytest.mark.parametrize("clinician", WIDTHS, indirect=True)
def test_patient_page_draws_panels_first_and_plotly_only_on_demand(live_app, clinician):
    page, width = clinician.page, clinician.page.viewport_size["width"]
    page.goto(f"{live_app.base}/clinic/patients/{live_app.patient_id}")
    panels = page.locator("figure.panel > svg")
    assert panels.count() == PANELS
    heights = page.evaluate("() => [...document.querySelectorAll('figure.panel > svg')]"
                            ".map(svg => svg.getBoundingClientRect().height)")
    assert min(heights) > 100, heights  # drawn, not collapsed
    assert clinician.overflow() <= 0
    assert NOTE in page.inner_text("#timeline")
    assert page.evaluate("typeof window.Plotly") == "undefined" and clinician.plotly == []
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"patient-{width}.png"), full_page=True)

    first = page.locator("figure.panel").first
    first.locator("details.live summary").click()
    first.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
    assert len(clinician.plotly) == 1 and clinician.drawn() == 1
    assert not first.locator(":scope > svg").is_visible()  # the interactive view replaces it
    assert first.locator(".modebar").count() == 0  # no nested interactive mode bar
    assert clinician.overflow() <= 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.screenshot(path=str(OUTPUT / f"patient-{width}-interactive.png"), full_page=True)
    assert clinician.errors == []


@pytest.mark.parametrize("clinician", [1024], indirect=True)
def test_every_view_opened_draws_as_it_scrolls_into_view(live_app, clinician):
    page = clinician.page
    page.goto(f"{live_app.base}/clinic/patients/{live_app.patient_id}")
    page.click("#open-all")
    page.locator("figure.panel .js-plotly-plot").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    near = clinician.drawn()
    assert 0 < near < PANELS  # only the views on (or near) the screen
    last = page.locator("figure.panel").last
    last.scroll_into_view_if_needed()
    last.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
    assert clinician.drawn() > near and len(clinician.plotly) == 1
    hover = page.evaluate(HOVER_SESSION, last.locator(".js-plotly-plot").get_attribute("id"))
    assert re.search(r"Session 3 · \d\d [A-Z][a-z]{2} \d{4} · performed", hover), hover
    assert f"Note: {NOTE}" in hover
    assert clinician.errors == []


@pytest.mark.parametrize("clinician", WIDTHS, indirect=True)
def test_report_reads_on_screen_and_prints_to_one_page(live_app, clinician):
    page, width = clinician.page, clinician.page.viewport_size["width"]
    page.goto(f"{live_app.base}/clinic/patients/{live_app.patient_id}/report")
    assert page.locator(".report-panel svg").count() == 7 + 2  # symptoms per region, overall
    assert page.locator("script").count() == 0
    assert NOTE in page.inner_text("#report-sessions")
    assert clinician.overflow() <= 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"report-{width}.png"), full_page=True)
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper)
        (OUTPUT / f"report-{paper.lower()}.pdf").write_bytes(pdf)
        assert pdf_pages(pdf) == 1, paper
    assert clinician.errors == []


def pdf_pages(pdf: bytes) -> int:
    """Count a PDF's pages: with pypdf when installed, else its /Type /Page objects."""
    if pypdf is None:
        return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))
    return len(pypdf.PdfReader(BytesIO(pdf)).pages)


# Hover the third session's marker of a drawn view and return the tooltip's text.
HOVER_SESSION = """(id) => {
  const gd = document.getElementById(id);
  const curve = gd.data.findIndex(t => t.name === "Sessions");
  Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: 2}]);
  return gd.querySelector(".hoverlayer").textContent;
}"""
