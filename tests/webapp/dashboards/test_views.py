"""Timepoint names, and the safety list with acknowledgement, on both databases (the cohort
page: test_cohort_page.py; its queries: test_cohort_queries.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.trajectory import MEDIAN, ULNAR
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.care.timelines import CourseInfo
from webapp.models import AuditEvent, SafetyFlag


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


@pytest.mark.parametrize(("slot", "label", "name"),
                         [("pre-session:41", "Check before each session", "Before session 3"),
                          ("after-session:40", "Check after each session", "After session 2"),
                          ("weekly:2", "Weekly", "Weekly check 2"),
                          ("m1", "1 month after", "1 month after"),
                          ("custom:2", "Custom", "Custom (2)")])
def test_timepoint_names(slot, label, name):
    info = CourseInfo(1, ZoneInfo("UTC"), None, None, (), {39: 1, 40: 2, 41: 3},
                      frozenset({"pre-session", "after-session"}))
    assert info.timepoint_name(slot, label) == name


def _flag(db, patient_id, severity, detail, raised):
    db.add(SafetyFlag(patient_id=patient_id, kind="adverse_event", severity=severity,
                      rule_id="r", detail=detail, raised_at=raised))


def test_safety_list_serious_first_and_acknowledge(clinician, db):
    course = make_course(db, study_code="NT-0700", regions=(MEDIAN, ULNAR), synthetic=True)
    _flag(db, course.patient_id, "watch", "later watch", datetime(2026, 2, 2, tzinfo=UTC))
    _flag(db, course.patient_id, "serious", "older serious", datetime(2026, 2, 1, tzinfo=UTC))
    db.commit()
    html = clinician.get("/clinic/safety").get_data(as_text=True)
    open_part = html.split('id="open-flags"')[1].split("</table>")[0]
    assert open_part.index("older serious") < open_part.index("later watch")
    assert "NT-0700" in open_part and "synthetic" in open_part
    flag = db.exec(select(SafetyFlag).where(SafetyFlag.severity == "serious")).one()
    path = f"/clinic/safety/{flag.id}/acknowledge"
    token = csrf_token(clinician, "/clinic/safety")
    refused = clinician.post(path, data={"csrf_token": token, "note": "  "})
    assert refused.status_code == 400 and "Write what was done" in refused.get_data(as_text=True)
    assert clinician.post(path, data={"note": "Called, seen today"}).status_code == 400  # CSRF
    db.expire_all()
    assert db.get(SafetyFlag, flag.id).acknowledged_at is None
    done = clinician.post(path, data={"csrf_token": token, "note": "Called, seen today"})
    assert done.status_code == 302
    db.expire_all()
    stored = db.get(SafetyFlag, flag.id)
    assert stored.acknowledged_at is not None and stored.ack_note == "Called, seen today"
    audit = db.exec(select(AuditEvent).where(
        AuditEvent.action == "safety_flag_acknowledged")).one()
    assert (audit.record_id, audit.patient_id) == (flag.id, course.patient_id)
    html = clinician.get("/clinic/safety").get_data(as_text=True)
    open_part, done_part = html.split('id="done-flags"')
    assert "older serious" not in open_part and "Called, seen today" in done_part


def test_acknowledging_an_unknown_flag_is_404(clinician):
    token = csrf_token(clinician, "/clinic/safety")
    response = clinician.post("/clinic/safety/999/acknowledge",
                              data={"csrf_token": token, "note": "x"})
    assert response.status_code == 404
