"""Optional items and "Does not apply to me" on the page, and the published missing-data rule:
a QuickDASH-style page (placeholder wording only) scores with one item skipped, not with two."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from surveys.answer_input import NOT_APPLICABLE
from tests.support.patient import csrf_of, open_survey, post_page, sign_in
from webapp.models import SurveyResponse, SurveyScore

FIXTURES = Path(__file__).parents[2] / "fixtures" / "instruments"
QUICKDASH = [2, 3, 1, 2, 1, 4, 2, 3, 3, 4, 2]  # 36.36 (CLINICAL.md worked vector)
MIXED = {  # one optional item of each kind that can say "does not apply" (placeholder words)
    "id": "optional-mix", "version": 1, "title": "Placeholder questions", "per_region": False,
    "items": [
        {"id": "ache", "type": "nrs", "text": "Placeholder rating", "required": False,
         "not_applicable": True, "anchors": {"min": "Low words", "max": "High words"}},
        {"id": "stairs", "type": "yesno", "text": "Placeholder yes or no", "required": False,
         "not_applicable": True},
        {"id": "hours", "type": "number", "text": "Placeholder hours", "required": False,
         "not_applicable": True, "min": 0, "max": 24},
        {"id": "note", "type": "text", "text": "Placeholder note", "required": False},
        {"id": "must", "type": "nrs", "text": "Placeholder required rating"},
    ],
    "scores": [{"id": "ache", "label": "Ache", "outcome": "other", "method": "answer",
                "items": ["ache"], "missing": "none", "direction": "higher_worse"}],
}


@pytest.fixture
def app_config(app_config, tmp_path):
    folder = tmp_path / "clinic-instruments"
    folder.mkdir()
    for name in ("quickdash-en.json",):
        (folder / name).write_text((FIXTURES / name).read_text())
    (folder / "optional-mix.json").write_text(json.dumps(MIXED))
    return {**app_config, "INSTRUMENTS_DIR": str(folder)}


def _survey(db, client, instrument_id):
    assignment = open_survey(db)
    assignment.instruments = [instrument_id]
    db.add(assignment)
    db.commit()
    sign_in(client, db, assignment)
    return assignment


def _quickdash_form(replaced: dict) -> dict:
    values = {f"q{n}": str(v) for n, v in enumerate(QUICKDASH, start=1)}
    values.update({f"q{n}": v for n, v in replaced.items() if v is not None})
    return {k: v for k, v in values.items()
            if not (int(k[1:]) in replaced and replaced[int(k[1:])] is None)}


def _score(db, assignment_id, score_id):
    db.expire_all()
    return db.exec(select(SurveyScore.value).where(SurveyScore.assignment_id == assignment_id,
                                                   SurveyScore.score_id == score_id)).one()


def test_every_quickdash_item_says_optional_and_offers_does_not_apply(db, client):
    survey = _survey(db, client, "quickdash-en")
    html = client.get(f"/p/a/{survey.id}/1").get_data(as_text=True)
    assert html.count('<span class="optional">(optional)</span>') == 11
    assert html.count(f'value="{NOT_APPLICABLE}"><span>Does not apply to me</span>') == 11
    assert html.count('value=""><span>Clear</span>') == 11
    assert "Placeholder option 3" in html


@pytest.mark.parametrize("replaced, expected", [
    ({}, 36.36),
    ({11: NOT_APPLICABLE}, 37.5),
    ({11: None}, 37.5),  # left blank
    ({4: ""}, 37.5),  # "Clear" sends an empty choice: item 4 (a 2) left out
    ({10: NOT_APPLICABLE, 11: None}, None),  # two missing: not scored (published rule)
])
def test_the_published_missing_item_rule_applies_to_what_the_page_stores(db, client,
                                                                         replaced, expected):
    survey = _survey(db, client, "quickdash-en")
    response = post_page(client, f"/p/a/{survey.id}/1", _quickdash_form(replaced))
    assert response.status_code == 303
    value = _score(db, survey.id, "quickdash")
    assert (None if value is None else round(value, 2)) == expected
    stored = db.exec(select(SurveyResponse)).one()
    assert stored.instrument_id == "quickdash-en" and stored.instrument_version == "1"
    for number, value in replaced.items():
        if value in (None, ""):
            assert f"q{number}" not in stored.answers
        else:
            assert stored.answers[f"q{number}"] == value


def test_review_says_does_not_apply_and_not_answered(db, client):
    survey = _survey(db, client, "quickdash-en")
    post_page(client, f"/p/a/{survey.id}/1", _quickdash_form({10: NOT_APPLICABLE, 11: None}))
    review = client.get(f"/p/a/{survey.id}/review").get_data(as_text=True)
    assert "<dt>Placeholder item 1</dt><dd>Placeholder option 2</dd>" in review
    assert "<dt>Placeholder item 10</dt><dd>Does not apply to me</dd>" in review
    assert "<dt>Placeholder item 11</dt><dd>Not answered</dd>" in review


def test_each_kind_of_optional_item_can_be_left_or_said_not_to_apply(db, client):
    survey = _survey(db, client, "optional-mix")
    path = f"/p/a/{survey.id}/1"
    html = client.get(path).get_data(as_text=True)
    assert html.count('<span class="optional">(optional)</span>') == 4
    assert 'name="must"' in html and 'name="must" value=""' not in html  # required: no Clear
    assert '<input type="checkbox" name="hours" value="not_applicable">' in html
    response = post_page(client, path, {"ache": NOT_APPLICABLE, "stairs": "yes",
                                        "hours": NOT_APPLICABLE, "must": "4"})
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(SurveyResponse)).one().answers == {
        "ache": NOT_APPLICABLE, "stairs": True, "hours": NOT_APPLICABLE, "must": 4}
    assert _score(db, survey.id, "ache") is None  # "does not apply" is scored as missing
    back = client.get(path).get_data(as_text=True)
    assert f'name="ache" value="{NOT_APPLICABLE}" checked' in back
    assert 'name="hours" type="text" inputmode="decimal" maxlength="32"\n  value=""' in back
    review = client.get(f"/p/a/{survey.id}/review").get_data(as_text=True)
    for label, words in [("Placeholder rating", "Does not apply to me"),
                         ("Placeholder yes or no", "Yes"),
                         ("Placeholder hours", "Does not apply to me"),
                         ("Placeholder note", "Not answered"),
                         ("Placeholder required rating", "4 out of 10")]:
        assert f"<dt>{label}</dt><dd>{words}" in review


def test_a_required_item_is_still_required(db, client):
    survey = _survey(db, client, "optional-mix")
    token = csrf_of(client, f"/p/a/{survey.id}/1")
    response = post_page(client, f"/p/a/{survey.id}/1", {"ache": "3"}, token=token)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<p class="error" id="err-must">Please answer this question.</p>' in html
    assert "Please check the answer marked below." in html
    assert db.exec(select(SurveyResponse)).all() == []
