"""The admin's audit trail: plain words, study codes, clinic time, paging, search and export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.support.factories import add_weekly_sessions, make_course
from tests.support.web import STAFF_PASSWORD, login
from webapp.admin.audit_views import COLUMNS, PAGE, WORD_COLUMNS
from webapp.audit import add_event
from webapp.models import AuditEvent, Protocol, ProtocolVersion, StaffUser

OLDER_RE = re.compile(r'<a href="([^"]+)">Older events</a>')


@pytest.fixture
def admin(client, make_staff, db):
    make_staff("admin")
    login(client, "admin@clinic.test", STAFF_PASSWORD)
    add_event(db, "patient_viewed", actor_type="staff", actor_label="doc@clinic.test",
              patient_id=42, ip="10.0.0.1")
    add_event(db, "export_cohort", actor_type="staff", actor_label="=cmd|' /C calc'!A0")
    db.commit()
    return client


def _cells(html: str) -> list[str]:
    return re.findall(r"<td>(?:<span[^>]*>)?([^<]*)", html)


def test_search_filters_by_patient_and_action_and_shows_words(admin):
    cells = _cells(admin.get("/admin/audit?patient=42").get_data(as_text=True))
    assert "opened a patient&#39;s record" in cells and "exported the cohort" not in cells
    page = admin.get("/admin/audit?action=export_cohort").get_data(as_text=True)
    cells = _cells(page)
    assert "exported the cohort" in cells and "opened a patient&#39;s record" not in cells
    assert "export_cohort" not in cells  # words, not codes
    assert '<option value="export_cohort" selected>exported the cohort</option>' in page


@pytest.mark.parametrize("query", ["patient=1%20OR%201=1", "action=' OR '1'='1",
                                   "since=2026-13-45", "actor=%27;DROP TABLE audit_event;--"])
def test_hostile_filters_return_no_error_and_drop_nothing(admin, db, query):
    before = len(db.exec(select(AuditEvent)).all())
    assert admin.get(f"/admin/audit?{query}").status_code == 200
    assert len(db.exec(select(AuditEvent)).all()) == before


def test_export_keeps_the_raw_codes_beside_the_words_neutralised_and_audited(admin, db):
    response = admin.get("/admin/audit.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == COLUMNS + WORD_COLUMNS
    by_action = {row[COLUMNS.index("action")]: dict(zip(rows[0], row, strict=True))
                 for row in rows[1:]}
    assert by_action["export_cohort"]["what"] == "exported the cohort"
    assert by_action["export_cohort"]["actor_label"] == "'=cmd|' /C calc'!A0"
    assert by_action["patient_viewed"]["what"] == "opened a patient's record"
    assert by_action["patient_viewed"]["at"].endswith("+00:00")  # UTC, as stored
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "audit_exported")).one()


def test_non_admins_cannot_read_the_audit_trail(app, make_staff):
    make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    assert browser.get("/admin/audit").status_code == 403
    assert browser.get("/admin/audit.csv").status_code == 403


def _many_events(db, count: int) -> set[int]:
    for i in range(count):
        add_event(db, "sign_in", actor_type="staff", actor_label=f"u{i}@clinic.test")
    db.commit()
    return set(db.exec(select(AuditEvent.id)).all())


def test_older_pages_follow_one_another_without_gaps(admin, db):
    """With more than a page of events, "Older events" leads on page after page (was a 500)."""
    expected = _many_events(db, 2 * PAGE + 50)
    seen: list[int] = []
    path, pages = "/admin/audit", 0
    while path:
        response = admin.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'data-event="(\d+)"', html)]
        older = OLDER_RE.search(html)
        path = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 3
    assert seen == sorted(seen, reverse=True) and set(seen) == expected  # newest first, once


@pytest.mark.parametrize("extra", ["before=999999", "endpoint=x", "_scheme=javascript",
                                   "_external=1", "before=1&before=2", "_anchor=x"])
def test_unexpected_query_parameters_never_reach_the_links(admin, db, extra):
    _many_events(db, PAGE + 5)
    response = admin.get(f"/admin/audit?action=sign_in&{extra}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for link in re.findall(r'href="(/admin/audit[^"]*)"', html):
        assert "endpoint" not in link and "_scheme" not in link and "_external" not in link


ZONES = [
    ("UTC", "2026-07-01 12:00:00 UTC"),
    ("Europe/London", "2026-07-01 13:00:00 BST"),
    ("Pacific/Auckland", "2026-07-02 00:00:00 NZST"),
]


@pytest.fixture
def clinic_zone():
    return "UTC"


@pytest.fixture
def app_config(app_config, clinic_zone):
    return {**app_config, "CLINIC_TIMEZONE": clinic_zone}


def _event_at(db, when: datetime, action: str = "sign_in") -> AuditEvent:
    event = add_event(db, action, actor_type="staff", actor_label="doc@clinic.test")
    event.at = when
    db.commit()
    return event


@pytest.mark.parametrize(("clinic_zone", "shown"), ZONES)
def test_times_are_shown_in_the_clinic_zone(admin, db, clinic_zone, shown):
    _event_at(db, datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    html = admin.get("/admin/audit?actor=doc@clinic.test").get_data(as_text=True)
    assert shown in _cells(html)
    assert f"Times are the clinic's ({clinic_zone})" in html


@pytest.mark.parametrize(("clinic_zone", "since", "until", "found"), [
    ("UTC", "2026-07-02", "", False),
    ("Pacific/Auckland", "2026-07-02", "", True),  # 2 July already, in the clinic
    ("Pacific/Auckland", "", "2026-07-01", False),
    ("UTC", "", "2026-07-01", True),
])
def test_date_filters_are_days_in_the_clinic_zone(admin, db, clinic_zone, since, until,
                                                    found):
    _event_at(db, datetime(2026, 7, 1, 12, 30, tzinfo=UTC), action="session_recorded")
    html = admin.get(f"/admin/audit?action=session_recorded&since={since}&until={until}"
                     ).get_data(as_text=True)
    assert ("recorded a treatment session" in _cells(html)) is found


def test_records_are_named_by_what_they_are(admin, db):
    course = make_course(db, study_code="NT-0042")
    (session,) = add_weekly_sessions(db, course, datetime(2026, 3, 12, 10, 0, tzinfo=UTC), 1)
    version = db.get(ProtocolVersion, course.protocol_version_id)
    protocol = db.get(Protocol, version.protocol_id)
    staff = db.exec(select(StaffUser)).first()
    pid = course.patient_id
    add_event(db, "session_recorded", actor_type="staff", actor_label="doc@clinic.test",
              record_type="treatment_session", record_id=session.id, patient_id=pid)
    add_event(db, "course_protocol_changed", actor_type="staff", actor_label="c@clinic.test",
              record_type="protocol_version", record_id=version.id, patient_id=pid)
    add_event(db, "user_deactivated", actor_type="staff", actor_label="admin@clinic.test",
              record_type="staff_user", record_id=staff.id)
    add_event(db, "survey_completed", actor_type="patient", actor_id=pid,
              record_type="survey_assignment", record_id=999_999, patient_id=pid)
    db.commit()
    cells = _cells(admin.get("/admin/audit").get_data(as_text=True))
    assert "a session on 12 March 2026" in cells
    assert f"protocol &#34;{protocol.name}&#34; version {version.version}" in cells
    assert f"staff user {staff.email}" in cells
    assert "follow-up #999999" in cells  # gone: named by type and number
    assert "patient NT-0042" in cells  # the patient as the actor, by study code
    assert cells.count("NT-0042") >= 3  # the patient column, by study code
    cells = _cells(admin.get("/admin/audit?patient=nt-0042").get_data(as_text=True))
    assert "recorded a treatment session" in cells and "deactivated a staff user" not in cells


def test_a_patient_filter_naming_nobody_matches_nothing(admin):
    html = admin.get("/admin/audit?patient=NO-SUCH-CODE").get_data(as_text=True)
    assert "No events match." in html
