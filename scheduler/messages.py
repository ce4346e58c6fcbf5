"""Reminder messages: generic wording safe for lock screens, deadline in the patient's local time.

Messages never name a diagnosis, a nerve, a procedure, a questionnaire or a score: they show on
lock screens and shared inboxes. They say who asks, that it is short, the deadline and the link.
"""

from __future__ import annotations

import html
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.message_words import WORDS, local_date_text, words_for
from scheduler.planner import load_zone

SMS_LIMIT = 160  # one GSM-7 segment
UNICODE_SMS_LIMIT = 70  # one UCS-2 segment (Persian, or any character outside GSM-7)
_ID_SAFE = set(string.ascii_letters + string.digits + "!#$%&'*+-/?^_`{|}~")
# GSM 03.38 basic character set: text made only of these fits 160 characters per SMS.
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
TEMPLATES = WORDS


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None
    message_id: str
    # Extra email headers, e.g. List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058).
    headers: tuple[tuple[str, str], ...] = ()


def message_id_for(message_key: str, domain: str) -> str:
    """Return the stable RFC 5322 Message-ID ``<key@domain>`` (other characters =XX-escaped)."""
    safe = "".join(c if c in _ID_SAFE else "".join(f"={b:02X}" for b in c.encode())
                   for c in message_key)
    return f"<{safe}@{domain}>"


def format_deadline(deadline_utc: datetime, tz: str, short: bool = False,
                    language: str = "en") -> str:
    """Format the last minute before an exclusive deadline, local: 'Tuesday 3 March, 11:59 pm'."""
    local = (deadline_utc - timedelta(seconds=1)).astimezone(load_zone(tz))
    return local_date_text(local, language, short)


def sms_limit(text: str) -> int:
    """Return how many characters of this text fit in one SMS segment."""
    return SMS_LIMIT if set(text) <= _GSM7 else UNICODE_SMS_LIMIT


def _greeting(words: dict, name: str) -> str:
    greeting = words["greeting"].format(name=name)
    return " ".join(greeting.split()).replace(" ,", ",")


def _email(words: dict, name: str, clinic: str, deadline: str, link: str,
           stop_link: str | None) -> tuple[str, str]:
    lines = [_greeting(words, name), "", words["body"].format(clinic=clinic), "",
             words["deadline"].format(deadline=deadline), link, "",
             words["sign"].format(clinic=clinic)]
    if stop_link:
        lines += ["", words["stop_email"].format(link=stop_link)]
    text = "\n".join(lines) + "\n"
    e_name, e_clinic, e_link = html.escape(name), html.escape(clinic), html.escape(link, quote=True)
    body = (f"<p>{_greeting(words, e_name)}</p>"
            f"<p>{words['body'].format(clinic=e_clinic)}</p>"
            f"<p>{words['deadline'].format(deadline=html.escape(deadline))}<br>"
            f'<a href="{e_link}">{e_link}</a></p>'
            f"<p>{words['sign'].format(clinic=e_clinic).replace(chr(10), '<br>')}</p>")
    if stop_link:
        e_stop = html.escape(stop_link, quote=True)
        stop = words["stop_email"].format(link=f'<a href="{e_stop}">{e_stop}</a>')
        body += f"<p><small>{stop}</small></p>"
    return text, f"<!doctype html><html><body>{body}</body></html>"


def _sms(words: dict, name: str, clinic: str, deadline: str, short_deadline: str,
         link: str, stop_hint: bool) -> str:
    shortest = short_deadline.replace("،", ",").split(",")[0]
    candidates = [
        words["sms"].format(name=name, clinic=clinic, deadline=deadline, link=link),
        words["sms"].format(name=name, clinic=clinic, deadline=short_deadline, link=link),
        words["sms_short"].format(clinic=clinic, deadline=short_deadline, link=link),
        words["sms_short"].format(clinic=clinic, deadline=shortest, link=link),
    ]
    if stop_hint:
        candidates = [f"{c} {words['sms_stop']}" for c in candidates]
    candidates = [" ".join(c.split()) for c in candidates]
    fitting = [c for c in candidates if len(c) <= sms_limit(c)]
    # when nothing fits, keep the hour of the deadline: it will be split anyway
    return fitting[0] if fitting else candidates[-2]


def _unsubscribe_headers(stop_link: str | None) -> tuple[tuple[str, str], ...]:
    if not stop_link:
        return ()
    return (("List-Unsubscribe", f"<{stop_link}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def build_reminder(first_name: str, clinic_name: str, deadline_utc: datetime, tz: str, link: str,
                   channel: str, *, message_key: str, domain: str, language: str = "en",
                   stop_link: str | None = None, stop_hint: bool = False) -> Message:
    """Build a reminder; ``deadline_utc`` is the window's exclusive end (``closes_at``).

    ``stop_link`` (email) adds a one-click unsubscribe link and its headers; ``stop_hint`` (SMS)
    tells the patient which word stops reminders.
    """
    words = words_for(language)
    name = " ".join(first_name.split()) or words["there"]
    clinic = " ".join(clinic_name.split())
    deadline = format_deadline(deadline_utc, tz, language=language)
    message_id = message_id_for(message_key, domain)
    subject = words["subject"].format(clinic=clinic)
    if channel == "sms":
        short = format_deadline(deadline_utc, tz, short=True, language=language)
        text = _sms(words, name, clinic, deadline, short, link, stop_hint)
        return Message(subject, text, None, message_id)
    text, body = _email(words, name, clinic, deadline, link, stop_link)
    return Message(subject, text, body, message_id, _unsubscribe_headers(stop_link))
