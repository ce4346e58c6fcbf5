"""My progress on a 390x844 phone: the chart drawn, nothing wider than the screen, axe clean,
light enough for a weak connection, the calendar file downloaded, and reminders paused."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import Session, SQLModel, select

from tests.support.axe import axe_violations, describe
from tests.support.browser import OUTPUT, phone_page, serve
from tests.support.progress import patient_with_progress, progress_link
from webapp import create_app
from webapp.db import get_engine, make_engine
from webapp.models import Patient

pytestmark = pytest.mark.browser

BUDGET = 15_000  # bytes, uncompressed: the page with its CSS, script and inline SVG
SHOT = OUTPUT / "progress-phone.png"
CHOICES_SHOT = OUTPUT / "progress-reminders-phone.png"
MEDIAN, ULNAR = "median-carpal-tunnel-right", "ulnar-elbow-left"


@pytest.fixture
def live_app(tmp_path):
    """The app on a SQLite file, served by a real local HTTP server in a thread."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret", "DATABASE_URL": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REMINDER_CHANNEL": "file",
                      "CLINIC_NAME": "Riverside Clinic"})
    with serve(app) as base_url:
        yield app, base_url
    get_engine(app).dispose()


@pytest.fixture
def phone():
    """A 390x844 touch phone page in Debian's chromium that accepts downloads."""
    with phone_page(accept_downloads=True) as page:
        yield page


def _signed_in(app, base_url, phone) -> dict[str, int]:
    """Two patients' data; follow patient A's link; return the sizes of what the page loaded."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        ann = patient_with_progress(db, "NT-A", region=MEDIAN, zone="Europe/London",
                                    answers=[(8, 5), (5, 4), (2, 3)])
        patient_with_progress(db, "NT-B", region=ULNAR, zone="Asia/Kolkata", first_name="Bo",
                              answers=[(9, 1), (8, 1), (7, 2)])
        link = progress_link(db, ann)
    loaded = []
    phone.on("response", lambda r: r.status == 200 and loaded.append(r))
    phone.goto(base_url + link)
    phone.wait_for_load_state("networkidle")
    assert phone.url == f"{base_url}/p/"
    return {r.url.replace(base_url, ""): len(r.body()) for r in loaded}


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_progress_page_on_a_phone(live_app, phone):
    app, base_url = live_app
    sizes = _signed_in(app, base_url, phone)
    total = sum(sizes.values())
    print(f"\nprogress page weight: {total} bytes uncompressed ({sizes})")
    assert {path.split("?")[0] for path in sizes} == {
        "/p/", "/static/patient.css", "/static/patient.js"}
    assert total <= BUDGET
    chart = phone.locator("svg.nt-progress")
    assert chart.count() == 1 and chart.bounding_box()["width"] >= 300
    assert chart.locator("polyline").count() >= 2 and chart.locator(".nt-session").count() == 3
    assert phone.get_by_text("Pain down from 8 to 2 since your first treatment.",
                             exact=True).is_visible()
    assert phone.get_by_text("Left elbow").count() == 0  # patient B's region
    _no_overflow(phone)
    assert axe_violations(phone) == [], describe(axe_violations(phone))
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOT), full_page=True)
    print(f"screenshot: {SHOT}")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Add my check-ins to my calendar").tap()
    events = list(Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT"))
    assert len(events) >= 3 and {str(e["SUMMARY"]) for e in events} == {
        "Check-in for Riverside Clinic"}
    assert phone.console_errors == []


def test_pausing_reminders_from_the_progress_page(live_app, phone):
    app, base_url = live_app
    _signed_in(app, base_url, phone)
    phone.get_by_role("link", name="Pause or stop reminders").tap()
    phone.wait_for_url("**/p/stop/**")
    assert phone.get_by_role("button", name="Stop reminders").is_visible()
    _no_overflow(phone)
    assert axe_violations(phone) == [], describe(axe_violations(phone))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Pause reminders for a week").tap()
    assert phone.get_by_text("Done. We will send you no reminders until").is_visible()
    assert axe_violations(phone) == [], describe(axe_violations(phone))
    phone.screenshot(path=str(CHOICES_SHOT), full_page=True)
    with Session(get_engine(app)) as db:
        paused = {p.study_code: p.reminders_paused_until
                  for p in db.exec(select(Patient)).all()}
    assert paused["NT-A"] is not None and paused["NT-B"] is None
    assert phone.console_errors == []
