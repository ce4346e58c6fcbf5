"""A clinician at a 1024x768 tablet: the safety list with 120 flags, and the session form.

Debian chromium through Playwright (skipped without it, unless NERVETRACK_REQUIRE_BROWSER=1),
on SQLite only: the browser part is the same whatever the database. axe-core is fetched from
the npm registry into a cache outside the repository (tests/support/axe.py).
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.axe import axe_violations, describe
from tests.support.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD
from webapp import create_app
from webapp.auth.users import create_user
from webapp.care.records import add_treatment_session, record_procedure
from webapp.db import get_engine
from webapp.models import SafetyFlag

pytestmark = pytest.mark.browser

SEVEN = ("median-forearm-left", "ulnar-elbow-left", "medial-antebrachial-cutaneous-forearm-left",
         "median-carpal-tunnel-right", "common-fibular-fibular-head-left",
         "superficial-fibular-lower-leg-left", "dorsal-cutaneous-foot-dorsum-foot-right")
ZONES = ("Europe/London", "Asia/Kolkata", "America/New_York")
LAST_SESSION = datetime(2025, 4, 14, 10, 0, tzinfo=UTC)
OVERFLOW = ("() => [document.documentElement.scrollWidth, "
            "document.documentElement.clientWidth]")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass


def _seed(db) -> int:
    """A 7-region patient with one earlier session, and 120 open flags over six patients."""
    course = make_course(db, study_code="NT-SSC", regions=SEVEN, synthetic=True)
    row = add_treatment_session(db, course=course, scheduled_at=LAST_SESSION,
                                performed_at=LAST_SESSION, status="performed")
    for code in SEVEN[:2]:
        record_procedure(db, treatment_session=row, region_code=code, injectate="D5W",
                         volume_ml=4.0)
    patients = [course.patient_id] + [
        make_course(db, study_code=f"NT-{n:04d}", timezone=ZONES[n % 3], regions=SEVEN[n:n + 1],
                    email=f"p{n}@example.test").patient_id for n in range(1, 6)]
    raised = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    for i in range(120):
        worse = i % 2 == 1
        db.add(SafetyFlag(
            patient_id=patients[i % 6], kind="worsening" if worse else "adverse_event",
            severity="watch" if worse or i % 5 else "serious", rule_id="r",
            detail=(f"pain {7 + i % 3} (baseline 3, previous 4) in {SEVEN[i % 7]}" if worse
                    else "New weakness or numbness lasting over 24 hours after the session: "
                         "contact the patient today."),
            raised_at=raised - timedelta(hours=i)))
    create_user(session=db, email="clinician@clinic.test", name="Clinician", role="clinician",
                password=STAFF_PASSWORD)
    db.commit()
    return course.patient_id


@pytest.fixture
def live_app(tmp_path):
    """The app on SQLite, seeded, served by a real HTTP server in a thread."""
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "BASE_URL": "http://127.0.0.1",
                      "REMINDER_CHANNEL": "file", "ASSET_DIR": str(tmp_path / "assets"),
                      "CLINIC_TIMEZONE": "Europe/London"})
    engine = get_engine(app)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        patient_id = _seed(db)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", patient_id=patient_id)
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()


class Tablet:
    """A signed-in clinician's 1024x768 page, noting console errors and uncaught exceptions."""

    def __init__(self, browser, base: str, *, javascript: bool = True):
        self.errors: list[str] = []
        self.refused: list[str] = []  # the deliberate 4xx answers to refused forms
        context = browser.new_context(viewport={"width": 1024, "height": 768},
                                      java_script_enabled=javascript)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=email]", "clinician@clinic.test")
        self.page.fill("input[name=password]", STAFF_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/(clinic|$).*"))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        # A refused form answers 400/409 on purpose; chromium logs that as a failed load.
        if re.search(r"status of (400|409)", msg.text):
            self.refused.append(msg.location.get("url", ""))
            return
        self.errors.append(f"{msg.text} ({msg.location.get('url')})")

    def overflow(self) -> int:
        """How many pixels the page is wider than the viewport (0: no horizontal scroll)."""
        scroll, client = self.page.evaluate(OVERFLOW)
        return scroll - client


@pytest.fixture
def browser():
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _rows(page) -> int:
    return page.locator("#open-flags tbody tr[id^=flag-]").count()


def test_safety_list_pages_filters_and_acknowledges_on_a_tablet(live_app, browser):
    tablet = Tablet(browser, live_app.base)
    page = tablet.page
    page.goto(f"{live_app.base}/clinic/safety")
    assert _rows(page) == 25 and tablet.overflow() <= 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "safety-1024.png"))
    assert "superficial-fibular" not in page.inner_text("main")
    assert page.get_by_text("the note is required").is_visible()
    page.click("a[rel=next]")
    assert "Page 2 of 5: flags 26 to 50 of 120" in page.inner_text(".pager")
    assert _rows(page) == 25 and tablet.overflow() <= 0
    page.select_option("#f-severity", "serious")
    page.click(".triage-filters button[type=submit]")
    assert "severity=serious" in page.url and "page" not in page.url
    serious = _rows(page)
    assert serious == 12 and tablet.overflow() <= 0
    assert axe_violations(page) == []
    first = page.locator("#open-flags tbody tr[id^=flag-]").first
    first.locator("button[type=submit]").click()  # no note: the browser keeps the form
    assert _rows(page) == serious
    first.locator("textarea").fill("Called the patient, seen today")
    first.locator("button[type=submit]").click()
    page.wait_for_selector("p.flash.info")
    assert "severity=serious" in page.url and _rows(page) == serious - 1
    assert "Called the patient, seen today" in page.inner_text("#done-flags")
    assert tablet.errors == []


def _region_fields_visible(page) -> list[bool]:
    return [page.locator(f"#regions-{i}-fields").is_visible() for i in range(7)]


@pytest.mark.parametrize("javascript", [True, False])
def test_session_form_shows_only_treated_regions(live_app, browser, javascript):
    tablet = Tablet(browser, live_app.base, javascript=javascript)
    page = tablet.page
    path = f"{live_app.base}/clinic/patients/{live_app.patient_id}/sessions/new"
    page.goto(path)
    untouched = page.locator("form.session-form").bounding_box()["height"]
    assert _region_fields_visible(page) == [False] * 7
    page.check("#regions-3-treated")
    assert _region_fields_visible(page) == [i == 3 for i in range(7)]
    one_region = page.locator("form.session-form").bounding_box()["height"]
    assert tablet.overflow() <= 0
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"session-form-1024{'' if javascript else '-nojs'}.png"),
                    full_page=True)
    # the 7 untreated regions cost little height; one treated region opens its fields
    assert untouched < 1300 and one_region > untouched + 200, (untouched, one_region)
    page.uncheck("#regions-3-treated")
    page.click("button.primary")
    assert "Tick at least one region treated" in page.inner_text("main")
    assert tablet.refused and tablet.errors == []
    print(f"session form height at 1024x768: untouched {untouched:.0f} px, "
          f"one region {one_region:.0f} px")


def test_session_form_copies_warns_about_a_duplicate_and_passes_axe(live_app, browser):
    tablet = Tablet(browser, live_app.base)
    page = tablet.page
    page.goto(f"{live_app.base}/clinic/patients/{live_app.patient_id}/sessions/new"
              "?copy=previous")
    assert _region_fields_visible(page) == [True, True] + [False] * 5
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.fill("#date", "2025-04-14")
    page.fill("#time", "15:00")  # London in April is UTC+1: 4 hours after the last session
    page.select_option("#status", "performed")
    page.click("button.primary")
    warning = page.locator("#duplicate-warning")
    assert warning.is_visible() and "14 Apr 2025 11:00" in warning.inner_text()
    assert tablet.overflow() <= 0 and axe_violations(page) == []
    page.check("#confirm_duplicate")
    page.click("button.primary")
    page.wait_for_url(re.compile(rf".*/clinic/patients/{live_app.patient_id}$"))
    assert "Session saved" in page.inner_text("main")
