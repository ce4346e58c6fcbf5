"""Safety triage with many flags: paging, allow-listed filters, plain labels, zones, last visit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD, csrf_token, login
from webapp.models import AuditEvent, SafetyFlag

RAISED = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
FLAG_ID_RE = re.compile(r'<tr class="(?:serious|watch)" id="flag-(\d+)">')
RIGHT_LEG = "superficial-fibular-lower-leg-right"


@pytest.fixture
def app_config(app_config):
    """The clinic works on New York time (the default would be UTC)."""
    return {**app_config, "CLINIC_TIMEZONE": "America/New_York"}


@pytest.fixture
def staff(client, make_staff):
    user = make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return user


@pytest.fixture
def clinician(client, staff):
    return client


def add_flag(db, patient_id, *, severity="watch", kind="adverse_event", detail="Pain flare.",
             raised=RAISED) -> SafetyFlag:
    flag = SafetyFlag(patient_id=patient_id, kind=kind, severity=severity, rule_id="r",
                      detail=detail, raised_at=raised)
    db.add(flag)
    return flag


def many_flags(db, count=120) -> list[SafetyFlag]:
    """`count` open flags over three patients; many share a time, so only the id breaks ties."""
    patients = [make_course(db, study_code=f"NT-09{n:02d}", email=f"p{n}@example.test")
                .patient_id for n in range(3)]
    flags = [add_flag(db, patients[i % 3], severity="serious" if i % 4 == 0 else "watch",
                      kind="worsening" if i % 2 else "adverse_event",
                      raised=RAISED - timedelta(hours=i // 10)) for i in range(count)]
    db.commit()
    return flags


def expected_order(flags) -> list[int]:
    return [f.id for f in sorted(flags, key=lambda f: (f.severity != "serious",
                                                       -f.raised_at.timestamp(), -f.id))]


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in FLAG_ID_RE.findall(html.split('id="open-flags"')[1]
                                                .split("</table>")[0])]


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


class VisibleText(HTMLParser):
    """The text a person reads (no attributes, no option values)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def test_120_flags_page_by_25_following_the_links(clinician, db):
    flags = many_flags(db)
    path, pages, seen = "/clinic/safety", [], []
    while path:
        response = clinician.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        pages.append(len(shown_ids(html)))
        seen += shown_ids(html)
        assert (link(html, "prev") is None) is (len(pages) == 1)
        path = link(html, "next")
    assert pages == [25, 25, 25, 25, 20]
    assert seen == expected_order(flags)  # every flag once, in a stable order
    assert "Page 2 of 5: flags 26 to 50 of 120" in clinician.get(
        "/clinic/safety?page=2").get_data(as_text=True)


@pytest.mark.parametrize(("page", "first"), [("1", 0), ("3", 50), ("5", 100), ("6", 100),
                                             ("999999999", 100)])
def test_pages_past_the_end_show_the_last_page(clinician, db, page, first):
    order = expected_order(many_flags(db))
    html = clinician.get(f"/clinic/safety?page={page}").get_data(as_text=True)
    assert shown_ids(html) == order[first:first + 25]


@pytest.mark.parametrize(("query", "wanted"), [
    ("severity=serious", lambda f: f.severity == "serious"),
    ("kind=worsening", lambda f: f.kind == "worsening"),
    ("severity=watch&kind=adverse_event",
     lambda f: f.severity == "watch" and f.kind == "adverse_event"),
    ("severity=&kind=&patient=&new=", lambda f: True),
    ("order=id;drop table safety_flag", lambda f: True),  # an unknown argument is ignored
])
def test_filters(clinician, db, query, wanted):
    flags = many_flags(db, 60)
    path, seen = f"/clinic/safety?{query}", []
    while path:
        html = clinician.get(path).get_data(as_text=True)
        seen += shown_ids(html)
        path = link(html, "next")
    assert seen == expected_order([f for f in flags if wanted(f)])


def test_patient_filter_lists_flagged_patients_and_keeps_filters_across_pages(clinician, db):
    flags = many_flags(db, 120)
    pid = flags[1].patient_id
    html = clinician.get("/clinic/safety").get_data(as_text=True)
    assert re.findall(r'<option value="(\d+)">NT-09\d\d</option>', html) == [
        str(f.patient_id) for f in flags[:3]]
    html = clinician.get(f"/clinic/safety?patient={pid}&severity=watch").get_data(as_text=True)
    mine = [f for f in flags if f.patient_id == pid and f.severity == "watch"]
    assert shown_ids(html) == expected_order(mine)[:25]
    assert f"patient={pid}" in link(html, "next") and "severity=watch" in link(html, "next")
    assert f"{len(mine)} match the filters, of 120 open" in html


@pytest.mark.parametrize(("query", "message"), [
    ("severity=serious' OR 1=1 --", "Choose a severity from the list."),
    ("severity=SERIOUS", "Choose a severity from the list."),
    ("kind=<script>alert(1)</script>", "Choose a kind of flag from the list."),
    ("kind=adverse_event&kind=x", None),  # the first value counts
    ("patient=-1", "Choose a patient from the list."),
    ("patient=0", "Choose a patient from the list."),
    ("patient=abc", "Choose a patient from the list."),
    ("patient=" + "9" * 40, "Choose a patient from the list."),
    ("new=yes", "is either ticked or not"),
    ("page=0", "The page must be a whole number from 1."),
    ("page=-2", "The page must be a whole number from 1."),
    ("page=1e3", "The page must be a whole number from 1."),
    ("page=" + "9" * 40, "The page must be a whole number from 1."),
    ("page=%00", "could not be understood"),  # a NUL byte is refused before any view runs
])
def test_hostile_filters_are_refused_with_a_message(clinician, db, query, message):
    many_flags(db, 5)
    response = clinician.get(f"/clinic/safety?{query}")
    html = response.get_data(as_text=True)
    if message is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400 and message in html
        assert "<script>alert" not in html and "Traceback" not in html


def test_labels_are_plain_words_never_codes(clinician, db):
    course = make_course(db, study_code="NT-0950", regions=(RIGHT_LEG,))
    add_flag(db, course.patient_id, kind="worsening",
             detail=f"pain 7 (baseline 4, previous 5) in {RIGHT_LEG}")
    add_flag(db, course.patient_id, kind="adverse_event", severity="serious",
             detail="New weakness or numbness lasting over 24 hours after the session.")
    acknowledged = add_flag(db, course.patient_id, kind="worsening",
                            detail=f"paresthesia 6 (baseline 2, previous 3) in {RIGHT_LEG}")
    acknowledged.acknowledged_at, acknowledged.ack_note = RAISED, "Phoned"
    db.commit()
    text = visible_text(clinician.get("/clinic/safety").get_data(as_text=True))
    for raw in ("adverse_event", RIGHT_LEG, "worsening", "serious", "watch"):
        assert raw not in text
    assert "Pain 7 (baseline 4, previous 5)" in text
    assert "Paresthesia 6 (baseline 2, previous 3)" in text
    assert text.count("Right superficial fibular nerve · Lower leg") == 2
    assert "Adverse event after a session" in text and "Worse than baseline or last time" in text
    assert "Not region-specific" in text and "Serious" in text and "Watch" in text


@pytest.mark.parametrize(("zone", "clinic", "patient"), [
    ("Asia/Kolkata", "01 Mar 2026 09:00 EST", "Patient's time: 01 Mar 2026 19:30 IST"),
    ("America/New_York", "01 Mar 2026 09:00 EST", None),
    ("Europe/London", "01 Mar 2026 09:00 EST", "Patient's time: 01 Mar 2026 14:00 GMT"),
])
def test_times_in_the_clinic_and_the_patient_zone(clinician, db, zone, clinic, patient):
    course = make_course(db, study_code="NT-0951", timezone=zone)
    add_flag(db, course.patient_id)
    db.commit()
    html = clinician.get("/clinic/safety").get_data(as_text=True)
    row = html.split('id="open-flags"')[1].split("</table>")[0]
    assert clinic in row and " UTC" not in row
    assert "Times are the clinic's (America/New_York)" in html
    if patient:
        assert f"{patient} ({zone})" in row
    else:
        assert "Patient's time" not in row


def _sign_out_and_in(client):
    token = csrf_token(client, "/clinic/patients")  # not the safety list: that is a visit
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    login(client, "clinician@clinic.test", STAFF_PASSWORD)


def test_new_since_my_last_visit_uses_the_visit_before_this_sign_in(client, staff, db):
    course = make_course(db, study_code="NT-0952")
    old = add_flag(db, course.patient_id, raised=datetime.now(UTC) - timedelta(days=3))
    db.commit()
    first = client.get("/clinic/safety?new=1").get_data(as_text=True)
    assert "This is your first visit" in first and shown_ids(first) == [old.id]
    visit = db.exec(select(AuditEvent).where(AuditEvent.action == "safety_flags_viewed")).one()
    fresh = add_flag(db, course.patient_id, raised=visit.at + timedelta(milliseconds=1))
    db.commit()
    _sign_out_and_in(client)
    for _ in range(2):  # paging and filtering in this sign-in do not move the last visit
        html = client.get("/clinic/safety?new=1").get_data(as_text=True)
        assert shown_ids(html) == [fresh.id] and "Your last visit to this page" in html
    everything = client.get("/clinic/safety").get_data(as_text=True)
    assert shown_ids(everything) == [fresh.id, old.id]
    assert everything.count('<span class="tag new">new</span></td>') == 1
    _sign_out_and_in(client)
    assert shown_ids(client.get("/clinic/safety?new=1").get_data(as_text=True)) == []


def test_viewing_is_audited_with_the_page_and_patient(clinician, db):
    flags = many_flags(db, 30)
    clinician.get(f"/clinic/safety?page=2&patient={flags[0].patient_id}")
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "safety_flags_viewed")).one()
    assert (event.patient_id, event.detail, event.actor_type) == (
        flags[0].patient_id, {"page": 2}, "staff")


@pytest.mark.parametrize(("query", "back"), [
    ("?severity=watch&page=2", "/clinic/safety?severity=watch&page=2"),
    ("?severity=nonsense", "/clinic/safety"),
    ("", "/clinic/safety"),
])
def test_acknowledging_audits_and_returns_to_the_same_list(clinician, db, query, back):
    flags = many_flags(db, 60)
    target = next(f for f in flags if f.severity == "watch")
    token = csrf_token(clinician, "/clinic/safety")
    response = clinician.post(f"/clinic/safety/{target.id}/acknowledge{query}",
                              data={"csrf_token": token, "note": "Called, fine"})
    assert response.status_code == 302 and response.headers["Location"] == back
    db.expire_all()
    assert db.get(SafetyFlag, target.id).ack_note == "Called, fine"
    event = db.exec(select(AuditEvent).where(
        AuditEvent.action == "safety_flag_acknowledged")).one()
    assert (event.record_id, event.patient_id) == (target.id, target.patient_id)


def test_the_note_requirement_is_written_in_the_page(clinician, db):
    many_flags(db, 3)
    html = clinician.get("/clinic/safety").get_data(as_text=True)
    text = visible_text(html)
    assert "write a short note of what was done; the note is required." in text
    assert text.count("Note of what was done (required)") == 3
    assert html.count('aria-describedby="note-rule"') == 3
    flag_id = shown_ids(html)[0]
    refused = clinician.post(f"/clinic/safety/{flag_id}/acknowledge?page=1",
                             data={"csrf_token": csrf_token(clinician, "/clinic/safety"),
                                   "note": " "})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "The flag was not acknowledged: Write what was done (a short note)." in body
    assert f'id="note-{flag_id}-error"' in body
