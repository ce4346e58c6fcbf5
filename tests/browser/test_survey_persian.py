"""A Persian-speaking patient on a 390x844 phone: the page runs right to left, the 0-10 scale
reads from the right with its anchors swapped, the body map stays as anatomy has it, numbers
show in Persian digits, and what is stored and scored is the plain number tapped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from tests.support.browser import app_session, phone_page
from tests.support.patient import open_survey
from webapp.models import Patient, SurveyAssignment, SurveyScore, utcnow
from webapp.survey.links import issue_link, link_url

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
RIGHT, LEFT = "median-carpal-tunnel-right", "ulnar-elbow-left"
# Per page: what the patient taps, by stored value.
TAPS = [{"pain_now": "7", "pain_worst": "9"}, {"pain_now": "3", "pain_worst": "4"},
        {"pgic": "2"}]


def _persian_link(app, base_url, language="fa") -> tuple[SurveyAssignment, str]:
    with app_session(app) as db:
        assignment = open_survey(db, regions=(RIGHT, LEFT), study_code=f"NT-{language.upper()}")
        assignment.instruments = ["nt-pain", "nt-pgic"]
        db.add(assignment)
        patient = db.get(Patient, assignment.patient_id)
        patient.language = language
        db.add(patient)
        token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                           expires_at=assignment.closes_at, now=utcnow())
        db.commit()
    return assignment, link_url(base_url, token)


def _persian(n: int) -> str:
    return "".join(PERSIAN_DIGITS[int(d)] for d in str(n))


def _box(page, name, value):
    return page.locator(f'label.tap:has(input[name="{name}"][value="{value}"]) span').bounding_box()


BODY_MAP_JS = """svg => {
  const box = svg.getBoundingClientRect(), mark = svg.querySelector('[fill="#d9480f"]');
  const hit = mark.getBoundingClientRect(), style = getComputedStyle(svg);
  return {label: svg.getAttribute("aria-label"), transform: style.transform,
          direction: style.direction, drawing: svg.innerHTML.replace(/<title>.*?<\\/title>/, ""),
          highlight: [(hit.left - box.left) / box.width, (hit.right - box.left) / box.width,
                      (hit.top - box.top) / box.height].map(v => Math.round(v * 1000))};
}"""


def _body_map(page) -> dict:
    return page.locator(".region svg").evaluate(BODY_MAP_JS)


def test_a_persian_survey_runs_right_to_left_and_scores_what_was_tapped(live):
    app, base_url = live
    assignment, link = _persian_link(app, base_url)
    with phone_page(locale="fa-IR") as page:
        page.goto(link)
        html = page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
        page.goto(f"{base_url}/p/a/{assignment.id}/1")
        assert page.get_by_role("heading", name="درد").is_visible()
        assert page.get_by_text("الان چقدر درد دارید؟").is_visible()
        # The scale shows Persian digits and starts at the right: 0 right of 1, 1 right of 2.
        labels = [page.locator(f'label.tap:has(input[name="pain_now"][value="{n}"]) span')
                  .inner_text().strip() for n in range(11)]
        assert labels == [_persian(n) for n in range(11)]
        zero, one, two = (_box(page, "pain_now", n) for n in (0, 1, 2))
        assert zero["x"] > one["x"] > two["x"]
        # The anchors follow: "no pain" (0) on the right, the worst (10) on the left.
        anchors = page.locator(".anchors").first.locator("span")
        low, high = anchors.first.bounding_box(), anchors.last.bounding_box()
        assert "بدون درد" in anchors.first.inner_text() and low["x"] > high["x"]
        # Nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "survey-persian-390x844.png"), full_page=True)
        body_map_fa = _body_map(page)
        assert body_map_fa["label"] == "مچ دست راست و انگشتان: از شست تا انگشت حلقه"
        for number, taps in enumerate(TAPS, start=1):
            page.wait_for_url(f"**/p/a/{assignment.id}/{number}")
            for name, value in taps.items():
                page.locator(f'label.tap:has(input[name="{name}"][value="{value}"])').tap()
            page.locator("form button[type=submit].primary").last.tap()
        page.wait_for_url(f"**/p/a/{assignment.id}/review")
        assert _persian(7) in page.locator("main").inner_text()  # the review in Persian digits
        page.locator("form button[type=submit].primary").last.tap()
        page.wait_for_url(f"**/p/a/{assignment.id}/thanks")
        assert page.get_by_role("heading", name="سپاسگزاریم").is_visible()
        assert page.console_errors == []
    # The same region's body map, drawn for an English page, is the same picture: not mirrored.
    english, english_link = _persian_link(app, base_url, language="en")
    with phone_page() as page:
        page.goto(english_link)
        page.goto(f"{base_url}/p/a/{english.id}/1")
        assert page.locator("html").get_attribute("dir") == "ltr"
        body_map_en = _body_map(page)
    # Not mirrored: the same drawing, no transform, the highlight at the same place in the box.
    assert body_map_en["label"].startswith("Right wrist")
    assert {k: v for k, v in body_map_en.items() if k != "label"} == \
        {k: v for k, v in body_map_fa.items() if k != "label"}
    assert body_map_fa["transform"] == "none" and body_map_fa["direction"] == "ltr"
    with app_session(app) as db:
        assert db.get(SurveyAssignment, assignment.id).status == "completed"
        scores = {(s.score_id, s.region_code): s.value for s in db.exec(
            select(SurveyScore).where(SurveyScore.assignment_id == assignment.id)).all()}
    assert scores == {("pain_now", RIGHT): 7, ("pain_worst", RIGHT): 9,
                      ("pain_now", LEFT): 3, ("pain_worst", LEFT): 4, ("pgic", ""): 2}
