"""The protocol builder: round trips through the form, the preview's dates, refusals, rows."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest
from sqlmodel import func, select
from werkzeug.datastructures import MultiDict

from tests.support.html_forms import form_fields
from tests.support.protocols import CTS, expressible, with_step_time
from tests.support.web import csrf_token
from webapp.models import AuditEvent, Protocol, ProtocolVersion
from webapp.protocols.builder import builder_limits, canonical, formdata_of
from webapp.protocols.builder_checks import assign_keys, check_builder
from webapp.protocols.builder_forms import ProtocolBuilderForm, set_choices
from webapp.protocols.lookups import instrument_titles
from webapp.protocols.store import add_protocol_version

NEW = "/coordinate/protocols/build"
MONDAY = date(2026, 1, 12)


@pytest.fixture
def coord(signed_in):
    return signed_in("coordinator")


def _store(db, definition) -> Protocol:
    proto = Protocol(name=definition["name"])
    db.add(proto)
    db.flush()
    add_protocol_version(db, proto, definition)
    db.commit()
    return proto


def _counts(db) -> tuple[int, int]:
    db.expire_all()
    return (db.exec(select(func.count()).select_from(Protocol)).one(),
            db.exec(select(func.count()).select_from(ProtocolVersion)).one())


def _newest(db, proto) -> ProtocolVersion:
    db.expire_all()
    return db.exec(select(ProtocolVersion).where(ProtocolVersion.protocol_id == proto.id)
                   .order_by(ProtocolVersion.version.desc())).first()


def _page_fields(client, path) -> MultiDict:
    return MultiDict(form_fields(client.get(path).get_data(as_text=True), "builder"))


def _post(client, path, fields: MultiDict, action: str):
    data = MultiDict(fields)
    data.setlist("action", [action])
    return client.post(path, data=data)


def _row_problems(html: str, row: int) -> str:
    match = re.search(rf'<ul class="row-problems" id="row-{row}-problems">(.*?)</ul>', html, re.S)
    return match.group(1).replace("&#39;", "'").replace("&amp;", "&") if match else ""


# --- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(expressible()))
def test_round_trip_through_the_page_gives_the_same_definition(coord, db, name):
    original = expressible()[name]
    assert builder_limits(original) == []
    proto = _store(db, copy.deepcopy(original))
    path = f"/coordinate/protocols/{proto.id}/build"
    response = _post(coord, path, _page_fields(coord, path), "save")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    newest = _newest(db, proto)
    assert newest.version == 2
    assert newest.definition == original
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "protocol_version_added")).one()
    assert event.detail == {"protocol_id": proto.id, "version": 2, "editor": "builder"}


@pytest.mark.parametrize("name", sorted(expressible()))
def test_round_trip_through_the_form_objects(app, name):
    original = expressible()[name]
    with app.test_request_context():
        form = ProtocolBuilderForm(formdata=formdata_of(original, MONDAY), meta={"csrf": False})
        assign_keys(form)
        titles = instrument_titles()
        set_choices(form, titles)
        result = check_builder(form, name=original["name"], instruments=titles,
                               first_day=MONDAY, zone="Europe/London")
    assert result.ok, (result.errors, result.row_errors)
    assert result.definition == canonical(original) == original


def test_what_the_builder_cannot_show_is_named_and_dropped_on_save(coord, db):
    original = with_step_time(CTS)
    limits = builder_limits(original)
    assert len(limits) == 1 and "“Before the injection”" in limits[0]
    proto = _store(db, copy.deepcopy(original))
    path = f"/coordinate/protocols/{proto.id}/build"
    page = coord.get(path).get_data(as_text=True)
    assert "This version uses settings the builder does not show" in page
    assert _post(coord, path, _page_fields(coord, path), "save").status_code == 302
    saved = _newest(db, proto).definition
    assert saved == dict(CTS, name=original["name"])  # the step's own time is gone, all else kept


# --- the preview: calendar months through the builder ----------------------------------------

def _one_row(coord, *, anchor, amount, unit, first_day):
    fields = _page_fields(coord, NEW + "?from=scratch")
    fields.setlist("tp-0-anchor", [anchor])
    fields.setlist("tp-0-amount", [str(amount)])
    fields.setlist("tp-0-unit", [unit])
    fields.setlist("tp-0-label", ["Follow-up"])
    fields.setlist("sample_first", [first_day.isoformat()])
    return fields


@pytest.mark.parametrize(("anchor", "amount", "first_day", "due"), [
    # six weekly sessions from 12 Jan 2026: the last on 16 Feb; + 1 month = 16 March
    ("last_session", 1, date(2026, 1, 12), "due Mon 16 Mar 2026"),
    # enrolled on 31 Jan 2027 (the first session's day): + 1 month = 28 February
    ("enrolment", 1, date(2027, 1, 31), "due Sun 28 Feb 2027"),
    # the last session on 29 Feb 2028: + 12 months = 28 Feb 2029
    ("last_session", 12, date(2028, 1, 25), "due Wed 28 Feb 2029"),
    ("first_session", 1, date(2028, 1, 31), "due Tue 29 Feb 2028"),  # a leap year's February
])
def test_preview_counts_calendar_months(coord, db, anchor, amount, first_day, due):
    before = _counts(db)
    fields = _one_row(coord, anchor=anchor, amount=amount, unit="months", first_day=first_day)
    response = _post(coord, NEW + "?from=scratch", fields, "preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert due in page
    assert _counts(db) == before  # a preview stores nothing


def test_preview_lists_sessions_questionnaire_names_and_reminders(coord):
    fields = _one_row(coord, anchor="last_session", amount=1, unit="months",
                      first_day=date(2026, 1, 12))
    page = _post(coord, NEW, fields, "preview").get_data(as_text=True)
    assert "Sessions: 12 Jan, 19 Jan, 26 Jan, 02 Feb, 09 Feb, 16 Feb 2026." in page
    assert "open 09 Mar – 30 Mar 2026" in page
    assert "Pain" in page and "nt-pain" not in page.split('id="preview"')[1].split("</aside>")[0]
    assert "Reminders: 09 Mar 09:00" in page


# --- bad input: refused on the row concerned, nothing stored ---------------------------------

def _cts_fields(coord, db):
    proto = _store(db, copy.deepcopy(CTS))
    path = f"/coordinate/protocols/{proto.id}/build"
    return path, _page_fields(coord, path)


def _overlap(fields):
    fields.setlist("tp-1-closes", ["80"])  # "1 month" open until 80 days after: into "3 months"


def _closes_before_opening(fields):
    fields.setlist("tp-1-amount", ["0"])
    fields.setlist("tp-1-opens", ["-3"])  # opens 3 days after the due date...
    fields.setlist("tp-1-closes", ["1"])  # ...closes 1 day after it


def _repeat_per_session(fields):
    fields.setlist("tp-2-anchor", ["every_session"])
    fields.setlist("tp-2-repeat", ["7"])


def _skip_near_below(fields):
    fields.setlist("tp-1-skip", ["m6"])
    fields.setlist("tp-1-skip_days", ["3"])


def _no_questionnaire(fields):
    fields.setlist("tp-3-q", [])


def _reminder_after_close(fields):
    fields.setlist("tp-0-later", ["9"])  # the window lasts 7 days


@pytest.mark.parametrize(("mutate", "row", "message"), [
    (_overlap, 2, "Its window overlaps the window of “1 month after the injection” on the "
                  "sample course"),
    (_closes_before_opening, 1, "The window closes before it opens: it would open 3 days "
                                "after it and close 1 day after it."),
    (_repeat_per_session, 2, "Only a timepoint counted from enrolment or the first session "
                             "can repeat"),
    (_skip_near_below, 1, "must name a timepoint above this one"),
    (_no_questionnaire, 3, "Choose at least one questionnaire."),
    (_reminder_after_close, 0, "whole numbers from 1 to 7"),
])
def test_bad_rows_are_refused_on_their_row_and_nothing_is_stored(coord, db, mutate, row,
                                                                 message):
    path, fields = _cts_fields(coord, db)
    mutate(fields)
    before = _counts(db)
    response = _post(coord, path, fields, "save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in _row_problems(page, row)
    assert "Nothing was saved" in page
    assert _counts(db) == before


def test_five_hundred_timepoints_are_refused_on_the_first_row_too_many(coord, db):
    path, fields = _cts_fields(coord, db)
    row = [(name.split("-", 2)[2], value) for name, value in fields.items(multi=True)
           if name.startswith("tp-1-")]
    many = MultiDict([(k, v) for k, v in fields.items(multi=True) if not k.startswith("tp-")])
    for index in range(500):
        for field, value in row:
            many.add(f"tp-{index}-{field}", f"m-{index}" if field == "key" else value)
    before = _counts(db)
    response = _post(coord, path, many, "save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at most 50 timepoints: this one and the 449 after it were not kept" in \
        _row_problems(page, 50)
    assert len(_labels(page)) == 51  # the rows after the first too many are not drawn again
    assert _counts(db) == before


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Give the protocol a name."),
    ("name", "CTS single injection: 1, 3, 6 months", "already exists"),
    ("name", "x" * 121, "at most 120 characters"),
    ("reminder_time", "9am", "Write the reminder time as HH:MM"),
    ("quiet_end", "", "Give both ends of the quiet hours"),
    ("quiet_end", "21:00", "cover the whole day"),
    ("channels", "fax", "Choose email, text message or both."),
    ("channels", "", "Choose email, text message or both."),
    ("sample_first", "1999-12-31", "a date between 2000 and 2100"),
])
def test_bad_settings_of_a_new_protocol_are_refused(coord, db, field, value, message):
    _store(db, copy.deepcopy(CTS))
    fields = _page_fields(coord, NEW)
    fields.setlist(field, [value] if value else [])
    if field == "name" and not value:
        fields.setlist("name", [""])
    elif field != "name":
        fields.setlist("name", ["Another protocol"])
    before = _counts(db)
    response = _post(coord, NEW, fields, "save")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert _counts(db) == before


def test_a_new_protocol_is_saved_as_version_1(coord, db):
    fields = _page_fields(coord, NEW)
    fields.setlist("name", ["Copy of the default"])
    response = _post(coord, NEW, fields, "save")
    assert response.status_code == 302
    db.expire_all()
    proto = db.exec(select(Protocol).where(Protocol.name == "Copy of the default")).one()
    version = _newest(db, proto)
    assert version.version == 1
    assert version.definition["timepoints"] == canonical(expressible()["default"])["timepoints"]


# --- rows: add, remove, reorder on the server, typed values kept -----------------------------

def _labels(html: str) -> list[str]:
    return [label for _i, label in sorted(
        (int(i), v) for i, v in re.findall(r'name="tp-(\d+)-label"[^>]*value="([^"]*)"', html))]


def test_rows_are_added_removed_and_moved_by_the_server(coord, db):
    path, fields = _cts_fields(coord, db)
    fields.setlist("tp-0-label", ["Typed but not saved"])
    fields.setlist("tp-0-amount", ["not a number"])
    page = _post(coord, path, fields, "down-0").get_data(as_text=True)
    assert _labels(page)[:2] == ["1 month after the injection", "Typed but not saved"]
    assert 'name="tp-1-amount" step="1" type="number" value="not a number"' in page
    fields = MultiDict(form_fields(page, "builder"))
    page = _post(coord, path, fields, "remove-2").get_data(as_text=True)
    assert _labels(page) == ["1 month after the injection", "Typed but not saved",
                             "6 months after the injection"]
    page = _post(coord, path, MultiDict(form_fields(page, "builder")), "add").get_data(True)
    assert _labels(page) == ["1 month after the injection", "Typed but not saved",
                             "6 months after the injection", ""]
    page = _post(coord, path, MultiDict(form_fields(page, "builder")), "up-3").get_data(True)
    assert _labels(page)[2:] == ["", "6 months after the injection"]
    assert _counts(db) == (1, 1)


@pytest.mark.parametrize("action", ["remove-9", "up-x", "delete-0", "add-1-2"])
def test_unknown_row_actions_are_refused(coord, db, action):
    path, fields = _cts_fields(coord, db)
    assert _post(coord, path, fields, action).status_code == 400


def test_a_page_without_its_csrf_token_is_refused(coord, db):
    path, fields = _cts_fields(coord, db)
    fields.setlist("csrf_token", ["forged"])
    assert _post(coord, path, fields, "save").status_code == 400
    assert _counts(db) == (1, 1)


def test_builder_pages_need_a_coordinator(signed_in, db):
    clinician = signed_in("clinician")
    assert clinician.get(NEW).status_code == 403
    response = clinician.post(NEW, data={"csrf_token": csrf_token(clinician, "/account/two-factor"),
                                         "action": "save"})
    assert response.status_code == 403


def test_preview_names_what_the_sample_course_never_asks_for(coord):
    fields = _page_fields(coord, NEW)  # the default protocol
    fields.setlist("sample_first", ["2026-01-12"])
    page = _post(coord, NEW, fields, "preview").get_data(as_text=True)
    # six weekly sessions: every weekly check falls within 2 days of a pre-session check
    assert "Never due on this sample course: Weekly while sessions continue" in page
    assert "Before session 2" not in page  # the builder names occurrences by their label
    assert "Check before each session (session 2)" in page


def test_builder_pages_carry_no_inline_script(coord, db):
    for path in (NEW, NEW + "?from=scratch"):
        page = coord.get(path).get_data(as_text=True)
        assert "<script" not in page
        assert not re.search(r"\son[a-z]+=", page)
