"""The 15 KB budget: a survey page with its stylesheet and script, uncompressed, for a cheap
phone on a weak connection; measured on the heaviest pages (a rating page with its body map,
and the activity page in each of its states), in English and in Persian."""

from __future__ import annotations

import re

import pytest

from tests.support.activities import later_survey, reach_activities, send, speak
from tests.support.patient import open_survey

BUDGET = 15_000  # bytes: HTML + patient.css + patient.js
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')
FIVE = {**{f"activity_{n}": "An activity named in many words" for n in range(1, 6)},
        **{f"rating_{n}": "10" for n in range(1, 6)}}
FOUR = {key: value for key, value in FIVE.items() if not key.endswith("_5")}


def _weight(client, path: str) -> int:
    page = client.get(path)
    assert page.status_code == 200, path
    html = page.get_data(as_text=True)
    assets = ASSET_RE.findall(html)
    assert len(assets) == 2, assets  # the stylesheet and the script
    return len(page.get_data()) + sum(len(client.get(a).get_data()) for a in assets)


def _activity_states(db, client, language: str) -> dict[str, str]:
    survey = open_survey(db)
    speak(db, survey, language)
    path = reach_activities(db, client, survey)
    weights = {"rating page with body map": f"/p/a/{survey.id}/1",
               "activities, first visit": path}
    send(client, path, FOUR)
    weights["activities, four named and the fifth open"] = f"{path}?open=5"
    weights["activities, one of four changed"] = f"{path}?open=1"
    return weights


@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_survey_page_state_fits_the_budget(db, client, language):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    states = _activity_states(db, client, language)
    weights = {name: _weight(client, path) for name, path in states.items()}
    assert ('dir="rtl"' in client.get(states["activities, first visit"]).get_data(as_text=True)) \
        == (language == "fa")
    baseline = open_survey(db, study_code="NT-0002", email="two@example.test")
    speak(db, baseline, language)
    weights["activities, five carried"] = _weight(client, later_survey(db, client, baseline,
                                                                       FIVE))
    print(f"\n{language} page weights (bytes): {weights}")
    heaviest = max(weights, key=weights.get)
    assert weights[heaviest] <= BUDGET, f"{heaviest}: {weights[heaviest]} bytes"
