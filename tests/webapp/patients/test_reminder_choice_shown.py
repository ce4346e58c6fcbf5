"""The coordinator sees a patient's own reminder choice on the worklist and the patient page,
dated in the patient's time zone; a pause that has run out, or no choice, shows nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.factories import make_course
from webapp.audit import Actor
from webapp.followup.reminder_choices import PAUSE_FOR, pause_reminders, stop_reminders
from webapp.models import SurveyAssignment, utcnow

ZONE = "Pacific/Auckland"  # 23:30 UTC is already the next day there
PATIENT = Actor("patient", None, None, "192.0.2.1")
STOPPED_AT = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def _late_evening(days_ahead: int) -> datetime:
    return (utcnow() + timedelta(days=days_ahead)).replace(hour=23, minute=30, second=0,
                                                           microsecond=0)


def _choose(db, patient_id: int, choice: str) -> str | None:
    """Make the patient's choice through the real functions; return the words expected."""
    if choice == "paused":
        until = _late_evening(3)
        pause_reminders(db, patient_id, now=until - PAUSE_FOR, actor=PATIENT, via="email")
        return f"Reminders paused until {until.astimezone(ZoneInfo(ZONE)):%a %d %b %Y}"
    if choice == "pause ran out":
        pause_reminders(db, patient_id, now=_late_evening(-1) - PAUSE_FOR, actor=PATIENT,
                        via="email")
        return None
    if choice == "stopped":
        stop_reminders(db, patient_id, now=STOPPED_AT, actor=PATIENT, via="sms")
        return "Reminders stopped by the patient on 03 Mar 2026"
    return None


def _patient_with_open_follow_up(db, code: str) -> int:
    course = make_course(db, study_code=code, timezone=ZONE, email=f"{code.lower()}@example.test")
    now = utcnow()
    db.add(SurveyAssignment(patient_id=course.patient_id, course_id=course.id, slot=f"due-{code}",
                            timepoint_key="m1", label="Check m1", due_on=now.date(),
                            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5),
                            instruments=["nt-pain"], regions=[], status="open"))
    db.commit()
    return course.patient_id


CHOICES = ["paused", "stopped", "pause ran out", "none"]


@pytest.fixture
def coord(signed_in):
    return signed_in("coordinator")


def _choice_words(html: str) -> list[str]:
    return [line.split(">", 1)[1].split("<", 1)[0]
            for line in html.split('<span class="tag reminder-choice"')[1:]]


def test_the_worklist_shows_each_patient_choice_on_their_row(coord, db):
    expected = {}
    for number, choice in enumerate(CHOICES, start=1):
        pid = _patient_with_open_follow_up(db, f"NT-00{number}")
        expected[f"NT-00{number}"] = _choose(db, pid, choice)
        db.commit()
    html = coord.get("/coordinate/worklist").get_data(as_text=True)
    rows = {code: html.split(f">{code}</a>", 1)[1].split("</td>", 1)[0] for code in expected}
    assert {code: _choice_words(cell) or None for code, cell in rows.items()} == {
        code: [words] if words else None for code, words in expected.items()}


@pytest.mark.parametrize("choice", CHOICES)
def test_the_patient_page_shows_the_choice(coord, db, choice):
    pid = _patient_with_open_follow_up(db, "NT-001")
    words = _choose(db, pid, choice)
    db.commit()
    response = coord.get(f"/coordinate/patients/{pid}")
    assert response.status_code == 200
    assert _choice_words(response.get_data(as_text=True)) == ([words] if words else [])
