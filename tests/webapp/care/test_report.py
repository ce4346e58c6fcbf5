"""The printable one-page report for the referring doctor: its tables, static SVG charts, no
script, audited like an export, and refused to everyone but clinicians."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.pages import scripts_of
from tests.support.trajectory import MEDIAN, ULNAR, build_patient
from tests.support.web import STAFF_PASSWORD, login
from webapp.care.trajectory import region_label
from webapp.models import AuditEvent, Patient, TreatmentSession


@pytest.fixture
def clinician(signed_in):
    return signed_in("clinician")


def _audits(db, action="patient_report_viewed"):
    db.expire_all()
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def _section(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"')[1].split("</table>")[0]


def _report(clinician, db, synthetic=False):
    course = build_patient(db, synthetic=synthetic)
    first = db.exec(select(TreatmentSession).where(TreatmentSession.course_id == course.id)
                    .order_by(TreatmentSession.scheduled_at)).first()
    first.notes = "Numbness <2 h> after the injection"
    db.add(first)
    db.commit()
    response = clinician.get(f"/clinic/patients/{course.patient_id}/report")
    return course, response, response.get_data(as_text=True)


def test_report_has_regions_outcomes_sessions_and_static_charts(clinician, db):
    course, response, html = _report(clinician, db, synthetic=True)
    assert response.status_code == 200
    assert "Treatment report · NT-0100" in html and "synthetic data" in html
    outcomes = _section(html, "report-outcomes")
    rows = re.findall(r'<th scope="row"><span class="region-number">(\d)</span> ([^<]+)',
                      outcomes)
    assert [(n, label.strip()) for n, label in rows] == [("1", region_label(MEDIAN)),
                                                         ("2", region_label(ULNAR))]
    median = outcomes.split(region_label(ULNAR))[0]
    # pain 8 -> 3 (substantial since session 3), paresthesia 5 -> 2; CSA 14 -> 10 mm²
    assert "8 → 3" in median and "−5 (−62%)" in median and "5 → 2" in median
    assert "3 sessions · CSA 14 → 10 mm² (cut-off 10)" in median
    assert re.search(r'substantial</td><td>3</td>', median)
    ulnar = outcomes.split(region_label(ULNAR))[1]
    assert "1 session" in ulnar and "6 → 5" in ulnar and "minimal" in ulnar
    assert "3 → 7" in _section(html, "report-overall")  # function (PSFS)
    sessions = _section(html, "report-sessions")
    assert re.findall(r"<tr><td>(\d)</td><td>([^<]+)</td>", sessions) == [
        ("1", "12 Jan 2026"), ("2", "19 Jan 2026"), ("3", "26 Jan 2026")]
    assert "<td>1, 2</td>" in sessions and "<td>1</td><td>D5W 5%</td>" in sessions
    assert "D5W 5%, saline" in sessions and "7 mL" in sessions  # session 1: 4 + 3 mL
    assert "Numbness &lt;2 h&gt; after the injection" in sessions
    # the charts: each region's symptoms, and function; CSA is in the table instead
    assert html.count('<figure class="report-panel">') == 3
    assert html.count("<svg") == 3


def test_report_needs_no_script_nor_inline_style_and_is_audited(clinician, db):
    course, response, html = _report(clinician, db)
    assert scripts_of(html) == []
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<[^>]+\s(on[a-z]+|style)=", html)
    assert "report.css" in html
    events = _audits(db)
    assert [(e.patient_id, e.record_type, e.record_id, e.actor_type) for e in events] == [
        (course.patient_id, "patient", course.patient_id, "staff")]


@pytest.mark.parametrize(("role", "status"), [("coordinator", 403), ("admin", 403),
                                              (None, 302)])
def test_report_is_refused_to_other_roles_and_not_audited(client, make_staff, db, role, status):
    course = build_patient(db)
    if role:
        make_staff(role)
        login(client, f"{role}@clinic.test", STAFF_PASSWORD)
    response = client.get(f"/clinic/patients/{course.patient_id}/report")
    assert response.status_code == status
    if role is None:
        assert "/login" in response.headers["Location"]
    assert _audits(db) == []


@pytest.mark.parametrize("erase", [False, True])
def test_report_of_an_unknown_or_erased_patient_is_404(clinician, db, erase):
    course = make_course(db, study_code="NT-0300")
    patient_id = course.patient_id if erase else 9999
    if erase:
        patient = db.get(Patient, course.patient_id)
        patient.erased_at = datetime(2026, 1, 1, tzinfo=UTC)
        db.commit()
    assert clinician.get(f"/clinic/patients/{patient_id}/report").status_code == 404
    assert _audits(db) == []


def test_report_of_a_patient_without_answers_or_sessions(clinician, db):
    course = make_course(db, study_code="NT-0400")
    html = clinician.get(f"/clinic/patients/{course.patient_id}/report").get_data(as_text=True)
    assert "No answers yet." in html and "No sessions yet." in html
    assert "no session performed yet" in html and "<svg" not in html
