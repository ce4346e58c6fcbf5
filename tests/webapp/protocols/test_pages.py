"""The coordinator's protocol pages: list, create, copy, edit (new version), move patients."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from scheduler.protocol import load_default_protocol, protocol_to_dict
from tests.support.factories import planned_course
from tests.support.html_forms import form_fields
from tests.support.web import csrf_token
from webapp.models import (
    AuditEvent,
    Protocol,
    ProtocolVersion,
    Reminder,
    SurveyAssignment,
    TreatmentCourse,
    utcnow,
)
from webapp.protocols.store import ensure_default_protocol


@pytest.fixture
def coord(signed_in):
    return signed_in("coordinator")


def _default_dict() -> dict:
    return protocol_to_dict(load_default_protocol())


def _versions(db, protocol_id):
    db.expire_all()
    return db.exec(select(ProtocolVersion).where(ProtocolVersion.protocol_id == protocol_id)
                   .order_by(ProtocolVersion.version)).all()


def _edit(client, protocol_id, text):
    path = f"/coordinate/protocols/{protocol_id}/edit"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "definition": text})


def test_list_shows_the_default_protocol(coord):
    response = coord.get("/coordinate/protocols/")
    assert response.status_code == 200
    assert "NerveTrack default follow-up" in response.get_data(as_text=True)


def test_edit_creates_version_2_and_leaves_version_1_untouched(coord, db):
    v1 = ensure_default_protocol(db)
    db.commit()
    original = json.loads(json.dumps(v1.definition))
    changed = _default_dict()
    changed["reminder_time"] = "10:30"
    response = _edit(coord, v1.protocol_id, json.dumps(changed))
    assert response.status_code == 302
    versions = _versions(db, v1.protocol_id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].definition == original
    assert versions[1].definition["reminder_time"] == "10:30"
    assert response.headers["Location"].endswith(f"/coordinate/protocols/versions/{versions[1].id}")
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "protocol_version_added")).one()


def _mutate(path_fn):
    d = _default_dict()
    path_fn(d)
    return json.dumps(d)


def _set_window(d):
    d["timepoints"][4]["window"] = {"opens_days": 3, "closes_days": -2}


def _quiet_all_day(d):
    d["quiet_hours"] = {"start": "08:00", "end": "08:00"}


def _negative_cadence(d):
    d["timepoints"][3]["repeat_every_days"] = -7


def _unknown_instrument(d):
    d["timepoints"][0]["instruments"] = ["nt-pain", "no-such-questionnaire"]


def _lone_surrogate(d):
    d["timepoints"][0]["instruments"] = ["nt-pain", "\ud800"]


def _nul_in_label(d):
    d["timepoints"][0]["label"] = "Baseline\x00"


def _null_channels(d):
    d["channels"] = None


def _null_quiet_hours(d):
    d["quiet_hours"] = None


def _offset_past_the_calendar(d):
    d["timepoints"][4]["offset_days"] = 10**9
    del d["timepoints"][4]["offset_months"]


def _unhashable_key(d):
    d["timepoints"][1]["key"] = ["baseline"]


def _unhashable_skip_near(d):
    d["timepoints"][1]["skip_near"] = {"timepoint": ["baseline"], "days": 0}


@pytest.mark.parametrize(("text", "message"), [
    (_mutate(_set_window), "the window closes before it opens"),
    (_mutate(_quiet_all_day), "Quiet hours cover the whole day"),
    (_mutate(_negative_cadence), "repeat_every_days must be a whole number of days, at least 1"),
    (_mutate(_unknown_instrument), "unknown instrument(s) no-such-questionnaire"),
    ('{"name": "x", "timepoints": [', "Invalid JSON at line 1"),
    ("[1, 2]", "must be a JSON object"),
    # hostile JSON (issue 11): each once gave a 500 or stored something unusable
    ('{"timepoints": ' + "[" * 30_000 + "]" * 30_000 + "}", "nested too deeply"),
    ('{"timepoints": ' + "[" * 20 + "]" * 20 + "}", "nested deeper than a protocol ever is"),
    ('{"reminder_time": 1' + "0" * 5000 + "}", "a number too long to read"),
    (_mutate(_lone_surrogate), "a lone surrogate"),
    (_mutate(_nul_in_label), "a control character"),
    (_mutate(_null_channels), '"channels": null is not allowed'),
    (_mutate(_null_quiet_hours), '"quiet_hours": null is not allowed: give a "start" and an '
                                 '"end", or leave the setting out for no quiet hours'),
    (_mutate(_unhashable_key), "the key must be a short lowercase slug"),
    (_mutate(_offset_past_the_calendar), "would fall outside the calendar"),
    (_mutate(_unhashable_skip_near), "skip_near must name a timepoint listed before this one"),
])
def test_bad_protocols_are_refused_with_the_message_and_nothing_stored(coord, db, text, message):
    v1 = ensure_default_protocol(db)
    db.commit()
    response = _edit(coord, v1.protocol_id, text)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.replace("&#39;", "'").replace("&#34;", '"')
    assert [v.version for v in _versions(db, v1.protocol_id)] == [1]


def _create(client, name, text, source=""):
    path = "/coordinate/protocols/new" + source
    return client.post(path, data={"csrf_token": csrf_token(client, path), "name": name,
                                   "definition": text})


def test_create_from_default_and_copy_make_new_protocols(coord, db):
    v1 = ensure_default_protocol(db)
    db.commit()
    page = coord.get(f"/coordinate/protocols/new?from={v1.id}").get_data(as_text=True)
    assert "Check before each session" in page
    assert _create(coord, "Carpal tunnel short", json.dumps(v1.definition)).status_code == 302
    db.expire_all()
    copy = db.exec(select(Protocol).where(Protocol.name == "Carpal tunnel short")).one()
    (version,) = _versions(db, copy.id)
    assert version.version == 1 and version.definition["name"] == "Carpal tunnel short"
    assert [v.version for v in _versions(db, v1.protocol_id)] == [1]


def test_create_from_scratch_page_holds_a_valid_skeleton(coord, db):
    page = coord.get("/coordinate/protocols/new?from=scratch").get_data(as_text=True)
    assert "1 month after the last session" in page
    from webapp.protocols.views import SCRATCH
    assert _create(coord, "Minimal", json.dumps(SCRATCH)).status_code == 302


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the protocol a name"),
    ("NerveTrack default follow-up", "already exists"),
])
def test_create_refuses_missing_or_taken_names(coord, db, name, message):
    ensure_default_protocol(db)
    db.commit()
    response = _create(coord, name, json.dumps(_default_dict()))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(Protocol)).all()) == 1


def test_version_page_shows_timepoints(coord, db):
    v1 = ensure_default_protocol(db)
    db.commit()
    page = coord.get(f"/coordinate/protocols/versions/{v1.id}").get_data(as_text=True)
    for text in ("12 months after the last session", "12 months after the last session",
                 "opens 7 days before, closes 14 days after", "1 day before closing",
                 "on opening, 2 days after opening", "21:00–08:00", "email, text message",
                 "every 7 days until the last session", "Tingling, numbness or burning",
                 "skipped within 2 days of “Check before each session”"):
        assert text in page.replace("&#34;", '"'), text
    assert "nt-paresthesia" not in page and "m12" not in page


def _add_v2(coord, db, v1):
    """Version 2 adds a two-month timepoint."""
    changed = _default_dict()
    m2 = dict(changed["timepoints"][4], key="m2", label="2 months after the last session",
              offset_months=2)
    changed["timepoints"].insert(5, m2)
    assert _edit(coord, v1.protocol_id, json.dumps(changed)).status_code == 302
    return _versions(db, v1.protocol_id)[-1]


def _future_course(db, code):
    """A course whose sessions start ten days after the real clock (the views read it)."""
    now = utcnow().replace(microsecond=0)
    first = (now + timedelta(days=10)).replace(hour=10, minute=0, second=0)
    return planned_course(db, study_code=code, timezone="UTC", now=now, first_session=first)


def test_move_selected_patients_replans_and_audits(coord, db):
    first = _future_course(db, "NT-0001")
    second = _future_course(db, "NT-0002")
    v1 = ensure_default_protocol(db)
    v2 = _add_v2(coord, db, v1)
    page = coord.get(f"/coordinate/protocols/versions/{v2.id}").get_data(as_text=True)
    assert "NT-0001" in page and "NT-0002" in page
    token = csrf_token(coord, f"/coordinate/protocols/versions/{v2.id}")
    asked = coord.post(f"/coordinate/protocols/versions/{v2.id}/move",
                       data={"csrf_token": token, "course_ids": [str(first.id)],
                             "scope": "selected"})
    question = asked.get_data(as_text=True)
    assert asked.status_code == 200  # first a page that says what will happen
    assert "Move 1 patient to NerveTrack default follow-up version 2?" in question
    assert "NT-0001" in question and "NT-0002" not in question
    assert "2 months after the last session" in question  # the follow-up it adds
    db.expire_all()
    assert db.get(TreatmentCourse, first.id).protocol_version_id == v1.id  # nothing moved yet
    response = coord.post(f"/coordinate/protocols/versions/{v2.id}/move",
                          data={"csrf_token": token, "course_ids": [str(first.id)],
                                "scope": "selected", "confirm": "yes"})
    assert response.status_code == 302
    db.expire_all()
    moved, stayed = db.get(TreatmentCourse, first.id), db.get(TreatmentCourse, second.id)
    assert moved.protocol_version_id == v2.id and moved.needs_replan is False
    assert stayed.protocol_version_id == v1.id
    audits = db.exec(select(AuditEvent).where(AuditEvent.action == "course_protocol_changed")).all()
    assert [a.record_id for a in audits] == [first.id]
    m2 = db.exec(select(SurveyAssignment).where(SurveyAssignment.timepoint_key == "m2")).all()
    assert [a.course_id for a in m2] == [first.id]
    assert db.exec(select(Reminder).where(Reminder.assignment_id == m2[0].id)).all()
    created = db.exec(select(AuditEvent).where(AuditEvent.action == "assignment_created",
                                               AuditEvent.record_id == m2[0].id)).one()
    assert created.actor_type == "staff" and created.actor_label == "coordinator@clinic.test"


def test_move_all_and_refuse_empty_choice(coord, db):
    _future_course(db, "NT-0001")
    _future_course(db, "NT-0002")
    v1 = ensure_default_protocol(db)
    v2 = _add_v2(coord, db, v1)
    path = f"/coordinate/protocols/versions/{v2.id}"
    empty = coord.post(path + "/move", data={"csrf_token": csrf_token(coord, path),
                                             "scope": "selected"})
    assert empty.status_code == 400 and "Choose at least one course" in empty.get_data(True)
    asked = coord.post(path + "/move", data={"csrf_token": csrf_token(coord, path),
                                             "scope": "all"})
    assert asked.status_code == 200 and "Move 2 patients" in asked.get_data(True)
    db.expire_all()
    assert not db.exec(select(AuditEvent).where(AuditEvent.action == "course_protocol_changed")
                       ).all()
    confirm = dict(form_fields(asked.get_data(True), "actions"))
    confirm["course_ids"] = re.findall(r'name="course_ids" value="(\d+)"', asked.get_data(True))
    all_ = coord.post(path + "/move", data=confirm)
    assert all_.status_code == 302
    db.expire_all()
    assert {c.protocol_version_id for c in db.exec(select(TreatmentCourse)).all()} == {v2.id}
    assert len(db.exec(select(AuditEvent)
                       .where(AuditEvent.action == "course_protocol_changed")).all()) == 2


def test_import_names_and_null_refusals_apply_to_new_protocols_too(coord, db):
    ensure_default_protocol(db)
    db.commit()
    nul_name = _create(coord, "Bad\x01name", json.dumps(_default_dict()))
    assert nul_name.status_code == 400 and "no control characters" in nul_name.get_data(True)
    quiet_null = dict(_default_dict(), quiet_hours=None)
    response = _create(coord, "Quiet", json.dumps(quiet_null))
    assert response.status_code == 400
    db.expire_all()
    assert len(db.exec(select(Protocol)).all()) == 1


def test_export_gives_the_version_as_json_to_import_elsewhere(coord, db):
    v1 = ensure_default_protocol(db)
    db.commit()
    response = coord.get(f"/coordinate/protocols/versions/{v1.id}/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = json.loads(response.get_data(as_text=True))
    assert exported == v1.definition
    assert _create(coord, "Imported", json.dumps(exported)).status_code == 302
