"""Reminder messages: generic wording safe for lock screens, deadline in the patient's local time.

Messages never name a diagnosis, a nerve, a procedure, a questionnaire or a score: they show on
lock screens and shared inboxes. They say who asks, that it is short, the deadline and the link.
"""

from __future__ import annotations

import html
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.planner import load_zone

SMS_LIMIT = 160
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_ID_SAFE = set(string.ascii_letters + string.digits + "!#$%&'*+-/?^_`{|}~")

_EN = {
    "subject": "{clinic}: how are you doing?",
    "greeting": "Hi {name},",
    "body": "{clinic} would like to hear how you are doing. It takes about two minutes.",
    "deadline": "Please answer by {deadline}:",
    "sign": "Thank you,\n{clinic}",
    "sms": "Hi {name}, {clinic} would like to hear how you are doing (about 2 min). "
           "Please answer by {deadline}: {link}",
    "sms_short": "{clinic}: how are you doing? About 2 min. Answer by {deadline}: {link}",
}
TEMPLATES = {"en": _EN}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None
    message_id: str


def message_id_for(message_key: str, domain: str) -> str:
    """Return the stable RFC 5322 Message-ID ``<key@domain>`` (other characters =XX-escaped)."""
    safe = "".join(c if c in _ID_SAFE else "".join(f"={b:02X}" for b in c.encode())
                   for c in message_key)
    return f"<{safe}@{domain}>"


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def format_deadline(deadline_utc: datetime, tz: str, short: bool = False) -> str:
    """Format the last minute before an exclusive deadline, local: 'Tuesday 3 March, 11:59 pm'."""
    local = (deadline_utc - timedelta(seconds=1)).astimezone(load_zone(tz))
    weekday, month = _WEEKDAYS[local.weekday()], _MONTHS[local.month - 1]
    if short:
        weekday, month = weekday[:3], month[:3]
    return f"{weekday} {local.day} {month}, {_clock(local)}"


def _email(words: dict, name: str, clinic: str, deadline: str, link: str) -> tuple[str, str]:
    lines = [words["greeting"].format(name=name), "",
             words["body"].format(clinic=clinic), "",
             words["deadline"].format(deadline=deadline), link, "",
             words["sign"].format(clinic=clinic)]
    text = "\n".join(lines) + "\n"
    e_name, e_clinic, e_link = html.escape(name), html.escape(clinic), html.escape(link, quote=True)
    body = (f"<p>{words['greeting'].format(name=e_name)}</p>"
            f"<p>{words['body'].format(clinic=e_clinic)}</p>"
            f"<p>{words['deadline'].format(deadline=html.escape(deadline))}<br>"
            f'<a href="{e_link}">{e_link}</a></p>'
            f"<p>{words['sign'].format(clinic=e_clinic).replace(chr(10), '<br>')}</p>")
    return text, f"<!doctype html><html><body>{body}</body></html>"


def _sms(words: dict, name: str, clinic: str, deadline: str, short_deadline: str,
         link: str) -> str:
    candidates = [
        words["sms"].format(name=name, clinic=clinic, deadline=deadline, link=link),
        words["sms"].format(name=name, clinic=clinic, deadline=short_deadline, link=link),
        words["sms_short"].format(clinic=clinic, deadline=short_deadline, link=link),
        words["sms_short"].format(clinic=clinic, deadline=short_deadline.split(",")[0], link=link),
    ]
    fitting = [c for c in candidates if len(c) <= SMS_LIMIT]
    # when nothing fits, keep the hour of the deadline: it will be split anyway
    return fitting[0] if fitting else candidates[-2]


def build_reminder(first_name: str, clinic_name: str, deadline_utc: datetime, tz: str, link: str,
                   channel: str, *, message_key: str, domain: str,
                   language: str = "en") -> Message:
    """Build a reminder; ``deadline_utc`` is the window's exclusive end (``closes_at``)."""
    words = TEMPLATES.get(language, _EN)
    name = " ".join(first_name.split()) or "there"
    clinic = " ".join(clinic_name.split())
    deadline = format_deadline(deadline_utc, tz)
    message_id = message_id_for(message_key, domain)
    subject = words["subject"].format(clinic=clinic)
    if channel == "sms":
        short = format_deadline(deadline_utc, tz, short=True)
        return Message(subject, _sms(words, name, clinic, deadline, short, link), None, message_id)
    text, body = _email(words, name, clinic, deadline, link)
    return Message(subject, text, body, message_id)
