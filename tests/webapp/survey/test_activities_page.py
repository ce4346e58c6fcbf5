"""Everyday activities one at a time: name one and rate it, add another (up to five), change,
remove or clear; activities from the first survey asked again with only their rating."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.support.activities import (
    activity_score,
    later_survey,
    open_slots,
    reach_activities,
    send,
    stored_activities,
    summed_slots,
)
from tests.support.patient import open_survey
from webapp.models import SurveyResponse

CUP = {"activity_1": "Holding a cup", "rating_1": "3"}
FIVE = {**{f"activity_{n}": f"Activity {n}" for n in range(1, 6)},
        **{f"rating_{n}": str(n) for n in range(1, 6)}}


@pytest.fixture
def page(db, client):
    """The activity page of a baseline survey whose earlier pages are answered."""
    survey = open_survey(db)
    return survey, reach_activities(db, client, survey)


def test_the_first_visit_asks_for_one_activity_with_a_clear_choice(client, page):
    _, path = page
    html = client.get(path).get_data(as_text=True)
    assert open_slots(html) == [1] and summed_slots(html) == []
    assert 'name="activity_1"' in html and 'name="rating_1"' in html
    assert 'name="activity_2"' not in html and 'name="rating_2"' not in html
    assert '<input type="radio" name="rating_1" value=""><span>Clear</span>' in html
    assert 'name="add" value="1"' in html and "Add another activity" in html
    # Enter in the name box presses the first button of the form: it must be Next.
    buttons = html.split("<form", 1)[1].split("<button")[1:]
    assert buttons[0].startswith(' type="submit" class="sr" tabindex="-1" aria-hidden="true">Next')


def test_add_another_saves_and_opens_the_next_empty_slot(db, client, page):
    survey, path = page
    response = send(client, path, {**CUP, "add": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{path}?open=2#activity-2"
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3}
    html = client.get(f"{path}?open=2").get_data(as_text=True)
    assert summed_slots(html) == [1] and open_slots(html) == [2]
    assert '<strong id="an-1">Holding a cup</strong>: 3 out of 10' in html
    assert 'aria-labelledby="ch-1 an-1">Change</button>' in html  # "Change Holding a cup"
    assert '<input type="hidden" name="activity_1" value="Holding a cup">' in html
    assert '<input type="hidden" name="rating_1" value="3">' in html
    assert 'name="open" value="1"' in html and 'name="remove" value="1"' in html


def test_activities_added_one_at_a_time_are_stored_and_scored_as_one_page(db, client, page):
    survey, path = page
    send(client, path, {**CUP, "add": "1"})
    response = send(client, f"{path}?open=2", {**CUP, "activity_2": "Typing", "rating_2": "5"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3,
                                                "activity_2": "Typing", "rating_2": 5}
    assert activity_score(db, survey.id) == 4.0  # PSFS: mean of the rated activities


def test_five_activities_at_most(db, client, page):
    survey, path = page
    response = send(client, path, {**FIVE, "add": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == path  # no sixth slot to open
    html = client.get(path).get_data(as_text=True)
    assert summed_slots(html) == [1, 2, 3, 4, 5] and open_slots(html) == []
    assert 'name="add"' not in html
    assert client.get(f"{path}?open=6").status_code == 200
    assert activity_score(db, survey.id) == 3.0


@pytest.mark.parametrize("fields, removed, kept", [
    (FIVE, "1", ["Activity 2", "Activity 3", "Activity 4", "Activity 5"]),
    (FIVE, "3", ["Activity 1", "Activity 2", "Activity 4", "Activity 5"]),
    (FIVE, "5", ["Activity 1", "Activity 2", "Activity 3", "Activity 4"]),
])
def test_remove_drops_one_activity_and_keeps_the_rest_numbered(db, client, page, fields,
                                                               removed, kept):
    survey, path = page
    response = send(client, path, {**fields, "remove": removed})
    assert response.status_code == 303 and response.headers["Location"] == path
    stored = stored_activities(db, survey.id)
    assert [stored[f"activity_{n}"] for n in range(1, 5)] == kept
    assert "activity_5" not in stored and "rating_5" not in stored
    ratings = [int(name.split()[1]) for name in kept]  # each kept its own rating
    assert [stored[f"rating_{n}"] for n in range(1, 5)] == ratings
    assert activity_score(db, survey.id) == sum(ratings) / 4


def test_removing_the_only_activity_shows_an_empty_slot_and_stores_nothing_new(db, client,
                                                                               page):
    survey, path = page
    send(client, path, CUP)
    response = send(client, path, {**CUP, "remove": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and open_slots(html) == [1]
    assert 'value="Holding a cup"' not in html and "error" not in html.split("<form")[1]
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3}


def test_a_score_without_a_name_asks_for_the_name_and_can_be_cleared(db, client, page):
    survey, path = page
    send(client, path, {**CUP, "add": "1"})
    refused = send(client, f"{path}?open=2", {**CUP, "rating_2": "4"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and open_slots(html) == [2]
    assert ('<p class="error" id="err-activity_2">Please name this activity, or choose Clear '
            "under its score.</p>") in html
    assert 'name="rating_2" value="4" checked' in html
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3}
    cleared = send(client, f"{path}?open=2", {**CUP, "rating_2": ""})  # the "Clear" choice
    assert cleared.status_code == 303
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3}


def test_a_named_activity_still_needs_its_score(db, client, page):
    survey, path = page
    response = send(client, path, {"activity_1": "Typing"})
    assert response.status_code == 400
    assert '<p class="error" id="err-rating_1">Please answer this question.</p>' in \
        response.get_data(as_text=True)
    assert stored_activities(db, survey.id) is None


def test_change_opens_a_named_activity_with_its_name_and_score(db, client, page):
    survey, path = page
    send(client, path, {**CUP, "activity_2": "Typing", "rating_2": "5"})
    response = send(client, path, {**CUP, "activity_2": "Typing", "rating_2": "5",
                                   "open": "2"})
    assert response.headers["Location"] == f"{path}?open=2#activity-2"
    html = client.get(f"{path}?open=2").get_data(as_text=True)
    assert summed_slots(html) == [1] and open_slots(html) == [2]
    assert '<label for="q-activity_2">Activity 2</label>' in html
    assert 'name="activity_2" type="text" maxlength="100"\n  value="Typing"' in html
    assert 'name="rating_2" value="5" checked' in html
    assert "Typing: how well can you do this today?" in html
    assert 'name="remove" value="2" class="remove">Remove this activity' in html
    send(client, f"{path}?open=2", {**CUP, "activity_2": "Typing fast", "rating_2": "6"})
    assert stored_activities(db, survey.id)["activity_2"] == "Typing fast"


def test_saving_the_same_step_twice_stores_one_answer(db, client, page):
    survey, path = page
    for _ in range(2):
        assert send(client, path, {**CUP, "add": "1"}).status_code == 303
    db.expire_all()
    rows = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == survey.id,
                                                SurveyResponse.instrument_id == "nt-psfs")).all()
    assert len(rows) == 1 and activity_score(db, survey.id) == 3.0


def test_a_change_from_the_review_returns_to_the_review_after_adding(db, client, page):
    survey, path = page
    send(client, path, CUP)
    response = send(client, path, {**CUP, "add": "1", "then": "review"})
    assert response.headers["Location"] == f"{path}?open=2&then=review#activity-2"
    html = client.get(f"{path}?open=2&then=review").get_data(as_text=True)
    assert '<input type="hidden" name="then" value="review">' in html
    done = send(client, path, {**CUP, "activity_2": "Typing", "rating_2": "5",
                               "then": "review"})
    assert done.headers["Location"] == f"/p/a/{survey.id}/review"


@pytest.mark.parametrize("button, value", [
    ("remove", "abc"), ("remove", "0"), ("remove", "99"), ("remove", "-1"), ("remove", "\uff11"),
    ("remove", "1" * 5000), ("open", "x"), ("open", ""), ("add", "no"),
])
def test_odd_button_values_change_nothing_unexpected(db, client, page, button, value):
    survey, path = page
    response = send(client, path, {**CUP, button: value})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(path)
    assert stored_activities(db, survey.id) == {"activity_1": "Holding a cup", "rating_1": 3}


@pytest.mark.parametrize("query", ["open=abc", "open=0", "open=3", "open=%EF%BC%91",
                                   "open=" + "9" * 400])
def test_odd_open_queries_show_the_page(client, page, query):
    _, path = page
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert open_slots(response.get_data(as_text=True)) == [1]


class TestActivitiesFromTheFirstSurvey:
    @pytest.fixture
    def later(self, db, client):
        baseline = open_survey(db)
        named = {"activity_1": "Holding a cup", "rating_1": "3",
                 "activity_2": "Typing", "rating_2": "9"}
        return later_survey(db, client, baseline, named)

    def test_are_asked_one_at_a_time_with_only_their_score(self, client, later):
        html = client.get(later).get_data(as_text=True)
        assert open_slots(html) == [1] and summed_slots(html) == [2]
        assert '<span class="lead">Last time you named: Holding a cup</span>' in html
        assert '<strong id="an-2">Typing</strong>: Not rated yet' in html
        assert '<input type="hidden" name="asked" value="1">' in html
        assert 'name="activity_1"' not in html and 'name="rating_3"' not in html
        assert " checked" not in html  # last time's scores are not shown
        assert "out of 10" not in html
        for absent in ('name="add"', 'name="remove"', 'name="open"', "Clear</span>"):
            assert absent not in html

    def test_each_score_leads_to_the_next_and_all_are_stored_together(self, db, client, later):
        assignment_id = int(later.split("/")[3])
        step = send(client, later, {"asked": "1", "rating_1": "7"})
        html = step.get_data(as_text=True)
        assert step.status_code == 200 and "error" not in html.split("<form")[1]
        assert open_slots(html) == [2] and summed_slots(html) == [1]
        assert '<span class="lead">Last time you named: Typing</span>' in html
        assert '<strong id="an-1">Holding a cup</strong>: 7 out of 10' in html
        assert '<input type="hidden" name="rating_1" value="7">' in html
        assert stored_activities(db, assignment_id) is None  # nothing stored half-way
        done = send(client, later, {"rating_1": "7", "asked": "2", "rating_2": "8"})
        assert done.status_code == 303 and done.headers["Location"] != later  # the next page
        assert stored_activities(db, assignment_id) == {
            "activity_1": "Holding a cup", "rating_1": 7, "activity_2": "Typing", "rating_2": 8}
        assert activity_score(db, assignment_id) == 7.5
        again = client.get(later).get_data(as_text=True)  # Back, or Change from the review
        assert open_slots(again) == [] and summed_slots(again) == [1, 2]
        assert 'name="open" value="2"' in again and 'name="remove"' not in again

    def test_keep_their_names_whatever_is_sent(self, db, client, later):
        response = send(client, later, {"rating_1": "7", "rating_2": "8", "remove": "1",
                                        "add": "1", "activity_1": "Renamed", "asked": "1"})
        assert response.status_code == 303 and response.headers["Location"] != later
        assignment_id = int(later.split("/")[3])
        assert stored_activities(db, assignment_id) == {
            "activity_1": "Holding a cup", "rating_1": 7, "activity_2": "Typing", "rating_2": 8}

    def test_a_score_asked_and_not_given_is_an_error(self, db, client, later):
        response = send(client, later, {"asked": "1"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and open_slots(html) == [1]
        assert '<p class="error" id="err-rating_1">Please answer this question.</p>' in html
        assert "err-rating_2" not in html  # its turn has not come
        assert stored_activities(db, int(later.split("/")[3])) is None

    def test_change_opens_a_rated_one_and_saves(self, db, client, later):
        send(client, later, {"asked": "1", "rating_1": "7", "rating_2": "8"})
        response = send(client, later, {"rating_1": "7", "rating_2": "8", "open": "1"})
        assert response.headers["Location"] == f"{later}?open=1#activity-1"
        html = client.get(f"{later}?open=1").get_data(as_text=True)
        assert open_slots(html) == [1] and 'name="rating_1" value="7" checked' in html
