"""Reminders in the patient's language, with a way to stop them, and still nothing clinical."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.channels import SmtpChannel
from scheduler.message_words import STOP_WORDS, WORDS, is_stop_request
from scheduler.messages import SMS_LIMIT, UNICODE_SMS_LIMIT, build_reminder, sms_limit
from surveys.catalogue import load_regions, region_label

LINK = "https://nervetrack.example.org/p/t/Q2hhbmdlTWVQbGVhc2UxMjM0"
STOP = "https://nervetrack.example.org/p/stop/eyJwIjo0Mn0.sig"
DEADLINE = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # exclusive end of Tuesday 3 March in London
LANGUAGES = sorted(WORDS)
# Health words, per language, that must never reach a lock screen.
CLINICAL = {
    "en": ["nerve", "pain", "injection", "treatment", "survey", "carpal"],
    "fr": ["nerf", "douleur", "injection", "traitement", "questionnaire", "canal carpien"],
    "es": ["nervio", "dolor", "inyección", "tratamiento", "cuestionario", "túnel carpiano"],
    "fa": ["عصب", "درد", "تزریق", "درمان", "پرسشنامه"],
}


def build(language, channel="email", **kw):
    args = {"first_name": "Sam", "clinic_name": "Riverside Clinic", "deadline_utc": DEADLINE,
            "tz": "Europe/London", "link": LINK, "channel": channel,
            "message_key": "m1/open+0/email", "domain": "nervetrack.example.org",
            "language": language}
    return build_reminder(**(args | kw))


def _everything(message) -> str:
    return " ".join([message.subject, message.text, message.html or ""]).lower()


@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_carries_no_health_data(language, channel):
    text = _everything(build(language, channel, stop_link=STOP, stop_hint=True))
    assert LINK.lower() in text
    text = text.replace(LINK.lower(), "").replace(STOP.lower(), "")
    text = text.replace("nervetrack.example.org", "")  # the From domain in the Message-ID
    labels = [region_label(r.code, language).lower() for r in load_regions()]
    assert not [w for w in CLINICAL[language] + labels if w in text]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Tuesday 3 March, 11:59 pm"), ("fr", "mardi 3 mars, 23:59"),
     ("es", "martes 3 de marzo, 23:59"), ("fa", "سه‌شنبه ۳ مارس، ساعت ۲۳:۵۹")],
)
def test_the_deadline_is_written_as_the_language_writes_it(language, expected):
    assert expected in build(language).text


def test_an_unknown_language_falls_back_to_english_and_a_regional_tag_to_its_language():
    assert build("de").subject == build("en").subject
    assert build("fr-CA").subject == build("fr").subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_email_carries_one_click_unsubscribe_headers_and_a_visible_link(language):
    message = build(language, stop_link=STOP)
    email = SmtpChannel("smtp.example", 25, "NerveTrack <n@example.org>").build_email(
        message, "sam@example.org")
    assert email["List-Unsubscribe"] == f"<{STOP}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert STOP in message.text and STOP in message.html


def test_without_a_stop_link_there_are_no_unsubscribe_headers():
    assert build("en").headers == ()


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_says_which_word_stops_reminders(language):
    text = build(language, "sms", stop_hint=True).text
    assert WORDS[language]["sms_stop"] in text and LINK in text
    assert any(word in text.lower() for word in (*STOP_WORDS[language], *STOP_WORDS["en"]))


@pytest.mark.parametrize(("text", "limit"), [("Hi Sam, answer by Tuesday", SMS_LIMIT),
                                             ("¿cómo está?", UNICODE_SMS_LIMIT),
                                             ("حالتان چطور است", UNICODE_SMS_LIMIT)])
def test_sms_segment_length_follows_the_alphabet(text, limit):
    assert sms_limit(text) == limit


@pytest.mark.parametrize(
    ("inbound", "stops"),
    [("STOP", True), (" stop ", True), ("Stop.", True), ("arrêt", True), ("ARRET", True),
     ("Baja", True), ("لغو", True), ("UNSUBSCRIBE", True), ("stop please", False),
     ("don't stop", False), ("", False), ("yes", False), ("5", False)],
)
def test_stop_requests_are_recognised_in_every_language(inbound, stops):
    assert is_stop_request(inbound) is stops
