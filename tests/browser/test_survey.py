"""A patient on a phone: open a fresh link, tap through two regions, send, and check the scores."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.patient import TWO_REGIONS, open_survey
from webapp import create_app
from webapp.db import get_engine, make_engine
from webapp.models import SurveyAssignment, SurveyScore, utcnow
from webapp.survey.links import issue_link, link_url

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "test-output" / "survey-phone.png"
PAGE_SHOT = SCREENSHOT.with_name("survey-phone-page1.png")
TAPS = {  # page -> what the patient taps (or types)
    1: {"pain_now": "7", "pain_worst": "9"},
    2: {"pain_now": "3", "pain_worst": "4"},
    3: {"paresthesia": "6"},
    4: {"paresthesia": "1"},
    5: {"activity_1": "Holding a cup", "rating_1": "3"},  # one activity; more: "Add another"
}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass



@pytest.fixture
def live_app(tmp_path):
    """The app on a SQLite file, served by a real local HTTP server in a thread."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret", "DATABASE_URL": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REMINDER_CHANNEL": "file"})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    get_engine(app).dispose()


@pytest.fixture
def phone():
    """A 390x844 touch phone page in Debian's chromium; collects console errors."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      device_scale_factor=2, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        yield page
        context.close()
        browser.close()


def _answer_page(page, answers: dict, shot: Path | None = None) -> None:
    for name, value in answers.items():
        field = page.locator(f'input[name="{name}"]').first
        if field.get_attribute("type") == "radio":
            page.locator(f'label.tap:has(input[name="{name}"][value="{value}"])').tap()
        else:
            field.fill(value)
    if shot is not None:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name="Next").tap()


def _open_fresh_link(app, base_url, phone):
    """Open a survey window, issue its link and follow it; return (assignment, token)."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        assignment = open_survey(db)
        token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                           expires_at=assignment.closes_at, now=utcnow())
        db.commit()
    phone.goto(link_url(base_url, token))
    return assignment, token


def test_a_patient_completes_a_two_region_survey_on_a_phone(live_app, phone):
    app, base_url = live_app
    assignment, token = _open_fresh_link(app, base_url, phone)
    assert phone.url == f"{base_url}/p/" and token not in phone.url
    phone.get_by_role("link", name="Start").tap()
    for number, answers in TAPS.items():
        phone.wait_for_url(f"**/p/a/{assignment.id}/{number}")
        assert phone.get_by_text(f"Page {number} of 5").is_visible()
        _answer_page(phone, answers, PAGE_SHOT if number == 1 else None)
    phone.wait_for_url(f"**/p/a/{assignment.id}/review")
    phone.get_by_role("button", name="Send my answers").tap()
    phone.wait_for_url(f"**/p/a/{assignment.id}/thanks")
    assert phone.get_by_role("heading", name="Thank you").is_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT), full_page=True)
    print(f"\nscreenshots: {SCREENSHOT} (thank-you page), {PAGE_SHOT} (first page)")
    assert phone.console_errors == []
    with Session(get_engine(app)) as db:
        assert db.get(SurveyAssignment, assignment.id).status == "completed"
        stored = {(s.score_id, s.region_code): s.value
                  for s in db.exec(select(SurveyScore)).all()}
    right, left = TWO_REGIONS
    assert stored == {("pain_now", right): 7, ("pain_worst", right): 9,
                      ("pain_now", left): 3, ("pain_worst", left): 4,
                      ("paresthesia", right): 6, ("paresthesia", left): 1, ("psfs", ""): 3.0}


def test_rating_buttons_are_big_enough_to_tap(live_app, phone):
    app, base_url = live_app
    assignment, token = _open_fresh_link(app, base_url, phone)
    phone.goto(f"{base_url}/p/a/{assignment.id}/1")
    boxes = [phone.locator(f'label.tap:has(input[name="pain_now"][value="{n}"]) span')
             .bounding_box() for n in range(11)]
    assert all(b["width"] >= 44 and b["height"] >= 44 for b in boxes), boxes
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen
    assert phone.console_errors == []
