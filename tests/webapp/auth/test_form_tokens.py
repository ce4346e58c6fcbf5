"""A patient's form token is signed once per worker, not on every page, and still checked.

Covers webapp.auth.security._reuse_signed_form_token: with WTF_CSRF_TIME_LIMIT unset (tokens
live as long as the session) the signed token a page carries is the one signed the first time;
with a time limit each page signs afresh, as Flask-WTF does, so a token's age stays true.
"""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner

from tests.support.patient import csrf_of, open_survey, post_page, sign_in


@pytest.fixture
def later(monkeypatch):
    """A clock for itsdangerous's signatures that moves a minute on each reading."""
    clock = {"now": 1_900_000_000}

    def timestamp(_signer) -> int:
        clock["now"] += 60
        return clock["now"]

    monkeypatch.setattr(TimestampSigner, "get_timestamp", timestamp)


def _two_pages_tokens(db, client):
    survey = open_survey(db)
    sign_in(client, db, survey)
    path = f"/p/a/{survey.id}/1"
    return path, csrf_of(client, path), csrf_of(client, path), csrf_of(client, path)


def test_a_sessions_form_token_is_signed_once_and_still_accepted(db, client, later):
    path, first, second, third = _two_pages_tokens(db, client)
    assert second == third  # signed on the second page (the first made the session's token)
    assert post_page(client, path, {"pain_now": "3", "pain_worst": "5"},
                     token=third).status_code == 303
    assert post_page(client, path, {"pain_now": "3", "pain_worst": "5"},
                     token=third + "x").status_code == 400


def test_with_a_time_limit_every_page_signs_afresh(app, db, client, later):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    _path, _first, second, third = _two_pages_tokens(db, client)
    assert second != third

