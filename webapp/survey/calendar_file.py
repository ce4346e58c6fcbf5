"""A patient's upcoming check-ins as an iCalendar file, for "add to my calendar".

The file leaves the page (calendars sync to phones, watches and shared family calendars), so
each event carries only the caller's generic words: never a diagnosis, a nerve, a procedure or
a questionnaire. Each event spans the check-in's answer window in the patient's own time zone
(with its VTIMEZONE), and keeps one UID per check-in, so importing a newer file moves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from webapp.models import SurveyAssignment

# Neutral on purpose: even the product's name would hint at nerves in a shared family calendar.
PRODID = "-//Clinic check-ins//Patient calendar//EN"


def checkins_calendar(checkins: Sequence[SurveyAssignment], *, timezone: str, summary: str,
                      description: str, url: str, domain: str, now: datetime) -> bytes:
    """Return an .ics file with one event per check-in window, in the patient's time zone."""
    from icalendar import Calendar, Event  # 3 MB a worker pays only when a patient asks

    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    for checkin in checkins:
        event = Event()
        event.add("uid", f"checkin-{checkin.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", checkin.opens_at.astimezone(zone))
        event.add("dtend", checkin.closes_at.astimezone(zone))
        event.add("summary", summary)
        event.add("description", description)
        event.add("url", url)
        event.add("transp", "TRANSPARENT")  # a window to answer in, not a busy appointment
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
