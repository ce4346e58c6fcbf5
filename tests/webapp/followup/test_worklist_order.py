"""The worklist starts with today: its default order, its 30 days of misses, names, sorting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories import make_course, planned_course
from tests.support.web import STAFF_PASSWORD, login
from webapp.followup.worklist import SORT_KEYS, sort_rows, worklist_rows
from webapp.models import SurveyAssignment, utcnow

WORKLIST = "/coordinate/worklist"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def coord(client, make_staff):
    make_staff("coordinator")
    login(client, "coordinator@clinic.test", STAFF_PASSWORD)
    return client


def _row(db, course, name, status, due, opens, closes) -> SurveyAssignment:
    row = SurveyAssignment(patient_id=course.patient_id, course_id=course.id, slot=name,
                           timepoint_key="m1", label=f"Follow-up {name}", due_on=due.date(),
                           opens_at=opens, closes_at=closes, instruments=["nt-pain"],
                           regions=[], status=status)
    db.add(row)
    db.flush()
    return row


def build_day(db, now):
    """Follow-ups around `now`, named by where they belong in today's order."""
    a = make_course(db, study_code="NT-A", timezone="UTC")
    b = make_course(db, study_code="NT-B", timezone="UTC")
    rows = {
        "overdue, due 5 days ago": _row(db, b, "o1", "pending", now - 5 * DAY, now - 9 * DAY,
                                        now + DAY),
        "overdue, due yesterday": _row(db, a, "o2", "open", now - DAY, now - 4 * DAY,
                                       now + 2 * DAY),
        "due, 3 days ago": _row(db, a, "d1", "open", now - 3 * DAY, now - 6 * DAY,
                                now + 9 * DAY),
        "due, in 2 days": _row(db, b, "d2", "in_progress", now + 2 * DAY, now - DAY,
                               now + DAY),
        "missed yesterday": _row(db, a, "m1", "missed", now - 8 * DAY, now - 9 * DAY,
                                 now - DAY),
        "missed 29 days ago": _row(db, b, "m2", "pending", now - 35 * DAY, now - 36 * DAY,
                                   now - 29 * DAY),
    }
    gone = _row(db, a, "m3", "missed", now - 40 * DAY, now - 41 * DAY, now - 31 * DAY)
    done = _row(db, a, "c1", "completed", now - DAY, now - 2 * DAY, now + DAY)
    db.commit()
    return rows, [gone, done]


def test_default_order_starts_with_today(db):
    rows, hidden = build_day(db, NOW)
    got = [r.assignment.id for r in worklist_rows(db, NOW)]
    assert got == [a.id for a in rows.values()]  # in the order the dict lists them
    assert not {a.id for a in hidden} & set(got)  # missed over 30 days ago, or answered


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    ("due", False, ["missed 29 days ago", "missed yesterday", "overdue, due 5 days ago",
                    "due, 3 days ago", "overdue, due yesterday", "due, in 2 days"]),
    ("patient", True, ["due, in 2 days", "overdue, due 5 days ago", "missed 29 days ago",
                       "overdue, due yesterday", "due, 3 days ago", "missed yesterday"]),
    ("closes", False, ["missed 29 days ago", "missed yesterday", "overdue, due 5 days ago",
                       "due, in 2 days", "overdue, due yesterday", "due, 3 days ago"]),
])
def test_sort_keys_are_an_allow_list(db, sort, descending, expected):
    rows, _hidden = build_day(db, NOW)
    names = {a.id: name for name, a in rows.items()}
    got = sort_rows(worklist_rows(db, NOW), sort, descending)
    assert [names[r.assignment.id] for r in got] == expected
    with pytest.raises(KeyError):
        sort_rows(got, "study_code; drop table patient", False)
    assert set(SORT_KEYS) == {"patient", "timepoint", "due", "closes", "status", "reminder"}


def _visible_text(html: str) -> str:
    body = html.split("<main>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_page_shows_follow_ups_by_name_never_by_key(coord, db):
    now = utcnow().replace(microsecond=0)
    planned_course(db, study_code="NT-0007", timezone="UTC", now=now - 9 * DAY,
                   first_session=(now - 8 * DAY).replace(hour=10, minute=0, second=0))
    page = coord.get(WORKLIST).get_data(as_text=True)
    text = _visible_text(page)
    assert "After session 1" in text  # its window closed yesterday or so: missed
    for key in ("after-session", "pre-session", "m1", "baseline:"):
        assert key not in text, key
    assert "Today first: overdue follow-ups" in text
    assert 'aria-current="page">Worklist</a>' in page  # one navigation, this page marked
    assert text.index("Follow-up worklist") < text.index("Completion rate by follow-up")


def test_the_page_sorts_by_a_column_and_refuses_unknown_sorts(coord, db):
    rows, _hidden = build_day(db, utcnow())
    page = coord.get(WORKLIST + "?sort=patient&dir=desc").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'data-assignment="(\d+)"', page)]
    b_rows = {rows[n].id for n in ("overdue, due 5 days ago", "due, in 2 days",
                                   "missed 29 days ago")}
    assert set(order[:3]) == b_rows  # NT-B before NT-A
    assert 'aria-sort="descending"' in page
    for bad in ("?sort=1%3D1", "?sort=due&dir=sideways", "?sort=id"):
        response = coord.get(WORKLIST + bad)
        assert response.status_code == 400 and "Unknown sort" in response.get_data(True)


def test_the_timepoint_filter_lists_names(coord, db):
    build_day(db, utcnow())
    page = coord.get(WORKLIST).get_data(as_text=True)
    assert re.search(r'<option value="m1"[^>]*>Follow-up (o1|o2|d1|d2|m1|m2|m3|c1)</option>',
                     page)
