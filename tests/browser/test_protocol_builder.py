"""A coordinator at 1024x768 builds "CTS single injection: 1, 3, 6 months" with the mouse.

No JSON: four timepoints are added, named, reordered and given their questionnaires in the
builder, previewed on the sample course, saved as version 1; then a patient is enrolled on it and
the coordinator reads the patient's schedule grid. Screenshots go to test-output/.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.browser import CHROMIUM_ARGS, OUTPUT, chromium_path
from tests.support.web import STAFF_PASSWORD
from webapp import create_app
from webapp.auth.users import create_user
from webapp.db import get_engine, make_engine
from webapp.models import Protocol, ProtocolVersion, SurveyAssignment, utcnow

pytestmark = pytest.mark.browser

NAME = "CTS single injection: 1, 3, 6 months"
# (name, counted from, due, unit, opens days before, closes days after, questionnaires)
TIMEPOINTS = [
    ("Before the injection", "the first session", "0", "days", "7", "0",
     ["Pain", "Tingling, numbness or burning", "Everyday activities"]),
    ("1 month after the injection", "the last session", "1", "months (calendar)", "7", "14",
     ["Pain", "Tingling, numbness or burning", "Overall change"]),
    ("3 months after the injection", "the last session", "3", "months (calendar)", "7", "14",
     ["Pain", "Overall change"]),
    ("6 months after the injection", "the last session", "6", "months (calendar)", "7", "14",
     ["Pain", "Everyday activities", "Overall change"]),
]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the test output readable
        pass


@pytest.fixture
def live_app(tmp_path):
    """The app on a SQLite file with one coordinator, served by a local HTTP server."""
    url = f"sqlite:///{tmp_path / 'builder.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test-secret", "DATABASE_URL": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REMINDER_CHANNEL": "file"})
    with Session(get_engine(app)) as db:
        create_user(session=db, email="coordinator@clinic.test", name="Casey",
                    role="coordinator", password=STAFF_PASSWORD)
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    get_engine(app).dispose()


@pytest.fixture
def desk():
    """A 1024x768 desktop page in Debian's chromium; collects console errors."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        yield page
        context.close()
        browser.close()


def _sign_in(page, base_url):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").click()
    page.keyboard.type("coordinator@clinic.test")
    page.get_by_label("Password").click()
    page.keyboard.type(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/coordinate/worklist")


def _type_into(page, selector: str, text: str):
    field = page.locator(selector)
    field.click(click_count=3)
    page.keyboard.type(text)


def _fill_row(page, index: int, spec):
    name, anchor, amount, unit, opens, closes, questionnaires = spec
    row = page.locator(f"#row-{index}")
    _type_into(page, f"#tp-{index}-label", name)
    row.locator(f"#tp-{index}-anchor").select_option(label=anchor)
    _type_into(page, f"#tp-{index}-amount", amount)
    row.locator(f"#tp-{index}-unit").select_option(label=unit)
    _type_into(page, f"#tp-{index}-opens", opens)
    _type_into(page, f"#tp-{index}-closes", closes)
    boxes = row.locator("fieldset.checks input[type=checkbox]")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = box.locator("xpath=..").inner_text().strip()
        if (label in questionnaires) != box.is_checked():
            box.click()
    if name.startswith("Before"):
        _type_into(page, f"#tp-{index}-close", "1")  # and the day before closing


def _build_protocol(page, base_url):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Protocols").click()
    page.get_by_role("link", name="New protocol", exact=True).click()
    page.wait_for_url("**/coordinate/protocols/build?from=scratch")
    _type_into(page, "#name", NAME)
    for _ in range(3):
        page.get_by_role("button", name="Add a timepoint").click()
        page.wait_for_load_state()
    assert page.locator("tbody tr[id^=row-]").count() == 4
    # The scratch row is "1 month"; the baseline is typed last, then moved to the top.
    for index, spec in enumerate(TIMEPOINTS[1:] + TIMEPOINTS[:1]):
        _fill_row(page, index, spec)
    for position in (3, 2, 1):
        page.get_by_role("button", name=f"Move timepoint {position + 1} up").click()
        page.wait_for_load_state()
    labels = [page.locator(f"#tp-{i}-label").input_value() for i in range(4)]
    assert labels == [t[0] for t in TIMEPOINTS]


def _preview_and_save(page):
    _type_into(page, "#sample_first", "")
    page.locator("#sample_first").fill("2026-01-12")  # six Mondays: the last on 16 February
    page.get_by_role("button", name="Preview", exact=True).click()
    preview = page.locator("#preview")
    preview.get_by_text("due Mon 16 Mar 2026").wait_for()  # 16 Feb + 1 calendar month
    assert preview.get_by_text("due Sat 16 May 2026").is_visible()
    assert preview.get_by_text("due Sun 16 Aug 2026").is_visible()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "protocol-builder-preview.png"), full_page=True)
    page.get_by_role("button", name="Create protocol (version 1)").click()
    page.wait_for_url("**/coordinate/protocols/versions/*")
    assert page.get_by_role("heading", name=NAME).is_visible()


def _enrol(page, base_url):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Enrol a patient").click()
    _type_into(page, "#study_code", "CTS-001")
    _type_into(page, "#first_name", "Robin")
    _type_into(page, "#email", "robin@example.test")
    _type_into(page, "#timezone", "Europe/London")
    page.locator("#consent_date").fill(utcnow().date().isoformat())
    page.locator("#protocol_version_id").select_option(label=f"{NAME} (version 1)")
    first = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT10:00")
    page.locator("#first_session").fill(first)
    page.get_by_label("Median nerve · right · carpal tunnel", exact=False).first.check()
    page.get_by_role("button", name="Preview schedule", exact=True).click()
    page.get_by_text("Planned schedule (not saved)").wait_for()
    assert page.get_by_text("6 months after the injection").first.is_visible()
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_url("**/coordinate/patients/*")


def test_a_coordinator_builds_a_protocol_with_the_mouse_and_enrols_on_it(live_app, desk):
    app, base_url = live_app
    _sign_in(desk, base_url)
    _build_protocol(desk, base_url)
    _preview_and_save(desk)
    _enrol(desk, base_url)
    grid = desk.locator("table.grid")
    for name, *_rest in TIMEPOINTS:
        assert grid.get_by_role("rowheader", name=name).is_visible()
    assert grid.locator("td.status-planned").count() == 4
    desk.screenshot(path=str(OUTPUT / "protocol-builder-patient-grid.png"), full_page=True)
    print(f"\nscreenshots: {OUTPUT}/protocol-builder-preview.png, "
          f"{OUTPUT}/protocol-builder-patient-grid.png")
    assert desk.console_errors == []
    with Session(get_engine(app)) as db:
        proto = db.exec(select(Protocol).where(Protocol.name == NAME)).one()
        (version,) = db.exec(select(ProtocolVersion)
                             .where(ProtocolVersion.protocol_id == proto.id)).all()
        keys = [tp["key"] for tp in version.definition["timepoints"]]
        # keys come from the names (the scratch row keeps its own); people never see them
        assert keys == ["before-the-injection", "m1", "3-months-after-the-injection",
                        "6-months-after-the-injection"]
        months = [tp.get("offset_months") for tp in version.definition["timepoints"]]
        assert months == [None, 1, 3, 6]
        assert len(db.exec(select(SurveyAssignment)).all()) == 4
