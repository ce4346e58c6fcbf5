"""The schedule grid, per patient and for the clinic: names, dates, windows, status, reminders."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from tests.support.factories import planned_course
from tests.support.web import csrf_token
from webapp.models import (
    AuditEvent,
    Patient,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    utcnow,
)
from webapp.patients.schedule import grid_status

SCHEDULE = "/coordinate/schedule"
AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def coord(signed_in):
    return signed_in("coordinator")


@pytest.mark.parametrize(("status", "opens", "closes", "expected"), [
    ("pending", 1, 5, "planned"),
    ("pending", -1, 5, "open"),
    ("open", -1, 5, "open"),
    ("in_progress", -1, 5, "open"),
    ("pending", -9, 0, "missed"),  # closed this instant, unanswered
    ("missed", -9, -2, "missed"),
    ("completed", -3, 3, "completed"),
    ("cancelled", 1, 5, "cancelled"),
])
def test_grid_status(status, opens, closes, expected):
    a = SurveyAssignment(patient_id=1, course_id=1, slot="s", timepoint_key="m1", label="x",
                         due_on=date(2026, 3, 10), opens_at=AT + timedelta(days=opens),
                         closes_at=AT + timedelta(days=closes), instruments=[], regions=[],
                         status=status)
    assert grid_status(a, AT) == expected


def _course_under_way(db, code="NT-0001"):
    """Three weekly sessions, the first eight days ago; the baseline answered, one reminder sent."""
    now = utcnow().replace(microsecond=0)
    first = (now - timedelta(days=8)).replace(hour=10, minute=0, second=0)
    course = planned_course(db, study_code=code, timezone="UTC", now=now - timedelta(days=20),
                            first_session=first)
    rows = {a.slot: a for a in db.exec(select(SurveyAssignment)
                                       .where(SurveyAssignment.course_id == course.id))}
    rows["baseline"].status = "completed"
    reminder = db.exec(select(Reminder).where(Reminder.assignment_id == rows["baseline"].id)
                       ).first()
    reminder.status, reminder.sent_at = "sent", reminder.send_at
    db.add_all([rows["baseline"], reminder])
    db.commit()
    return course, rows


def _grid_rows(page: str) -> dict[str, list[str]]:
    """{follow-up name: its cells' text} from the first grid table."""
    table = page.split('<table class="data grid">', 1)[1].split("</table>", 1)[0]
    out = {}
    for row in re.findall(r"<tr data-assignment[^>]*>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        out[cells[0] if not cells[0].startswith("NT-") else cells[1]] = cells
    return out


def test_patient_page_grid_names_each_follow_up_with_dates_status_and_reminders(coord, db):
    course, rows = _course_under_way(db)
    page = coord.get(f"/coordinate/patients/{course.patient_id}").get_data(as_text=True)
    grid = _grid_rows(page)
    baseline = grid["Baseline (before the first session)"]
    assert baseline[3] == "completed" and baseline[4].startswith("1")
    assert grid["After session 1"][3] == "missed"  # closed unanswered
    m1 = grid["1 month after the last session"]
    assert m1[1] == rows["m1"].due_on.strftime("%a %d %b %Y")
    assert m1[3] == "planned" and m1[4].startswith("0")
    assert not any(name in grid for name in ("m1", "after-session:1", "baseline"))


def test_clinic_schedule_lists_everyone_by_name_with_counts(coord, db):
    _course_under_way(db, "NT-0001")
    _course_under_way(db, "NT-0002")
    page = coord.get(SCHEDULE + "?span=all").get_data(as_text=True)
    assert 'aria-current="page">Schedule</a>' in page
    grid = _grid_rows(page)
    assert "1 month after the last session" in grid
    counts = re.search(r'<tr data-timepoint="baseline">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                   counts, re.S)]
    # Baseline: 0 planned, 0 open, 2 completed, 0 missed, 0 cancelled, 2 reminders sent
    assert cells == ["Baseline (before the first session)", "0", "0", "2", "0", "0", "2"]


def test_clinic_schedule_filters_are_allow_listed(coord, db):
    course, rows = _course_under_way(db)
    done = coord.get(SCHEDULE + "?status=completed&span=all").get_data(as_text=True)
    assert re.findall(r'data-assignment="(\d+)"', done) == [str(rows["baseline"].id)]
    m1 = coord.get(SCHEDULE + "?timepoint=m1&span=all").get_data(as_text=True)
    assert re.findall(r'data-assignment="(\d+)"', m1) == [str(rows["m1"].id)]
    for bad in ("?status=pending", "?span=forever", "?timepoint=m1'--", "?status=%00"):
        response = coord.get(SCHEDULE + bad)
        assert response.status_code == 400, bad


def test_tags_and_index_region_are_set_from_the_patient_page(coord, db):
    course = planned_course(db, regions=("median-carpal-tunnel-right", "ulnar-elbow-left"))
    path = f"/coordinate/patients/{course.patient_id}"
    data = {"email": "sam@example.test", "phone": "", "timezone": "Europe/London",
            "language": "en", "preferred_channel": "email", "tags": "diabetes, Raynaud",
            "csrf_token": csrf_token(coord, path)}
    assert coord.post(path + "/contact-details", data=data).status_code == 302
    bad = coord.post(path + "/index-region", data={"csrf_token": csrf_token(coord, path),
                                                   "index_region": "tibial-tarsal-tunnel-left"})
    assert bad.status_code == 400
    good = coord.post(path + "/index-region", data={"csrf_token": csrf_token(coord, path),
                                                    "index_region": "ulnar-elbow-left"})
    assert good.status_code == 302
    db.expire_all()
    assert db.get(Patient, course.patient_id).tags == ["diabetes", "Raynaud"]
    assert db.get(TreatmentCourse, course.id).index_region_code == "ulnar-elbow-left"
    actions = db.exec(select(AuditEvent.action, AuditEvent.detail)
                      .where(AuditEvent.patient_id == course.patient_id)).all()
    assert ("patient_contact_updated", {"fields": ["tags"]}) in actions
    assert [a for a, _d in actions].count("course_index_region_changed") == 1
    page = coord.get(path).get_data(as_text=True)
    assert 'value="diabetes, Raynaud"' in page
    assert re.search(r'<option selected value="ulnar-elbow-left">Ulnar', page)
