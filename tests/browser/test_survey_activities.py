"""A patient on a phone names everyday activities one at a time (add another, a score without a
name cleared, change from the review), rates last time's activities again, and says that a
QuickDASH-style item (placeholder wording) does not apply; the scores stored are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from tests.support.axe import axe_violations, describe
from tests.support.browser import OUTPUT, app_session, phone_page
from tests.support.patient import open_survey
from webapp.models import SurveyAssignment, SurveyResponse, SurveyScore, utcnow
from webapp.survey.answers import save_answers
from webapp.survey.instruments import library_for
from webapp.survey.links import issue_link, link_url

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instruments"
PSFS_PAGE = 5
OLD_PAGE_HEIGHT = 2460  # px: five activity slots with five scales on one page, before


@pytest.fixture
def app_config(app_config, tmp_path):
    folder = tmp_path / "clinic-instruments"
    folder.mkdir()
    (folder / "quickdash-en.json").write_text((FIXTURES / "quickdash-en.json").read_text())
    return {**app_config, "INSTRUMENTS_DIR": str(folder)}




def _store_pages_before_activities(app, assignment_id: int) -> None:
    library, now = library_for(app), utcnow()
    with app_session(app) as db:
        assignment = db.get(SurveyAssignment, assignment_id)
        for code in assignment.regions:
            save_answers(db, assignment=assignment, instrument=library.get("nt-pain"),
                         region_code=code, answers={"pain_now": 5, "pain_worst": 6}, now=now)
            save_answers(db, assignment=assignment, instrument=library.get("nt-paresthesia"),
                         region_code=code, answers={"paresthesia": 4}, now=now)
        db.commit()


def _open(app, base_url, page, instruments=None, **course) -> int:
    """Open a survey (optionally of other instruments), sign the phone in; return its id."""
    with app_session(app) as db:
        assignment = open_survey(db, **course)
        if instruments:
            assignment.instruments = instruments
            db.add(assignment)
        token = issue_link(db, patient_id=assignment.patient_id, assignment_id=assignment.id,
                           expires_at=assignment.closes_at, now=utcnow())
        db.commit()
    page.goto(base_url + link_url("", token))
    return assignment.id


def _tap(page, name: str, value: str) -> None:
    page.locator(f'label.tap:has(input[name="{name}"][value="{value}"])').tap()


def _script_errors(page) -> list[str]:
    """Console errors other than the browser's note of a 400 page (a refused answer)."""
    return [e for e in page.console_errors if not e.startswith("Failed to load resource")]


def _psfs(app, assignment_id: int) -> tuple[dict, float | None]:
    with app_session(app) as db:
        row = db.exec(select(SurveyResponse).where(
            SurveyResponse.assignment_id == assignment_id,
            SurveyResponse.instrument_id == "nt-psfs")).one()
        score = db.exec(select(SurveyScore.value).where(SurveyScore.response_id == row.id)).one()
        return dict(row.answers), score


def _name_and_rate_two(page, base_url, assignment_id) -> None:
    path = f"{base_url}/p/a/{assignment_id}/{PSFS_PAGE}"
    page.goto(path)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < OLD_PAGE_HEIGHT / 2, height
    page.get_by_label("Name one activity").fill("Holding a cup")
    _tap(page, "rating_1", "3")
    page.get_by_role("button", name="Add another activity").tap()
    page.wait_for_url(f"{path}?open=2#activity-2")
    assert page.get_by_text("Holding a cup: 3 out of 10").is_visible()
    _tap(page, "rating_2", "4")  # a score, but no name yet
    page.get_by_role("button", name="Next", exact=True).tap()
    page.wait_for_selector("#err-activity_2")
    assert "Please name this activity" in page.locator("#err-activity_2").inner_text()
    page.get_by_label("Another hard activity").fill("Typing")
    _tap(page, "rating_2", "5")
    page.get_by_role("button", name="Next", exact=True).tap()
    page.wait_for_url(f"{base_url}/p/a/{assignment_id}/review")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-script", "script"])
def test_activities_one_at_a_time_then_changed_from_the_review(live, javascript):
    app, base_url = live
    with phone_page(java_script_enabled=javascript) as page:
        assignment_id = _open(app, base_url, page)
        _store_pages_before_activities(app, assignment_id)
        _name_and_rate_two(page, base_url, assignment_id)
        assert _psfs(app, assignment_id) == ({"activity_1": "Holding a cup", "rating_1": 3,
                                              "activity_2": "Typing", "rating_2": 5}, 4.0)
        review = page.locator("main").inner_text()
        assert "Holding a cup\n3 out of 10 (0 = I cannot do it, 10 = As well as before the " \
               "problem)" in review
        # Change from the review: remove the first activity, add a third, back to the review.
        page.locator(".review").filter(has_text="Everyday activities").get_by_role(
            "link", name="Change").tap()
        page.get_by_role("button", name="Remove Holding a cup").tap()
        page.wait_for_selector("#activity-1")
        assert page.get_by_text("Typing: 5 out of 10").is_visible()
        page.get_by_role("button", name="Add another activity").tap()
        page.get_by_label("Another hard activity").fill("Driving")
        _tap(page, "rating_2", "9")
        page.get_by_role("button", name="Next", exact=True).tap()
        page.wait_for_url(f"{base_url}/p/a/{assignment_id}/review")
        assert _psfs(app, assignment_id) == ({"activity_1": "Typing", "rating_1": 5,
                                              "activity_2": "Driving", "rating_2": 9}, 7.0)
        page.get_by_role("button", name="Send my answers").tap()
        page.wait_for_url(f"{base_url}/p/a/{assignment_id}/thanks")
        assert _script_errors(page) == []


def test_last_times_activities_are_rated_again_without_last_times_scores(live):
    app, base_url = live
    with phone_page() as page:
        first = _open(app, base_url, page)
        _store_pages_before_activities(app, first)
        _name_and_rate_two(page, base_url, first)
        page.get_by_role("button", name="Send my answers").tap()
        page.wait_for_url(f"{base_url}/p/a/{first}/thanks")
        with app_session(app) as db:
            course_id = db.get(SurveyAssignment, first).course_id
            later = db.exec(select(SurveyAssignment).where(
                SurveyAssignment.slot == "m1", SurveyAssignment.course_id == course_id)).one()
            later.opens_at, later.closes_at = utcnow().replace(year=2000), utcnow().replace(
                year=2100)
            db.add(later)
            db.commit()
            later_id = later.id
        _store_pages_before_activities(app, later_id)
        page.goto(f"{base_url}/p/a/{later_id}/{PSFS_PAGE}")
        assert page.get_by_text("Last time you named: Holding a cup").is_visible()
        assert page.get_by_text("Typing: Not rated yet").is_visible()
        assert page.locator("input:checked").count() == 0  # last time's 3 and 5 are not shown
        assert page.get_by_role("button", name="Add another activity").count() == 0
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / "survey-activities-again.png"), full_page=True)
        _tap(page, "rating_1", "6")
        page.get_by_role("button", name="Next", exact=True).tap()
        page.get_by_text("Last time you named: Typing").wait_for()
        assert page.get_by_text("Holding a cup: 6 out of 10").is_visible()
        _tap(page, "rating_2", "8")
        page.get_by_role("button", name="Next", exact=True).tap()
        page.wait_for_url(lambda url: not url.endswith(f"/{PSFS_PAGE}"))
        answers, score = _psfs(app, later_id)
        assert answers == {"activity_1": "Holding a cup", "rating_1": 6,
                           "activity_2": "Typing", "rating_2": 8} and score == 7.0
        assert _script_errors(page) == []


def test_an_item_that_does_not_apply_is_skipped_and_the_published_rule_scores(live):
    app, base_url = live
    with phone_page() as page:
        assignment_id = _open(app, base_url, page, instruments=["quickdash-en"])
        page.goto(f"{base_url}/p/a/{assignment_id}/1")
        assert page.get_by_text("(optional)").count() == 11
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        for number, value in enumerate([2, 3, 1, 2, 1, 4, 2, 3, 3, 4], start=1):
            _tap(page, f"q{number}", str(value))
        _tap(page, "q11", "not_applicable")
        _tap(page, "q2", "")  # changed my mind: "Clear" leaves item 2 unanswered
        assert page.evaluate("document.querySelector('input[name=q2]:checked').value") == ""
        _tap(page, "q2", "3")
        page.get_by_role("button", name="Next", exact=True).tap()
        page.wait_for_url(f"{base_url}/p/a/{assignment_id}/review")
        assert page.get_by_text("Does not apply to me").is_visible()
        with app_session(app) as db:
            row = db.exec(select(SurveyResponse)).one()
            assert row.answers["q11"] == "not_applicable"
            value = db.exec(select(SurveyScore.value).where(
                SurveyScore.score_id == "quickdash")).one()
        assert round(value, 2) == 37.5  # CLINICAL.md: the vector without item 11
        assert _script_errors(page) == []
