"""A patient's phone in dark mode (axe clean, light and dark), in Persian (right to left, the
body map not mirrored), and with a connection that drops: the choices stay on the phone, a
message says so, the page goes when the phone is back online, and nothing is stored twice."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.support.axe import axe_violations, describe
from tests.support.browser import app_session, phone_page
from tests.support.patient import TWO_REGIONS, open_survey
from tests.support.progress import patient_with_progress, progress_link
from tests.support.trajectory import LIBRARY
from webapp.models import SurveyAssignment, SurveyResponse, SurveyScore, utcnow
from webapp.survey.answers import save_answers
from webapp.survey.links import issue_link, link_url

pytestmark = pytest.mark.browser

RIGHT, LEFT = TWO_REGIONS
OFFLINE_NOTE = ("No connection: your answers are kept on this phone and will be sent when you "
                "are back online.")
THUMB_SIDE = """svg => { const box = svg.getBoundingClientRect(),
  thumb = svg.querySelector('[fill="#d9480f"] path').getBoundingClientRect();
  return (thumb.left + thumb.width / 2 - box.left) / box.width; }"""
BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 18, 18)"}




def _survey_link(app, **course) -> tuple[int, str]:
    """Open a two-region survey; return its assignment id and a fresh link's path."""
    with app_session(app) as db:
        assignment = open_survey(db, **course)
        token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                           expires_at=assignment.closes_at, now=utcnow())
        db.commit()
        return assignment.id, link_url("", token)


def _answer_every_page(app, assignment_id: int) -> None:
    """Store an answer for every page, as if the patient had tapped through (not sent yet)."""
    with app_session(app) as db:
        assignment, now = db.get(SurveyAssignment, assignment_id), utcnow()
        for code, (pain, tingling) in zip(TWO_REGIONS, ((7, 6), (3, 1)), strict=True):
            save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-pain"),
                         region_code=code, answers={"pain_now": pain, "pain_worst": pain + 1},
                         now=now)
            save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-paresthesia"),
                         region_code=code, answers={"paresthesia": tingling}, now=now)
        save_answers(db, assignment=assignment, instrument=LIBRARY.get("nt-psfs"),
                     region_code="", now=now,
                     answers={"activity_1": "Holding a cup", "rating_1": 4})
        db.commit()


def _open_first_page(page, base_url: str, link: str, assignment_id: int) -> None:
    """Sign in through the survey link, then open the survey's first page."""
    page.goto(base_url + link)
    page.goto(f"{base_url}/p/a/{assignment_id}/1")


def _tap(page, name: str, value: str) -> None:
    page.locator(f'label.tap:has(input[name="{name}"][value="{value}"])').tap()


def _checked(page, name: str) -> str | None:
    return page.evaluate(f"(document.querySelector('input[name={name}]:checked') || {{}}).value"
                         " || null")


def _responses(app, assignment_id: int) -> list[SurveyResponse]:
    with app_session(app) as db:
        return list(db.exec(select(SurveyResponse).where(
            SurveyResponse.assignment_id == assignment_id)).all())


def _scores(app, response_id: int) -> list[tuple[str, float]]:
    with app_session(app) as db:
        return sorted((s.score_id, s.value) for s in db.exec(select(SurveyScore).where(
            SurveyScore.response_id == response_id)).all())


def _script_errors(page) -> list[str]:
    """Console errors other than the browser's own note of a request that found no network."""
    return [e for e in page.console_errors if "net::ERR_INTERNET_DISCONNECTED" not in e
            and not e.startswith("Failed to load resource")]


def _kept(page) -> dict:
    return page.evaluate("Object.fromEntries(Object.keys(localStorage)"
                         ".filter(k => k.startsWith('nt:')).map(k => [k, localStorage[k]]))")


# --- dark mode -------------------------------------------------------------------------------

def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, two: str) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _check_page(page, scheme: str, shot) -> None:
    """The scheme really applies, axe finds nothing, nothing is wider than the phone."""
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == BACKGROUNDS[scheme]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.screenshot(path=str(shot), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_survey_review_and_progress_pages_pass_axe(live, tmp_path, scheme):
    app, base_url = live
    assignment_id, link = _survey_link(app)
    with app_session(app) as db:
        progress = progress_link(db, patient_with_progress(
            db, "NT-P", region=RIGHT, zone="Europe/London", answers=[(8, 5), (5, 4), (2, 3)]))
    with phone_page(color_scheme=scheme) as page:
        _open_first_page(page, base_url, link, assignment_id)
        page.get_by_role("button", name="Next").tap()  # nothing chosen: the errors show
        page.wait_for_selector(".error.summary")
        _tap(page, "pain_now", "6")  # a selected choice, the errors and a notice on one page
        page.evaluate("document.getElementById('offline-note').hidden = false")
        _check_page(page, scheme, tmp_path / f"survey-{scheme}.png")
        selected = page.locator('label.tap:has(input[value="6"]:checked) span')
        assert _contrast(selected.evaluate("e => getComputedStyle(e).color"),
                         selected.evaluate("e => getComputedStyle(e).backgroundColor")) >= 4.5

        _answer_every_page(app, assignment_id)
        page.goto(f"{base_url}/p/a/{assignment_id}/5")  # activities: one named, add another
        _check_page(page, scheme, tmp_path / f"activities-{scheme}.png")
        page.goto(f"{base_url}/p/a/{assignment_id}/review")
        assert page.get_by_role("button", name="Send my answers").is_visible()
        _check_page(page, scheme, tmp_path / f"review-{scheme}.png")

        page.goto(base_url + progress)
        page.wait_for_url(f"{base_url}/p/")
        chart = page.locator("svg.nt-progress")
        assert chart.count() == 1
        _check_page(page, scheme, tmp_path / f"progress-{scheme}.png")
        # The chart's words are SVG text, which axe does not check: measure them here.
        background = BACKGROUNDS[scheme]
        fills = chart.evaluate("svg => [...svg.querySelectorAll('text')]"
                               ".map(t => getComputedStyle(t).fill)")
        assert fills and min(_contrast(fill, background) for fill in fills) >= 4.5, fills
        assert _script_errors(page) == []
    print(f"\nscreenshots ({scheme}): {tmp_path}")


# --- right to left ---------------------------------------------------------------------------

def test_a_persian_page_reads_right_to_left_without_mirroring_the_body_map(live, tmp_path):
    app, base_url = live
    assignment_id, link = _survey_link(app, language="fa")
    with phone_page(locale="fa-IR") as page:
        _open_first_page(page, base_url, link, assignment_id)
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") \
            == ["fa", "rtl"]
        boxes = [page.locator(f'label.tap:has(input[name="pain_now"][value="{n}"]) span')
                 .bounding_box() for n in range(11)]
        first_row = [box for box in boxes if box["y"] == boxes[0]["y"]]
        assert len(first_row) > 1
        assert [b["x"] for b in first_row] == sorted((b["x"] for b in first_row), reverse=True)
        assert boxes[0]["x"] + boxes[0]["width"] > 380 - 16  # 0 starts at the right edge
        low, high = page.locator(".anchors span").first, page.locator(".anchors span").last
        assert low.bounding_box()["x"] > high.bounding_box()["x"]  # "0 = ..." under the 0
        body_map = page.locator(".region svg")
        assert body_map.evaluate("s => getComputedStyle(s).direction") == "ltr"
        # The right hand's thumb stays on the picture's right, as in English: not mirrored.
        assert body_map.evaluate(THUMB_SIDE) > 0.5
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "survey-rtl.png"), full_page=True)
        assert _script_errors(page) == []


# --- a dropped connection --------------------------------------------------------------------

def test_answers_wait_on_the_phone_while_offline_and_go_once_back_online(live):
    app, base_url = live
    assignment_id, link = _survey_link(app)
    with phone_page() as page:
        _open_first_page(page, base_url, link, assignment_id)
        _tap(page, "pain_now", "7")
        _tap(page, "pain_worst", "9")
        assert list(_kept(page)) == [f"nt:/p/a/{assignment_id}/1"]

        page.context.set_offline(True)
        page.get_by_role("button", name="Next").tap()
        note = page.get_by_role("alert").filter(has_text=OFFLINE_NOTE)
        note.wait_for()
        assert note.is_visible()
        assert page.url == f"{base_url}/p/a/{assignment_id}/1"
        assert (_checked(page, "pain_now"), _checked(page, "pain_worst")) == ("7", "9")
        assert page.get_by_role("button", name="Next").is_enabled()
        assert _responses(app, assignment_id) == []

        page.context.set_offline(False)  # the phone is back: the page goes by itself
        page.wait_for_url(f"**/p/a/{assignment_id}/2")
        [saved] = _responses(app, assignment_id)
        assert (saved.region_code, saved.answers) == (RIGHT, {"pain_now": 7, "pain_worst": 9})
        assert _kept(page) == {}  # saved on the server: nothing left on the phone
        assert _script_errors(page) == []


def test_a_lost_reply_and_its_resend_store_the_answers_once(live):
    """The server stores the page but the reply never arrives; the resend changes nothing."""
    app, base_url = live
    assignment_id, link = _survey_link(app)
    posts = []

    def lose_the_reply(route):
        posts.append(route.fetch(max_redirects=0).status)  # the server got it and answered ...
        route.abort("internetdisconnected")  # ... but the phone never hears back

    with phone_page() as page:
        _open_first_page(page, base_url, link, assignment_id)
        _tap(page, "pain_now", "4")
        _tap(page, "pain_worst", "5")
        page.route(f"**/p/a/{assignment_id}/1", lambda route: lose_the_reply(route)
                   if route.request.method == "POST" else route.continue_())
        page.get_by_role("button", name="Next").tap()
        page.get_by_text(OFFLINE_NOTE).wait_for()
        assert posts == [303]
        [stored] = _responses(app, assignment_id)
        scores_once = _scores(app, stored.id)
        page.unroute(f"**/p/a/{assignment_id}/1")
        page.context.set_offline(True)
        page.wait_for_function("!navigator.onLine")
        page.context.set_offline(False)
        page.wait_for_url(f"**/p/a/{assignment_id}/2")
        [again] = _responses(app, assignment_id)
        assert (again.id, again.answers) == (stored.id, {"pain_now": 4, "pain_worst": 5})
        assert _scores(app, again.id) == scores_once != []
        assert _script_errors(page) == []


def test_choices_come_back_after_a_reload_unless_the_page_has_saved_answers(live):
    app, base_url = live
    assignment_id, link = _survey_link(app)
    with phone_page() as page:
        _open_first_page(page, base_url, link, assignment_id)
        _tap(page, "pain_now", "3")
        page.reload()
        assert (_checked(page, "pain_now"), _checked(page, "pain_worst")) == ("3", None)
        _tap(page, "pain_worst", "8")
        page.get_by_role("button", name="Next").tap()
        page.wait_for_url(f"**/p/a/{assignment_id}/2")
        page.go_back()
        page.wait_for_url(f"**/p/a/{assignment_id}/1")
        # What the server holds wins over a copy kept on the phone.
        page.evaluate(f"localStorage.setItem('nt:/p/a/{assignment_id}/1',"
                      "JSON.stringify({pain_now: ['10'], pain_worst: ['10']}))")
        page.reload()
        assert (_checked(page, "pain_now"), _checked(page, "pain_worst")) == ("3", "8")
        assert page.get_by_role("button", name="Next").is_enabled()
        assert _script_errors(page) == []
