"""Cohort rows and page, and the safety list with acknowledgement, on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.pages import figures_of, scripts_of
from tests.support.trajectory import LIBRARY, MEDIAN, ULNAR, build_patient
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.care.timelines import CourseInfo
from webapp.dashboards.cohort import cohort_rows
from webapp.db import get_engine
from webapp.models import AuditEvent, SafetyFlag

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


def test_cohort_rows_for_a_hand_built_patient(db):
    build_patient(db)
    rows = cohort_rows(db, "pain", now=NOW, library=LIBRARY)
    median = sorted((r.week * 7, r.timepoint, r.value, r.completed) for r in rows
                    if r.nerve == "median")
    # due by NOW: baseline, pre-session 2 and 3 (missed), m1; later ones are not due yet
    assert median == [(0, "Baseline (before the first session)", 8, True),
                      (7, "Before session 2", 6, True), (14, "Before session 3", None, False),
                      (44, "1 month after the last session", 3, True)]
    assert {r.baseline for r in rows if r.nerve == "ulnar"} == {6}
    assert {r.nerve_label for r in rows} == {"Median nerve", "Ulnar nerve"}
    function = [r for r in rows if r.outcome == "function"]
    assert function == []  # only the requested outcome
    psfs = cohort_rows(db, "function", now=NOW, library=LIBRARY)
    assert {r.nerve for r in psfs} == {"several"}  # PSFS is per patient, two nerves here


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


def _statements(app, func) -> int:
    count = 0

    def before(*_args):
        nonlocal count
        count += 1

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        func()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_cohort_rows_use_a_fixed_number_of_queries(app, db):
    build_patient(db, study_code="NT-1")
    one = _statements(app, lambda: cohort_rows(db, "pain", now=NOW, library=LIBRARY))
    for n in range(2, 6):
        build_patient(db, study_code=f"NT-{n}")
    five = _statements(app, lambda: cohort_rows(db, "pain", now=NOW, library=LIBRARY))
    assert one == five <= 6
    assert len({r.patient_key for r in cohort_rows(db, "pain", now=NOW, library=LIBRARY)}) == 5


@pytest.mark.parametrize("outcome", ["pain", "paresthesia", "function"])
def test_cohort_page_figures_and_tables(clinician, db, outcome):
    build_patient(db, study_code="NT-1", synthetic=True)
    build_patient(db, study_code="NT-2")
    response = clinician.get(f"/clinic/cohort?outcome={outcome}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figures = figures_of(html)
    assert set(figures) == {"change", "responders", "completion"}
    assert len(figures["responders"]["data"]) == 2 and len(figures["completion"]["data"]) == 1
    completion = html.split('id="table-completion"')[1].split("</table>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", completion)
    assert cells[:4] == ["Baseline (before the first session)", "2", "2", "100%"]
    assert "1 synthetic" in html
    assert all(s.get("src") or s.get("type") == "application/json" for s in scripts_of(html))


def test_cohort_change_table_has_n_per_week(clinician, db):
    build_patient(db, study_code="NT-1")
    build_patient(db, study_code="NT-2")
    html = clinician.get("/clinic/cohort?outcome=pain").get_data(as_text=True)
    change = html.split('id="table-change"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td>", change)
    assert ("Median nerve", "6", "2", "-5") in rows  # m1 at day 44: week 6, both -5
    # two answers a week: every week is in the table, none is drawn, and the page says why
    assert "at least 3 answers" in html and "5 nerves with most patients" in html
    drawn = [t for t in figures_of(html)["change"]["data"] if t.get("showlegend") is not False]
    assert drawn == []
    assert ("Ulnar nerve", "0", "2", "0") in rows


def test_unknown_cohort_outcome_is_400(clinician):
    assert clinician.get("/clinic/cohort?outcome=mood").status_code == 400


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
