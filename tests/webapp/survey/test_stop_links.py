"""The signed reminder-choice link: one patient, one purpose, this app's secret, a long life."""

from __future__ import annotations

import hashlib
import string
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from webapp.survey.stop_links import (
    MAX_AGE,
    SALT,
    make_stop_token,
    read_stop_token,
    stop_url,
)

SECRET = "test-secret-key-not-for-production"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def _signed(payload, *, salt=SALT, secret=SECRET) -> str:
    """A token signed the way ours are, carrying any payload (what a forger cannot make)."""
    return URLSafeTimedSerializer(secret, salt=salt,
                                  signer_kwargs={"digest_method": hashlib.sha256}).dumps(payload)


def test_a_link_reads_back_as_its_patient():
    token = make_stop_token(SECRET, 42, now=NOW)
    assert read_stop_token(SECRET, token, now=NOW) == ("ok", 42)
    assert read_stop_token(SECRET, token, now=NOW + MAX_AGE - timedelta(seconds=1)) == ("ok", 42)
    assert stop_url("https://clinic.example.org/", token) == (
        f"https://clinic.example.org/p/stop/{token}")


def test_links_of_two_patients_differ_and_do_not_cross():
    a, b = make_stop_token(SECRET, 1, now=NOW), make_stop_token(SECRET, 2, now=NOW)
    assert a != b
    assert [read_stop_token(SECRET, t, now=NOW)[1] for t in (a, b)] == [1, 2]


@pytest.mark.parametrize("position", [0, 5, 20, -30, -1])
def test_a_changed_character_is_refused(position):
    token = make_stop_token(SECRET, 42, now=NOW)
    # Flip a high bit of the character's 6: the low bits of a last base64 character are padding.
    old = token[position]
    swapped = B64[B64.index(old) ^ 32] if old in B64 else "A"
    tampered = token[:position] + swapped + (token[position + 1:] if position != -1 else "")
    assert read_stop_token(SECRET, tampered, now=NOW) == ("bad", None)


@pytest.mark.parametrize(("token", "why"), [
    (_signed({"p": 42, "for": "something-else"}), "another purpose, same salt"),
    (_signed({"p": 42}), "no purpose"),
    (_signed({"p": 42, "for": "reminders"}, salt="nervetrack.other"), "another salt"),
    (_signed({"p": 42, "for": "reminders"}, secret="another-secret"), "another secret"),
    (_signed({"p": "42", "for": "reminders"}), "id as text"),
    (_signed({"p": True, "for": "reminders"}), "id as a boolean"),
    (_signed({"p": -1, "for": "reminders"}), "negative id"),
    (_signed([42, "reminders"]), "not an object"),
])
def test_a_link_made_for_anything_else_is_refused(token, why):
    assert read_stop_token(SECRET, token, now=datetime.now(UTC)) == ("bad", None), why


@pytest.mark.parametrize("token", ["", "short", "x" * 10_000, "a\x00b" * 10, "é" * 30,
                                   "\ud800" * 30, "../../etc/passwd" + "a" * 20,
                                   "eyJwIjo0Mn0." * 3])
def test_junk_is_refused_without_an_error(token):
    assert read_stop_token(SECRET, token, now=NOW) == ("bad", None)


@pytest.mark.parametrize(("age", "status"), [
    (MAX_AGE + timedelta(seconds=1), "expired"),
    (timedelta(days=3650), "expired"),
    (-timedelta(minutes=5), "expired"),  # made "in the future": not by this clock
])
def test_an_old_link_has_expired(age, status):
    token = make_stop_token(SECRET, 42, now=NOW)
    assert read_stop_token(SECRET, token, now=NOW + age) == (status, None)
