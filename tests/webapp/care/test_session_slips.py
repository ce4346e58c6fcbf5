"""The session form without slips: regions as toggles, no empty session, duplicate warning, note.

Forms are submitted as a browser would submit them: every field the page renders, with its
current value (ticked boxes only), so "untouched" means exactly what the clinician saw.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import func, select

from tests.support.factories import make_course, planned_course
from tests.support.web import STAFF_PASSWORD, login
from webapp.care.records import add_treatment_session, record_procedure
from webapp.models import (
    AuditEvent,
    ProcedureRecord,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    TreatmentSession,
)

SEVEN = ("median-forearm-left", "ulnar-elbow-left", "medial-antebrachial-cutaneous-forearm-left",
         "median-carpal-tunnel-right", "common-fibular-fibular-head-left",
         "superficial-fibular-lower-leg-left", "dorsal-cutaneous-foot-dorsum-foot-right")
TWO = SEVEN[:2]
COUNTED = (TreatmentSession, ProcedureRecord, Reminder, SurveyAssignment, AuditEvent)


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit for the page's form with class session-form."""

    def __init__(self):
        super().__init__()
        self.pairs: dict[str, str] = {}
        self.inside = False
        self.select: str | None = None
        self.first_option: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = "session-form" in (a.get("class") or "")
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.pairs[a["name"]] = a.get("value") or ("y" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self.select, self.first_option = a["name"], None
        elif tag == "option" and self.select:
            self.first_option = self.first_option or a.get("value", "")
            if "selected" in a:
                self.pairs[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.pairs[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            self.pairs.setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.pairs[self.textarea] += data.removeprefix("\n")


def as_submitted(html: str, **changes) -> dict[str, str]:
    """Return the session form's fields as a browser would post them; None removes a field."""
    parser = FormFields()
    parser.feed(html)
    data = {**parser.pairs, **changes}
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def clinician(client, make_staff):
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return client


def counts(db) -> dict[str, int]:
    db.expire_all()
    return {m.__name__: db.exec(select(func.count()).select_from(m)).one() for m in COUNTED}


def region_fields(html: str) -> dict[int, str]:
    """Return {region index: the opening tag of its fields block}."""
    return {int(i): tag for tag, i in re.findall(
        r'(<div class="region-fields" id="regions-(\d+)-fields"[^>]*>)', html)}


def test_untouched_new_session_is_refused_and_nothing_changes(clinician, db):
    now = datetime.now(UTC).replace(microsecond=0)
    course = planned_course(db, study_code="NT-0800", regions=SEVEN, timezone="UTC",
                            first_session=now + timedelta(days=20), sessions=2, now=now)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    page = clinician.get(path).get_data(as_text=True)
    before, replanned = counts(db), db.get(TreatmentCourse, course.id).replanned_at
    assert before["SurveyAssignment"] > 0 and before["TreatmentSession"] == 2
    response = clinician.post(path, data=as_submitted(page))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tick at least one region treated in this session; nothing was saved." in html
    assert counts(db) == before
    assert db.get(TreatmentCourse, course.id).replanned_at == replanned


@pytest.mark.parametrize(("status", "stored"), [("scheduled", False), ("performed", False),
                                                 ("cancelled", True)])
def test_only_a_cancelled_session_may_have_no_region(clinician, db, status, stored):
    course = make_course(db, study_code="NT-0801", regions=TWO, timezone="UTC")
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    page = clinician.get(path).get_data(as_text=True)
    response = clinician.post(path, data=as_submitted(page, date="2025-06-02", status=status))
    assert response.status_code == (302 if stored else 400)
    assert counts(db)["TreatmentSession"] == (1 if stored else 0)
    assert counts(db)["ProcedureRecord"] == 0


def test_editing_away_every_region_is_refused_and_keeps_the_records(clinician, db):
    course = make_course(db, study_code="NT-0802", regions=TWO, timezone="UTC")
    row = add_treatment_session(db, course=course, scheduled_at=datetime(2025, 5, 1, 9, tzinfo=UTC),
                                performed_at=datetime(2025, 5, 1, 9, tzinfo=UTC),
                                status="performed")
    record_procedure(db, treatment_session=row, region_code=TWO[0], injectate="D5W")
    db.commit()
    path = f"/clinic/sessions/{row.id}/edit"
    page = clinician.get(path).get_data(as_text=True)
    before = counts(db)
    response = clinician.post(path, data=as_submitted(page, **{"regions-0-treated": None}))
    assert response.status_code == 400
    assert counts(db) == before
    assert db.exec(select(ProcedureRecord)).one().region_code == TWO[0]


def test_a_treated_region_is_stored_and_an_untreated_one_is_not(clinician, db):
    course = make_course(db, study_code="NT-0803", regions=TWO, timezone="UTC")
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    page = clinician.get(path).get_data(as_text=True)
    # Values typed into a region that is then left unticked (even invalid ones) are ignored.
    data = as_submitted(page, date="2025-06-02", time="10:30", status="performed",
                        notes="Tolerated well", **{
                            "regions-0-treated": "y", "regions-0-injectate": "D15W",
                            "regions-0-volume_ml": "3.5", "regions-0-needle": "25G",
                            "regions-1-volume_ml": "lots", "regions-1-needle": "22G"})
    response = clinician.post(path, data=data)
    assert response.status_code == 302
    db.expire_all()
    record = db.exec(select(ProcedureRecord)).one()
    assert (record.region_code, record.injectate, record.volume_ml, record.needle) == (
        TWO[0], "D15W", 3.5, "25G")
    assert db.exec(select(TreatmentSession)).one().notes == "Tolerated well"


@pytest.mark.parametrize("overrides", [{"regions-1-volume_ml": "50"},
                                       {"regions-1-csa_mm2": "0"}])
def test_a_treated_region_is_still_checked(clinician, db, overrides):
    course = make_course(db, study_code="NT-0804", regions=TWO, timezone="UTC")
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    page = clinician.get(path).get_data(as_text=True)
    data = as_submitted(page, date="2025-06-02", status="performed",
                        **{"regions-1-treated": "y", **overrides})
    response = clinician.post(path, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error" id="regions-1-' in html
    assert 'hidden' not in region_fields(html)[1]  # the fields with the error are open
    assert counts(db)["TreatmentSession"] == 0


def test_only_treated_regions_are_expanded(clinician, db):
    course = make_course(db, study_code="NT-0805", regions=SEVEN, timezone="UTC")
    previous = add_treatment_session(db, course=course,
                                     scheduled_at=datetime(2025, 5, 1, 9, tzinfo=UTC))
    for code in (SEVEN[1], SEVEN[4]):
        record_procedure(db, treatment_session=previous, region_code=code, injectate="D5W")
    db.commit()
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    blank = region_fields(clinician.get(path).get_data(as_text=True))
    assert len(blank) == 7 and all(" hidden" in tag for tag in blank.values())
    copied = region_fields(clinician.get(f"{path}?copy=previous").get_data(as_text=True))
    assert {i for i, tag in copied.items() if " hidden" not in tag} == {1, 4}


def _existing(db, course, at: datetime, status: str = "performed") -> TreatmentSession:
    row = add_treatment_session(db, course=course, scheduled_at=at, status=status,
                                performed_at=at if status == "performed" else None)
    record_procedure(db, treatment_session=row, region_code=TWO[0], injectate="D5W")
    db.commit()
    return row


def _post_at(client, path: str, when: datetime, **changes):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data=as_submitted(
        page, date=f"{when:%Y-%m-%d}", time=f"{when:%H:%M}", status="performed",
        **{"regions-0-treated": "y", **changes}))


EARLIER = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("gap", "status", "warned"), [
    (timedelta(hours=6), "performed", True), (timedelta(hours=12), "performed", True),
    (timedelta(hours=-11, minutes=-59), "scheduled", True), (timedelta(0), "performed", True),
    (timedelta(hours=12, minutes=1), "performed", False),
    (timedelta(hours=2), "cancelled", False)])
def test_a_second_session_within_12_hours_is_warned(clinician, db, gap, status, warned):
    course = make_course(db, study_code="NT-0806", regions=TWO, timezone="UTC")
    _existing(db, course, EARLIER, status)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    before = counts(db)
    response = _post_at(clinician, path, EARLIER + gap)
    html = response.get_data(as_text=True)
    assert response.status_code == (409 if warned else 302)
    assert ('id="duplicate-warning"' in html) is warned
    if warned:
        assert "02 Jun 2025 09:00" in html and 'name="confirm_duplicate"' in html
        assert counts(db) == {**before, "AuditEvent": before["AuditEvent"] + 1}  # the GET
    else:
        assert counts(db)["TreatmentSession"] == 2


def test_confirming_the_duplicate_stores_it_and_audits_the_confirmation(clinician, db):
    course = make_course(db, study_code="NT-0807", regions=TWO, timezone="Europe/London")
    _existing(db, course, EARLIER)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    warned = _post_at(clinician, path, datetime(2025, 6, 2, 15, 0)).get_data(as_text=True)
    key = re.search(r'name="confirm_duplicate" id="confirm_duplicate" value="([^"]+)"',
                    warned).group(1)
    assert key == "2025-06-02T14:00Z"  # 15:00 in London in June is 14:00 UTC
    stale = _post_at(clinician, path, datetime(2025, 6, 2, 16, 0), confirm_duplicate=key)
    assert stale.status_code == 409  # a confirmation given for another time does not count
    assert counts(db)["TreatmentSession"] == 1
    done = _post_at(clinician, path, datetime(2025, 6, 2, 15, 0), confirm_duplicate=key)
    assert done.status_code == 302
    assert counts(db)["TreatmentSession"] == 2
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "session_recorded")).one()
    assert event.detail == {"status": "performed", "duplicate_confirmed": True}


def test_editing_a_session_does_not_warn_about_itself(clinician, db):
    course = make_course(db, study_code="NT-0808", regions=TWO, timezone="UTC")
    row = _existing(db, course, EARLIER)
    path = f"/clinic/sessions/{row.id}/edit"
    response = _post_at(clinician, path, EARLIER + timedelta(hours=1), notes="Moved an hour")
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(TreatmentSession, row.id)
    assert (stored.performed_at, stored.notes) == (EARLIER + timedelta(hours=1), "Moved an hour")
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "session_edited")).one()
    assert event.detail == {"status": "performed"}


@pytest.mark.parametrize("hostile", ["x" * 500, "2025-06-02T09:00Z' OR 1=1 --", "\u0000"])
def test_hostile_confirmations_never_store_or_crash(clinician, db, hostile):
    course = make_course(db, study_code="NT-0809", regions=TWO, timezone="UTC")
    _existing(db, course, EARLIER)
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    response = _post_at(clinician, path, EARLIER, confirm_duplicate=hostile)
    assert response.status_code in (400, 409)
    assert counts(db)["TreatmentSession"] == 1


def test_the_note_reaches_the_patient_timeline(clinician, db):
    course = make_course(db, study_code="NT-0810", regions=TWO, timezone="UTC")
    path = f"/clinic/patients/{course.patient_id}/sessions/new"
    response = _post_at(clinician, path, EARLIER, notes="Flare <b>settled</b> by day 3")
    assert response.status_code == 302
    page = clinician.get(f"/clinic/patients/{course.patient_id}").get_data(as_text=True)
    assert "Flare &lt;b&gt;settled&lt;/b&gt; by day 3" in page
