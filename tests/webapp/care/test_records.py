"""Enrolment and re-planning through the shared care functions, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests.support.factories import make_course, planned_course
from webapp.care.records import CareError
from webapp.followup.replan import replan_course
from webapp.models import AuditEvent, Patient, Reminder, SurveyAssignment, TreatmentSession
from webapp.patients.enrolment import enrol_patient
from webapp.protocols.store import ensure_default_protocol


def test_default_protocol_is_created_once(db):
    first = ensure_default_protocol(db)
    db.commit()
    assert ensure_default_protocol(db).id == first.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"timezone": "Mars/Olympus"}, "Unknown time zone"),
     ({"regions": ["median-nowhere-left"]}, "Unknown nerve region"),
     ({"regions": []}, "at least one nerve region"),
     ({"preferred_channel": "pigeon"}, "Unknown channel")],
)
def test_bad_enrolment_is_refused(db, overrides, message):
    version = ensure_default_protocol(db)
    args = dict(study_code="NT-9", first_name="Al", timezone="UTC",
                regions=["ulnar-elbow-left"], protocol_version_id=version.id,
                enrolled_on=datetime(2026, 1, 1).date())
    args.update(overrides)
    with pytest.raises(CareError, match=message):
        enrol_patient(db, **args)
    db.rollback()
    assert db.exec(select(Patient)).all() == []


def test_replan_creates_assignments_and_reminders_then_is_stable(db):
    course = planned_course(db, sessions=3)
    slots = {a.slot for a in db.exec(select(SurveyAssignment)).all()}
    assert "baseline" in slots and "m12" in slots
    reminders = db.exec(select(Reminder)).all()
    assert reminders and all(r.status == "pending" for r in reminders)
    again = replan_course(db, course.id, now=datetime(2026, 1, 1, tzinfo=UTC))
    db.commit()
    assert (again.created, again.moved, again.cancelled, again.reminders_added) == (0, 0, 0, 0)


def test_moving_the_last_session_moves_the_follow_ups_and_audits_it(db):
    course = planned_course(db, sessions=3)
    m1_before = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "m1")).one()
    opens_before = m1_before.opens_at
    last = db.exec(select(TreatmentSession).order_by(TreatmentSession.scheduled_at.desc())).first()
    last.scheduled_at = last.scheduled_at + timedelta(days=14)
    db.add(last)
    db.commit()
    result = replan_course(db, course.id, now=datetime(2026, 1, 2, tzinfo=UTC))
    db.commit()
    assert result.moved >= 1
    m1 = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "m1")).one()
    # the last session moves from 26 Jan to 9 Feb: 1 calendar month after is 9 March, not 26 Feb
    assert m1.opens_at - opens_before == timedelta(days=11)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "assignment_moved")).first()
    live = db.exec(select(Reminder).where(Reminder.assignment_id == m1.id,
                                          Reminder.status == "pending")).all()
    assert live and all(m1.opens_at <= r.send_at < m1.closes_at for r in live)


def test_withdrawal_cancels_pending_but_keeps_completed(db):
    course = planned_course(db, sessions=2)
    baseline = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "baseline")).one()
    baseline.status = "completed"
    db.add(baseline)
    patient = db.get(Patient, course.patient_id)
    patient.status = "withdrawn"
    db.add(patient)
    db.commit()
    replan_course(db, course.id, now=datetime(2026, 1, 2, tzinfo=UTC))
    db.commit()
    statuses = {a.slot: a.status for a in db.exec(select(SurveyAssignment)).all()}
    assert statuses.pop("baseline") == "completed"
    assert set(statuses.values()) == {"cancelled"}
    assert {r.status for r in db.exec(select(Reminder)).all()} <= {"cancelled"}


def test_make_course_defaults(db):
    course = make_course(db)
    assert course.needs_replan is True


def _pending(db, course_id):
    from webapp.models import SurveyAssignment as A

    return sorted((r.slot_key, r.send_at) for r in db.exec(
        select(Reminder).join(A, A.id == Reminder.assignment_id)
        .where(A.course_id == course_id, Reminder.status == "pending")).all())


def test_pause_then_resume_brings_the_same_reminders_back(db):
    course = planned_course(db, sessions=2)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    before = _pending(db, course.id)
    patient = db.get(Patient, course.patient_id)
    patient.status = "paused"
    db.add(patient)
    replan_course(db, course.id, now=now)
    db.commit()
    assert _pending(db, course.id) == []
    patient.status = "active"
    db.add(patient)
    replan_course(db, course.id, now=now)
    db.commit()
    assert _pending(db, course.id) == before


def test_a_new_time_zone_moves_every_future_reminder(db):
    course = planned_course(db, sessions=2, timezone="Europe/London")
    patient = db.get(Patient, course.patient_id)
    patient.timezone = "Asia/Tokyo"
    db.add(patient)
    db.commit()
    replan_course(db, course.id, now=datetime(2026, 1, 2, tzinfo=UTC))
    db.commit()
    from zoneinfo import ZoneInfo

    local_hours = {r[1].astimezone(ZoneInfo("Asia/Tokyo")).hour for r in _pending(db, course.id)}
    assert local_hours == {9}


def test_a_manual_resend_survives_a_replan(db):
    course = planned_course(db, sessions=2)
    baseline = db.exec(select(SurveyAssignment).where(SurveyAssignment.slot == "baseline")).one()
    now = baseline.opens_at + timedelta(hours=1)
    db.add(Reminder(slot_key=f"resend/{baseline.id}/x", assignment_id=baseline.id,
                    patient_id=baseline.patient_id, channel="email", send_at=now,
                    next_attempt_at=now))
    db.commit()
    replan_course(db, course.id, now=now + timedelta(minutes=1))
    db.commit()
    row = db.exec(select(Reminder).where(Reminder.slot_key == f"resend/{baseline.id}/x")).one()
    assert row.status == "pending"
