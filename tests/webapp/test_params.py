"""Values read from requests: ASCII digits only, bounded ids, and ids refused at the URL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.exceptions import NotFound

from tests.support.factories import make_course
from tests.support.web import STAFF_PASSWORD, login
from webapp.db import get_engine
from webapp.params import MAX_ID, id_or_404, int_arg, parse_int

READ = [("1", 1), ("7", 7), ("007", 7), (str(MAX_ID), MAX_ID), ("0000000001", 1)]
REFUSED = ["", None, "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1", "1_0",
           str(MAX_ID + 1), str(2**63), "9" * 20, "00000000001",  # 11 characters
           "\u00b2", "1\u00b2", "\u0665", "\u06f5", "\uff15", "\U0001d7d3", "1\x00", "\x00"]


@pytest.mark.parametrize("text, value", READ)
def test_parse_int_reads_ascii_digits_within_bounds(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", REFUSED)
def test_parse_int_refuses_everything_else(text):
    assert parse_int(text) is None


@pytest.mark.parametrize("text, low, high, value", [
    ("0", 0, 10, 0), ("10", 0, 10, 10), ("11", 0, 10, None), ("5", 6, 10, None),
    ("100", 0, 99, None),
])
def test_parse_int_bounds_are_inclusive(text, low, high, value):
    assert parse_int(text, low=low, high=high) == value


@pytest.mark.parametrize("text", ["\u00b2", "99999999999", "-3", ""])
def test_id_or_404(text):
    with pytest.raises(NotFound):
        id_or_404(text)


@pytest.mark.parametrize("query, value", [
    ("", 1), ("?page=3", 3), ("?page=0", 1), ("?page=\u00b2", 1), ("?page=" + "9" * 20, 1),
    ("?page=-2", 1), ("?page=%D9%A5", 1),  # Arabic-Indic five: not a page number in a URL
])
def test_int_arg_falls_back_to_the_default(app, query, value):
    with app.test_request_context("/clinic/patients" + query):
        assert int_arg("page", 1) == value


@pytest.fixture
def clinician(app, db, client, make_staff):
    """A signed-in clinician and one patient; returns the patient's id."""
    course = make_course(db)
    make_staff("clinician")
    login(client, "clinician@clinic.test", STAFF_PASSWORD)
    return course.patient_id


def _statements(app, run) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = get_engine(app)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_real_id_is_found_with_or_without_leading_zeros(client, clinician):
    assert client.get(f"/clinic/patients/{clinician}").status_code == 200
    assert client.get(f"/clinic/patients/0{clinician}").status_code == 200


HOSTILE_IDS = ["0", "-1", str(2**31), str(2**63), "9" * 20, "1" * 400, "%C2%B2",  # '²'
               "%D9%A1",  # Arabic-Indic one: int() reads it, the URL must not
               "%EF%BC%91",  # full-width one
               "%00", "1%00", "%201", "1.0", "+1"]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_an_id_outside_the_range_is_a_404_before_any_patient_query(app, client, clinician,
                                                                   value):
    responses = []
    statements = _statements(app, lambda: responses.append(
        client.get(f"/clinic/patients/{value}")))
    assert responses[0].status_code == 404
    assert "We could not find that page." in responses[0].get_data(as_text=True)
    assert not [s for s in statements if "FROM patient" in s]


def test_urls_for_ids_are_still_built(app):
    with app.test_request_context():
        assert url_for("clinician.show_patient", patient_id=MAX_ID) == f"/clinic/patients/{MAX_ID}"
