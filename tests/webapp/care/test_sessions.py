"""The treatment-session form: create, copy the previous regions, edit (re-plans), validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from scheduler.calendar_offsets import add_months
from tests.support.factories import make_course, planned_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.care.records import add_treatment_session, record_procedure
from webapp.models import (
    AuditEvent,
    ProcedureRecord,
    SurveyAssignment,
    TreatmentSession,
)

REGIONS = ("median-carpal-tunnel-right", "ulnar-elbow-left")


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


def form_data(client, path, **overrides):
    """A valid submission: first region treated, second not; overrides win."""
    data = {"csrf_token": csrf_token(client, path), "date": "2025-06-02", "time": "10:30",
            "status": "performed", "notes": "Both arms reviewed",
            "regions-0-treated": "y", "regions-0-injectate": "D5W",
            "regions-0-concentration": "5%", "regions-0-volume_ml": "4",
            "regions-0-approach": "in-plane short axis", "regions-0-csa_mm2": "12.5",
            "regions-0-immediate_relief_pct": "60",
            "regions-1-injectate": "D5W"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _count(db, model):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_create_stores_utc_records_replans_and_audits(clinician, db):
    course = make_course(db, study_code="NT-0500", regions=REGIONS, timezone="Europe/London")
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    page = clinician.get(path).get_data(as_text=True)
    assert page.count("<fieldset class=\"card region\">") == 2
    response = clinician.post(path, data=form_data(clinician, path))
    assert response.status_code == 302
    db.expire_all()
    row = db.exec(select(TreatmentSession)).one()
    # 10:30 in London in June (BST, UTC+1) is 09:30 UTC
    assert row.scheduled_at == datetime(2025, 6, 2, 9, 30, tzinfo=UTC) == row.performed_at
    assert (row.status, row.notes) == ("performed", "Both arms reviewed")
    record = db.exec(select(ProcedureRecord)).one()
    assert (record.region_code, record.injectate, record.volume_ml, record.csa_mm2,
            record.immediate_relief_pct, record.approach, record.needle) == (
        REGIONS[0], "D5W", 4.0, 12.5, 60, "in-plane short axis", None)
    course = db.get(type(course), course.id)
    assert course.replanned_at is not None and course.needs_replan is False
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "session_recorded")).one()
    assert (event.record_id, event.patient_id, event.actor_type) == (
        row.id, course.patient_id, "staff")


def test_a_future_session_plans_follow_ups_attributed_to_the_clinician(clinician, db):
    course = make_course(db, study_code="NT-0507", regions=REGIONS, timezone="UTC")
    when = datetime.now(UTC) + timedelta(days=7)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    response = clinician.post(path, data=form_data(
        clinician, path, date=f"{when:%Y-%m-%d}", status="scheduled"))
    assert response.status_code == 302
    db.expire_all()
    slots = {a.slot for a in db.exec(select(SurveyAssignment)).all()}
    assert {"baseline", "m1", "m12"} <= slots
    created = db.exec(select(AuditEvent).where(AuditEvent.action == "assignment_created")).all()
    assert created and {(e.actor_type, e.actor_label) for e in created} == {
        ("staff", "clinician@clinic.test")}


def test_copy_previous_prefills_regions_from_the_latest_session(clinician, db):
    course = make_course(db, study_code="NT-0501", regions=REGIONS)
    older = add_treatment_session(db, course=course, scheduled_at=datetime(2025, 5, 1, tzinfo=UTC))
    record_procedure(db, treatment_session=older, region_code=REGIONS[0], injectate="saline",
                     volume_ml=9.0)
    latest = add_treatment_session(db, course=course,
                                   scheduled_at=datetime(2025, 5, 8, tzinfo=UTC))
    record_procedure(db, treatment_session=latest, region_code=REGIONS[1], injectate="D15W",
                     volume_ml=2.5, needle="25G")
    db.commit()
    html = clinician.get(f"/clinic/patients/{course.patient_id}/sessions/new?copy=previous"
                         ).get_data(as_text=True)
    assert not re.search(r'id="regions-0-treated"[^>]*checked', html)
    assert re.search(r'checked[^>]*id="regions-1-treated"|id="regions-1-treated"[^>]*checked',
                     html)
    assert 'value="2.5"' in html and 'value="25G"' in html and 'value="9.0"' not in html
    assert '<option selected value="D15W">' in html or 'value="D15W" selected' in html
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == "session_form_viewed")).one()
    assert viewed.patient_id == course.patient_id


def test_edit_moves_the_session_and_its_pending_follow_ups(clinician, db):
    now = datetime.now(UTC).replace(microsecond=0)
    first = (now + timedelta(days=30)).replace(hour=10, minute=0, second=0)
    course = planned_course(db, study_code="NT-0502", regions=REGIONS, timezone="UTC",
                            first_session=first, sessions=3, now=now)
    m1 = db.exec(select(SurveyAssignment).where(SurveyAssignment.course_id == course.id,
                                                SurveyAssignment.slot == "m1")).one()
    due_before = m1.due_on
    last = db.exec(select(TreatmentSession).order_by(TreatmentSession.scheduled_at.desc())).first()
    moved = last.scheduled_at + timedelta(days=14)
    path = f"/clinic/sessions/{last.id}/edit"
    assert f'value="{last.scheduled_at:%Y-%m-%d}"' in clinician.get(path).get_data(as_text=True)
    response = clinician.post(path, data=form_data(
        clinician, path, date=f"{moved:%Y-%m-%d}", time="10:00", status="scheduled"))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(TreatmentSession, last.id).scheduled_at == moved
    # m1 is one calendar month after the last session, so it moves with it month-wise
    # (a 14-day move across February shifts it by fewer days).
    assert due_before == add_months((moved - timedelta(days=14)).date(), 1)
    assert db.get(SurveyAssignment, m1.id).due_on == add_months(moved.date(), 1)
    assert db.exec(select(ProcedureRecord)).one().session_id == last.id
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "session_edited")).one()


def test_edit_untreating_a_region_removes_its_record(clinician, db):
    course = make_course(db, study_code="NT-0503", regions=REGIONS)
    row = add_treatment_session(db, course=course, scheduled_at=datetime(2025, 5, 1, 9, tzinfo=UTC))
    record_procedure(db, treatment_session=row, region_code=REGIONS[1], injectate="saline")
    db.commit()
    path = f"/clinic/sessions/{row.id}/edit"
    response = clinician.post(path, data=form_data(clinician, path, status="scheduled"))
    assert response.status_code == 302
    db.expire_all()
    assert [r.region_code for r in db.exec(select(ProcedureRecord)).all()] == [REGIONS[0]]


@pytest.mark.parametrize(
    ("overrides", "message", "kept"),
    [({"regions-0-volume_ml": "0"}, "Volume must be 0.1 to 30 mL.", 'value="0"'),
     ({"regions-0-volume_ml": "50"}, "Volume must be 0.1 to 30 mL.", 'value="50"'),
     ({"regions-0-csa_mm2": "0"}, "Cross-sectional area must be 1 to 60 mm²", 'value="0"'),
     ({"regions-0-csa_mm2": "100"}, "Cross-sectional area must be 1 to 60 mm²", 'value="100"'),
     ({"regions-0-immediate_relief_pct": "150"}, "Relief must be 0 to 100 %", 'value="150"'),
     ({"date": "2099-01-05"}, "A session in the future cannot be marked performed",
      'value="2099-01-05"'),
     ({"date": ""}, "Enter the date.", 'value="12.5"'),
     ({"regions-0-volume_ml": "lots"}, "Not a valid float value", 'value="lots"')],
)
def test_invalid_sessions_are_refused_with_values_kept(clinician, db, overrides, message, kept):
    course = make_course(db, study_code="NT-0504", regions=REGIONS)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    response = clinician.post(path, data=form_data(clinician, path, **overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and kept in html and "Both arms reviewed" in html
    assert _count(db, TreatmentSession) == 0 and _count(db, ProcedureRecord) == 0
    assert _count(db, SurveyAssignment) == 0


def test_edit_refused_keeps_the_stored_session(clinician, db):
    course = make_course(db, study_code="NT-0505", regions=REGIONS)
    row = add_treatment_session(db, course=course, scheduled_at=datetime(2025, 5, 1, 9, tzinfo=UTC))
    db.commit()
    path = f"/clinic/sessions/{row.id}/edit"
    response = clinician.post(path, data=form_data(clinician, path, **{
        "regions-0-volume_ml": "50", "date": "2025-05-20"}))
    assert response.status_code == 400
    db.expire_all()
    assert db.get(TreatmentSession, row.id).scheduled_at == datetime(2025, 5, 1, 9, tzinfo=UTC)
    assert _count(db, ProcedureRecord) == 0


def test_missing_csrf_is_refused(clinician, db):
    course = make_course(db, study_code="NT-0506", regions=REGIONS)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    data = form_data(clinician, path, csrf_token=None)
    assert clinician.post(path, data=data).status_code == 400
    assert _count(db, TreatmentSession) == 0
