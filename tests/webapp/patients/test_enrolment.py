"""Enrolment: preview stores nothing, enrol stores everything, bad input is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import (
    AuditEvent,
    CourseRegion,
    Patient,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    TreatmentSession,
    utcnow,
)
from webapp.protocols.store import ensure_default_protocol

NEW = "/coordinate/patients/new"
TABLES = (Patient, TreatmentCourse, CourseRegion, TreatmentSession, SurveyAssignment, Reminder)


@pytest.fixture
def coord(client, make_staff):
    make_staff("coordinator")
    login(client, "coordinator@clinic.test", STAFF_PASSWORD)
    return client


def _first_session_local() -> datetime:
    """Ten o'clock Paris time, a fortnight after the real clock (the view plans with it)."""
    day = utcnow().astimezone(ZoneInfo("Europe/Paris")).date() + timedelta(days=14)
    return datetime(day.year, day.month, day.day, 10, 0)


def _form(db, **overrides) -> dict:
    version = ensure_default_protocol(db)
    db.commit()
    data = {"study_code": "NT-0100", "first_name": "Ada", "email": "ada@example.test",
            "phone": "", "timezone": "Europe/Paris", "language": "fr",
            "preferred_channel": "email", "consent_date": "2026-11-01",
            "regions": ["median-carpal-tunnel-right", "ulnar-elbow-left"],
            "protocol_version_id": str(version.id),
            "enrolled_on": utcnow().date().isoformat(),
            "first_session": _first_session_local().strftime("%Y-%m-%dT%H:%M"),
            "action": "enrol"}
    data.update(overrides)
    return data


def _post(client, data):
    return client.post(NEW, data=dict(data, csrf_token=csrf_token(client, NEW)))


def _counts(db) -> dict:
    db.expire_all()
    counts = {t.__name__: len(db.exec(select(t)).all()) for t in TABLES}
    counts["audit"] = len(db.exec(select(AuditEvent)
                                  .where(AuditEvent.action != "login_succeeded")).all())
    return counts


def test_form_lists_regions_by_limb_and_latest_protocols(coord, db):
    ensure_default_protocol(db)
    db.commit()
    page = coord.get(NEW).get_data(as_text=True)
    assert "<legend>arm</legend>" in page and "<legend>leg</legend>" in page
    assert "Median nerve" in page or "median" in page.lower()
    assert "NerveTrack default follow-up (version 1)" in page
    assert '<option value="Europe/Paris">' in page


def test_preview_shows_the_plan_and_stores_nothing(coord, db):
    data = _form(db, action="preview")
    before = _counts(db)
    response = _post(coord, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Planned schedule (not saved)" in page
    assert "Baseline (before the first session)" in page
    assert "12 months after the last session" in page
    assert "09:00 (email)" in page  # reminders shown at the patient's local morning
    assert _counts(db) == before


def test_enrol_saves_patient_course_regions_session_plan_and_audit(coord, db):
    response = _post(coord, _form(db))
    assert response.status_code == 302
    db.expire_all()
    patient = db.exec(select(Patient).where(Patient.study_code == "NT-0100")).one()
    assert response.headers["Location"].endswith(f"/coordinate/patients/{patient.id}")
    assert (patient.timezone, patient.language, patient.preferred_channel) == (
        "Europe/Paris", "fr", "email")
    course = db.exec(select(TreatmentCourse).where(TreatmentCourse.patient_id == patient.id)).one()
    regions = db.exec(select(CourseRegion.region_code)
                      .where(CourseRegion.course_id == course.id)).all()
    assert sorted(regions) == ["median-carpal-tunnel-right", "ulnar-elbow-left"]
    (session,) = db.exec(select(TreatmentSession)
                         .where(TreatmentSession.course_id == course.id)).all()
    expected = _first_session_local().replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    assert session.scheduled_at == expected
    keys = {a.timepoint_key for a in db.exec(select(SurveyAssignment)
                                             .where(SurveyAssignment.course_id == course.id))}
    assert {"baseline", "after-session", "m1", "m3", "m6", "m12"} <= keys
    assert db.exec(select(Reminder).where(Reminder.patient_id == patient.id)).all()
    assert course.needs_replan is False
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "patient_enrolled")).one()
    assert event.patient_id == patient.id and event.actor_label == "coordinator@clinic.test"


def test_enrol_without_a_first_session_plans_nothing_session_anchored(coord, db):
    assert _post(coord, _form(db, first_session="")).status_code == 302
    db.expire_all()
    assert db.exec(select(Patient)).one()
    assert db.exec(select(TreatmentSession)).all() == []
    assert db.exec(select(SurveyAssignment)).all() == []  # the default protocol needs a session


@pytest.mark.parametrize(("overrides", "message"), [
    ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
    ({"timezone": "Europe/Pariss"}, "Unknown time zone"),
    ({"preferred_channel": "sms", "phone": ""}, "SMS reminders need a mobile phone number"),
    ({"preferred_channel": "sms", "phone": "07700 900123"}, "Write the number as + then digits"),
    ({"email": ""}, "Email reminders need an email address"),
    ({"email": "not-an-address"}, "Enter a valid email"),
    ({"regions": []}, "Choose at least one nerve region"),
    ({"regions": ["median-carpal-tunnel-middle"]}, "is not a valid choice"),
    ({"study_code": "NT 01/x"}, "letters, digits and dashes"),
    ({"first_session": "tomorrow at ten"}, "Not a valid datetime value"),
    ({"consent_date": ""}, "This field is required"),
    ({"protocol_version_id": "999"}, "Not a valid choice"),
])
@pytest.mark.parametrize("action", ["enrol", "preview"])
def test_bad_enrolments_are_refused_and_nothing_is_stored(coord, db, overrides, message, action):
    data = _form(db, action=action, **overrides)
    before = _counts(db)
    response = _post(coord, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _counts(db) == before


def test_a_study_code_in_use_is_refused_next_to_the_field(coord, db):
    make_course(db, study_code="NT-0100")
    before = _counts(db)
    response = _post(coord, _form(db))
    assert response.status_code == 400
    assert "Study code NT-0100 is already in use" in response.get_data(as_text=True)
    assert _counts(db) == before
