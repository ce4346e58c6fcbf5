"""The coordinator's patient pages: list, view (audited), contact details, status, contact log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.factories import make_course, planned_course
from tests.support.web import csrf_token
from webapp.models import (
    AuditEvent,
    ContactLog,
    Patient,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    utcnow,
)


@pytest.fixture
def coord(signed_in):
    return signed_in("coordinator")


def future_course(db, code="NT-0001", **kwargs) -> TreatmentCourse:
    """Weekly sessions from ten days after the real clock (the views read it), planned now."""
    now = utcnow().replace(microsecond=0)
    first = (now + timedelta(days=10)).replace(hour=10, minute=0, second=0)
    kwargs.setdefault("timezone", "Europe/London")
    return planned_course(db, study_code=code, now=now, first_session=first, **kwargs)


def _page(course) -> str:
    return f"/coordinate/patients/{course.patient_id}"


def _pending_reminders(db, patient_id):
    db.expire_all()
    return db.exec(select(Reminder).where(Reminder.patient_id == patient_id,
                                          Reminder.status == "pending")).all()


def _audits(db, action):
    db.expire_all()
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_patient_list_searches_by_code_and_name(coord, db):
    future_course(db, "NT-0001", first_name="Sam")
    make_course(db, study_code="NT-0002", first_name="Alex")
    page = coord.get("/coordinate/patients").get_data(as_text=True)
    assert "NT-0001" in page and "NT-0002" in page
    assert "NerveTrack default follow-up v1" in page
    assert "Baseline (before the first session)" in page  # Sam's next follow-up
    by_name = coord.get("/coordinate/patients?q=ale").get_data(as_text=True)
    assert "NT-0002" in by_name and "NT-0001" not in by_name
    by_code = coord.get("/coordinate/patients?q=0001").get_data(as_text=True)
    assert "NT-0001" in by_code and "NT-0002" not in by_code
    assert "No patients" in coord.get("/coordinate/patients?q=%25_").get_data(as_text=True)


def test_viewing_a_patient_is_audited_and_shows_plan_reminders(coord, db):
    course = future_course(db)
    response = coord.get(_page(course))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Planned schedule" in page and "1 month after the last session" in page
    assert "Reminder history" in page and "pending" in page
    (event,) = _audits(db, "patient_viewed")
    assert event.patient_id == course.patient_id and event.actor_type == "staff"
    assert coord.get("/coordinate/patients/9999").status_code == 404


def _status(client, course, action):
    path = _page(course)
    return client.post(path + "/status", data={"csrf_token": csrf_token(client, path),
                                               "action": action})


def test_pause_stops_reminders_and_resume_brings_them_back(coord, db):
    course = future_course(db)
    assert _pending_reminders(db, course.patient_id)
    assert _status(coord, course, "pause").status_code == 302
    assert db.get(Patient, course.patient_id).status == "paused"
    assert _pending_reminders(db, course.patient_id) == []
    live = db.exec(select(SurveyAssignment).where(SurveyAssignment.status == "pending")).all()
    assert live  # pausing keeps the follow-ups, only the reminders stop
    assert _status(coord, course, "resume").status_code == 302
    assert _pending_reminders(db, course.patient_id)
    changes = [(e.detail["from"], e.detail["to"]) for e in _audits(db, "patient_status_changed")]
    assert changes == [("active", "paused"), ("paused", "active")]


@pytest.mark.parametrize("action", ["withdraw", "discharge"])
def test_withdraw_or_discharge_cancels_pending_follow_ups(coord, db, action):
    course = future_course(db)
    assert _status(coord, course, action).status_code == 302
    db.expire_all()
    statuses = {a.status for a in db.exec(select(SurveyAssignment)).all()}
    assert statuses == {"cancelled"}
    assert _pending_reminders(db, course.patient_id) == []
    assert _audits(db, "assignment_cancelled")


@pytest.mark.parametrize(("first", "then", "message"), [
    (None, "resume", "cannot be set to active"),
    ("withdraw", "pause", "cannot be set to paused"),
    (None, "delete", "Unknown action"),
])
def test_impossible_status_changes_are_refused(coord, db, first, then, message):
    course = future_course(db)
    if first:
        _status(coord, course, first)
    before = db.get(Patient, course.patient_id).status
    response = _status(coord, course, then)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Patient, course.patient_id).status == before


def _contact(client, course, **overrides):
    data = {"email": "sam@example.test", "phone": "", "timezone": "Europe/London",
            "language": "en", "preferred_channel": "email"}
    data.update(overrides)
    path = _page(course)
    data["csrf_token"] = csrf_token(client, path)
    return client.post(path + "/contact-details", data=data)


def test_time_zone_change_is_audited_and_replans_reminders(coord, db):
    course = future_course(db)
    assert _contact(coord, course, timezone="Asia/Tokyo").status_code == 302
    db.expire_all()
    assert db.get(Patient, course.patient_id).timezone == "Asia/Tokyo"
    (event,) = _audits(db, "patient_contact_updated")
    assert event.detail == {"fields": ["timezone"]}
    # 09:00 in Tokyo is 00:00 UTC: every pending reminder now follows the new zone.
    assert {r.send_at.hour for r in _pending_reminders(db, course.patient_id)} == {0}
    assert db.get(TreatmentCourse, course.id).needs_replan is False


def test_channel_change_moves_reminders_to_sms(coord, db):
    course = future_course(db)
    response = _contact(coord, course, phone="+447700900123", preferred_channel="sms")
    assert response.status_code == 302
    assert {r.channel for r in _pending_reminders(db, course.patient_id)} == {"sms"}
    (event,) = _audits(db, "patient_contact_updated")
    assert event.detail == {"fields": ["phone", "preferred_channel"]}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"timezone": "Europe/Londres"}, "Unknown time zone"),
    ({"preferred_channel": "sms"}, "SMS reminders need a mobile phone number"),
    ({"phone": "0044 7700"}, "Write the number as + then digits"),
])
def test_bad_contact_details_are_refused(coord, db, overrides, message):
    course = future_course(db)
    response = _contact(coord, course, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    patient = db.get(Patient, course.patient_id)
    assert (patient.timezone, patient.phone, patient.preferred_channel) == (
        "Europe/London", None, "email")
    assert _audits(db, "patient_contact_updated") == []


def test_unchanged_contact_details_record_nothing(coord, db):
    course = future_course(db)
    assert _contact(coord, course).status_code == 302
    assert _audits(db, "patient_contact_updated") == []


def _log(client, course, **data):
    path = _page(course)
    return client.post(path + "/contacts", data=dict(data, csrf_token=csrf_token(client, path)))


def test_phone_contact_and_note_are_logged_and_audited(coord, db):
    course = future_course(db)
    assignment = db.exec(select(SurveyAssignment)).first()
    assert _log(coord, course, kind="phone", assignment_id=str(assignment.id),
                next="worklist").headers["Location"].endswith("/coordinate/worklist")
    assert _log(coord, course, kind="note", note="Asked to call back on Monday").status_code == 302
    db.expire_all()
    rows = db.exec(select(ContactLog).order_by(ContactLog.id)).all()
    assert [(r.kind, r.assignment_id, r.note) for r in rows] == [
        ("phone", assignment.id, None), ("note", None, "Asked to call back on Monday")]
    assert len(_audits(db, "patient_contacted_by_phone")) == 1
    assert len(_audits(db, "contact_note_added")) == 1
    page = coord.get(_page(course)).get_data(as_text=True)
    assert "Asked to call back on Monday" in page and "Phone call" in page


def test_empty_note_or_someone_elses_assignment_is_refused(coord, db):
    course = future_course(db)
    other = future_course(db, "NT-0002")
    foreign = db.exec(select(SurveyAssignment)
                      .where(SurveyAssignment.course_id == other.id)).first()
    empty = _log(coord, course, kind="note", note="  ")
    assert empty.status_code == 400 and "Write the note" in empty.get_data(as_text=True)
    wrong = _log(coord, course, kind="phone", assignment_id=str(foreign.id))
    assert wrong.status_code == 400 and "Unknown follow-up" in wrong.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(ContactLog)).all() == []
