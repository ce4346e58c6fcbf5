"""Reminder messages: nothing clinical on lock screens, local deadlines, escaping, SMS length."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from scheduler.messages import SMS_LIMIT, build_reminder, format_deadline, message_id_for

LINK = "https://nervetrack.example.org/r/Q2hhbmdlTWVQbGVhc2UxMjM0"
DEADLINE = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # exclusive end of Tuesday 3 March in London
FORBIDDEN = [
    "nerve", "median", "ulnar", "radial", "sciatic", "fibular", "tibial", "femoral", "occipital",
    "antebrachial", "dextrose", "d5w", "saline", "steroid", "hydrodissection", "injection",
    "ultrasound", "carpal", "tunnel", "meralgia", "scleroderma", "entrapment", "pain",
    "paresthesia", "tingling", "numb", "score", "psfs", "pgic", "quickdash", "bctq", "lefs",
    "dn4", "questionnaire", "survey", "diagnosis", "treatment", "session", "symptom",
]


def build(channel="email", **kw):
    args = {"first_name": "Sam", "clinic_name": "Riverside Clinic", "deadline_utc": DEADLINE,
            "tz": "Europe/London", "link": LINK, "channel": channel,
            "message_key": "m1/open+0/email", "domain": "nervetrack.example.org"}
    args.update(kw)
    return build_reminder(**args)


@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("name", ["Sam", "Alexandria-Josephine", "Lee"])
def test_no_clinical_words(channel, name):
    m = build(channel, first_name=name)
    words = set(re.findall(r"[a-z0-9]+", " ".join(
        [m.subject, m.text, m.html or ""]).lower().replace(LINK.lower(), "")))
    assert not words & set(FORBIDDEN)
    text = " ".join([m.subject, m.text, m.html or ""]).replace(LINK, "").lower()
    assert not any(f in text for f in FORBIDDEN)


def test_email_content():
    m = build()
    assert m.subject == "Riverside Clinic: how are you doing?"
    assert m.text.startswith("Hi Sam,\n")
    assert "Riverside Clinic would like to hear how you are doing" in m.text
    assert "Please answer by Tuesday 3 March, 11:59 pm:\n" + LINK in m.text
    assert f'href="{LINK}"' in m.html
    assert m.message_id == "<m1/open+0/email@nervetrack.example.org>"


@pytest.mark.parametrize(("deadline", "tz", "expected"), [
    (DEADLINE, "Europe/London", "Tuesday 3 March, 11:59 pm"),
    (DEADLINE, "America/New_York", "Tuesday 3 March, 6:59 pm"),
    (DEADLINE, "Asia/Kolkata", "Wednesday 4 March, 5:29 am"),
    (DEADLINE, "Asia/Kathmandu", "Wednesday 4 March, 5:44 am"),
    (datetime(2026, 3, 3, 13, 30, tzinfo=UTC), "Australia/Adelaide", "Tuesday 3 March, 11:59 pm"),
    (datetime(2026, 7, 1, 14, 30, tzinfo=UTC), "Australia/Adelaide", "Wednesday 1 July, 11:59 pm"),
    (datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), "UTC", "Thursday 1 January, 12:00 pm"),
    (datetime(2026, 1, 1, 1, 0, tzinfo=UTC), "UTC", "Thursday 1 January, 12:59 am"),
])
def test_local_deadline(deadline, tz, expected):
    assert format_deadline(deadline, tz) == expected
    assert expected in build(deadline_utc=deadline, tz=tz).text


def test_html_escaping():
    m = build(first_name='<script>alert("x")</script>', clinic_name="Smith & Jones",
              link="https://x.example/r?a=1&b=<2>")
    assert "<script>" not in m.html
    assert "&lt;script&gt;" in m.html and "Smith &amp; Jones" in m.html
    assert 'href="https://x.example/r?a=1&amp;b=&lt;2&gt;"' in m.html
    assert '<script>alert("x")</script>' in m.text  # plain text stays as typed


def test_header_injection_removed():
    m = build(clinic_name="Riverside\r\nBcc: evil@example.org")
    assert "\n" not in m.subject and "\r" not in m.subject


@pytest.mark.parametrize(("clinic", "link"), [
    ("Riverside Clinic", LINK),
    ("The Royal Northern Peripheral Health Centre", LINK),
    ("Riverside Clinic", "https://nt.example.org/r/" + "x" * 40),
])
def test_sms_fits_one_message(clinic, link):
    m = build("sms", clinic_name=clinic, link=link)
    assert m.html is None
    assert len(m.text) <= SMS_LIMIT
    assert m.text.endswith(link)
    assert "by Tue 3 Mar" in m.text


def test_sms_too_long_still_has_link_and_deadline():
    link = "https://nt.example.org/r/" + "x" * 150
    m = build("sms", link=link)
    assert m.text.endswith(link) and "Tue 3 Mar, 11:59 pm" in m.text


def test_unknown_language_falls_back_to_english():
    assert build(language="xx").text == build().text


@pytest.mark.parametrize(("key", "expected"), [
    ("m1/open+0/email", "<m1/open+0/email@d.example>"),
    ("pre-session:17/close-1/sms", "<pre-session=3A17/close-1/sms@d.example>"),
    ("a.b c=d", "<a=2Eb=20c=3Dd@d.example>"),
])
def test_message_id_is_stable_and_valid(key, expected):
    assert message_id_for(key, "d.example") == expected
    assert build(message_key=key, domain="d.example").message_id == expected
