"""The follow-up worklist: categories, completion rates, filters, send again, access."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.followup.worklist import classify, completion_rates, worklist_rows
from webapp.models import (
    AuditEvent,
    ContactLog,
    Reminder,
    SurveyAssignment,
    utcnow,
)

WORKLIST = "/coordinate/worklist"


@pytest.fixture
def coord(client, make_staff):
    make_staff("coordinator")
    login(client, "coordinator@clinic.test", STAFF_PASSWORD)
    return client


def _assignment(db, course, key, status, opens, closes, slot=None) -> SurveyAssignment:
    row = SurveyAssignment(patient_id=course.patient_id, course_id=course.id,
                           slot=slot or f"{key}-{status}-{opens:%Y%m%d%H%M%S}",
                           timepoint_key=key, label=f"Check {key}", due_on=closes.date(),
                           opens_at=opens, closes_at=closes, instruments=["nt-pain"],
                           regions=[], status=status)
    db.add(row)
    db.flush()
    return row


def _reminder(db, a, status, error=None, at=None):
    at = at or a.opens_at
    db.add(Reminder(slot_key=f"test/{a.id}/{status}/{at:%H%M%S%f}", assignment_id=a.id,
                    patient_id=a.patient_id, channel="email", send_at=at, next_attempt_at=at,
                    status=status, sent_at=at if status == "sent" else None, last_error=error,
                    attempts=1))


def build_case(db, now):
    """Hand-built follow-ups around `now`; returns {name: assignment}."""
    course = make_course(db, study_code="NT-0007", first_name="Robin", timezone="UTC")
    day = timedelta(days=1)
    rows = {
        "due": _assignment(db, course, "m1", "open", now - day, now + 5 * day),
        "overdue": _assignment(db, course, "m1", "pending", now - 3 * day, now + day),
        "started": _assignment(db, course, "m1", "in_progress", now - 3 * day, now + day),
        "missed": _assignment(db, course, "m1", "missed", now - 10 * day, now - 2 * day),
        "closed_open": _assignment(db, course, "m1", "open", now - 9 * day, now - day),
        "failed": _assignment(db, course, "m3", "open", now - 2 * day, now + 6 * day),
        "done_m1": _assignment(db, course, "m1", "completed", now - 20 * day, now - 9 * day),
        "done_m1b": _assignment(db, course, "m1", "completed", now - 5 * day, now + 5 * day),
        "done_m3": _assignment(db, course, "m3", "completed", now - 40 * day, now - 30 * day),
        "cancelled": _assignment(db, course, "m3", "cancelled", now - 2 * day, now + 2 * day),
        "future": _assignment(db, course, "m6", "pending", now + 9 * day, now + 20 * day),
    }
    _reminder(db, rows["failed"], "failed", error="mailbox full")
    _reminder(db, rows["due"], "sent", at=now - day)
    _reminder(db, rows["due"], "sent", at=now - timedelta(hours=2))
    db.commit()
    return rows


def test_rows_fall_in_the_right_category(db):
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    rows = build_case(db, now)
    got = {r.assignment.id: r.category for r in worklist_rows(db, now)}
    names = {a.id: name for name, a in rows.items()}
    assert {names[i]: c for i, c in got.items()} == {
        "due": "due", "started": "due", "overdue": "overdue", "missed": "missed",
        "closed_open": "missed", "failed": "missed"}
    due = next(r for r in worklist_rows(db, now, category="due")
               if r.assignment.id == rows["due"].id)
    assert due.last_reminder.sent_at == now - timedelta(hours=2)  # the latest one
    assert [r.category for r in worklist_rows(db, now, timepoint="m3")] == ["missed"]


def test_completion_rate_per_timepoint_on_a_hand_built_case(db):
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    build_case(db, now)
    rates = {r.timepoint_key: r for r in completion_rates(db, now)}
    # m1: completed 2; missed 1; open and closed 1 (open, not yet closed ones do not count).
    assert (rates["m1"].completed, rates["m1"].missed, rates["m1"].closed_open) == (2, 1, 1)
    assert rates["m1"].rate == pytest.approx(0.5)
    assert rates["m3"].rate == pytest.approx(1.0)  # cancelled and still-open ones excluded
    assert rates["m6"].rate is None


AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "opens", "closes", "failed", "expected"), [
    ("open", -1, 5, False, "due"),
    ("pending", -1, 2, False, "overdue"),  # closes exactly two days from now
    ("pending", -1, 3, False, "due"),
    ("in_progress", -1, 1, False, "due"),  # started: not overdue
    ("open", -1, 5, True, "missed"),
    ("missed", -9, -2, False, "missed"),
    ("pending", -9, 0, False, "missed"),  # closed at this very instant, unanswered
    ("completed", -3, 3, False, None),
    ("cancelled", -3, 3, False, None),
    ("pending", 1, 5, False, None),  # not open yet
])
def test_classify(status, opens, closes, failed, expected):
    a = SurveyAssignment(patient_id=1, course_id=1, slot="s", timepoint_key="m1", label="x",
                         due_on=date(2026, 3, 10), opens_at=AT + timedelta(days=opens),
                         closes_at=AT + timedelta(days=closes), instruments=[], regions=[],
                         status=status)
    assert classify(a, AT, failed) == expected


def test_worklist_page_shows_rows_rates_and_local_close(coord, db):
    rows = build_case(db, utcnow())
    page = coord.get(WORKLIST).get_data(as_text=True)
    for name, category in (("due", "due"), ("overdue", "overdue"), ("missed", "missed"),
                           ("failed", "missed")):
        assert f'class="cat-{category}" data-assignment="{rows[name].id}"' in page
    assert f'data-assignment="{rows["done_m1"].id}"' not in page
    assert f'data-assignment="{rows["future"].id}"' not in page
    assert "NT-0007" in page and "Robin" in page and "mailbox full" in page
    last_day = (rows["due"].closes_at - timedelta(seconds=1)).strftime("%a %d %b %Y")
    assert f"end of {last_day}" in page
    assert "<strong>50%</strong>" in page and "(2 of 4)" in page


def test_filters_use_allow_lists(coord, db):
    rows = build_case(db, utcnow())
    only = coord.get(WORKLIST + "?status=overdue").get_data(as_text=True)
    assert f'data-assignment="{rows["overdue"].id}"' in only
    assert f'data-assignment="{rows["due"].id}"' not in only
    m3 = coord.get(WORKLIST + "?timepoint=m3").get_data(as_text=True)
    assert f'data-assignment="{rows["failed"].id}"' in m3
    assert f'data-assignment="{rows["missed"].id}"' not in m3
    for bad in ("?status=1%3D1", "?timepoint=m1'--", "?status=cancelled"):
        response = coord.get(WORKLIST + bad)
        assert response.status_code == 400
        assert "Unknown" in response.get_data(as_text=True)


def _resend(client, assignment):
    return client.post(f"/coordinate/assignments/{assignment.id}/resend",
                       data={"csrf_token": csrf_token(client, WORKLIST), "next": "worklist"})


def test_send_again_adds_exactly_one_reminder_and_audits(coord, db):
    rows = build_case(db, utcnow())
    before = {r.id for r in db.exec(select(Reminder)).all()}
    start = utcnow().replace(microsecond=0)
    response = _resend(coord, rows["failed"])
    assert response.status_code == 302 and response.headers["Location"].endswith(WORKLIST)
    db.expire_all()
    new = [r for r in db.exec(select(Reminder)).all() if r.id not in before]
    assert len(new) == 1
    (reminder,) = new
    assert reminder.slot_key.startswith(f"resend/{rows['failed'].id}/")
    assert (reminder.channel, reminder.status, reminder.attempts) == ("email", "pending", 0)
    assert start <= reminder.send_at == reminder.next_attempt_at <= utcnow()
    event = db.exec(select(AuditEvent)
                    .where(AuditEvent.action == "reminder_resend_requested")).one()
    assert event.record_id == reminder.id and event.patient_id == rows["failed"].patient_id
    (log,) = db.exec(select(ContactLog)).all()
    assert (log.kind, log.assignment_id) == ("resend", rows["failed"].id)


@pytest.mark.parametrize("name", ["missed", "closed_open", "done_m1", "future", "cancelled"])
def test_send_again_refuses_follow_ups_that_are_not_open(coord, db, name):
    rows = build_case(db, utcnow())
    count = len(db.exec(select(Reminder)).all())
    response = _resend(coord, rows[name])
    assert response.status_code == 400
    assert "not open now" in response.get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(Reminder)).all()) == count
    assert db.exec(select(AuditEvent)
                   .where(AuditEvent.action == "reminder_resend_requested")).all() == []


def test_worklist_contact_and_note_actions(coord, db):
    rows = build_case(db, utcnow())
    a = rows["overdue"]
    path = f"/coordinate/patients/{a.patient_id}/contacts"
    for data in ({"kind": "phone"}, {"kind": "note", "note": "Will answer tonight"}):
        data.update(assignment_id=str(a.id), next="worklist",
                    csrf_token=csrf_token(coord, WORKLIST))
        assert coord.post(path, data=data).headers["Location"].endswith(WORKLIST)
    db.expire_all()
    logs = db.exec(select(ContactLog).order_by(ContactLog.id)).all()
    assert [(c.kind, c.assignment_id, c.note) for c in logs] == [
        ("phone", a.id, None), ("note", a.id, "Will answer tonight")]
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.patient_id == a.patient_id)).all()
    assert "patient_contacted_by_phone" in actions and "contact_note_added" in actions


def test_paused_patients_are_listed_but_not_reminded(coord, db):
    rows = build_case(db, utcnow())
    from webapp.models import Patient
    patient = db.get(Patient, rows["due"].patient_id)
    patient.status = "paused"
    db.commit()
    assert f'data-assignment="{rows["due"].id}"' in coord.get(WORKLIST).get_data(as_text=True)
    response = _resend(coord, rows["due"])
    assert response.status_code == 400 and "paused" in response.get_data(as_text=True)
