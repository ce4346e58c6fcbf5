"""The admin's audit trail search and export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from tests.support.web import STAFF_PASSWORD, login
from webapp.audit import add_event
from webapp.models import AuditEvent


@pytest.fixture
def admin(client, make_staff, db):
    make_staff("admin")
    login(client, "admin@clinic.test", STAFF_PASSWORD)
    add_event(db, "patient_viewed", actor_type="staff", actor_label="doc@clinic.test",
              patient_id=42, ip="10.0.0.1")
    add_event(db, "export_cohort", actor_type="staff", actor_label="=cmd|' /C calc'!A0")
    db.commit()
    return client


def test_search_filters_by_patient_and_action(admin):
    page = admin.get("/admin/audit?patient=42").get_data(as_text=True)
    assert "<td>patient_viewed</td>" in page and "<td>export_cohort</td>" not in page
    page = admin.get("/admin/audit?action=export_cohort").get_data(as_text=True)
    assert "<td>export_cohort</td>" in page and "<td>patient_viewed</td>" not in page


@pytest.mark.parametrize("query", ["patient=1%20OR%201=1", "action=' OR '1'='1",
                                   "since=2026-13-45", "actor=%27;DROP TABLE audit_event;--"])
def test_hostile_filters_return_no_error_and_drop_nothing(admin, db, query):
    before = len(db.exec(select(AuditEvent)).all())
    assert admin.get(f"/admin/audit?{query}").status_code == 200
    assert len(db.exec(select(AuditEvent)).all()) == before


def test_export_is_csv_neutralised_and_audited(admin, db):
    response = admin.get("/admin/audit.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "id"
    labels = {row[4] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in labels
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "audit_exported")).one()


def test_non_admins_cannot_read_the_audit_trail(app, make_staff):
    make_staff("clinician")
    browser = app.test_client()
    login(browser, "clinician@clinic.test", STAFF_PASSWORD)
    assert browser.get("/admin/audit").status_code == 403
    assert browser.get("/admin/audit.csv").status_code == 403
