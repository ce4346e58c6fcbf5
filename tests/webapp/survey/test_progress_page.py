"""My progress: a patient's own charts, plain words, check-ins ahead and a calendar file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from icalendar import Calendar
from markupsafe import Markup
from sqlmodel import select

from tests.support.factories import add_weekly_sessions, make_course
from tests.support.progress import (
    patient_with_long_follow_up,
    patient_with_progress,
    progress_link,
)
from webapp.followup.replan import replan_course
from webapp.models import Patient, SurveyAssignment, utcnow
from webapp.survey.progress_page import CHART_BYTES, RegionProgress, fit_charts

MEDIAN, ULNAR = "median-carpal-tunnel-right", "ulnar-elbow-left"
THREE = (MEDIAN, "median-carpal-tunnel-left", ULNAR)
BUDGET = 15_000  # bytes, uncompressed: the page with its CSS, script and inline SVG
ASSET_RE = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')
# What never leaves a patient's page: nerve, procedure and injectate words, doses, notes.
FORBIDDEN = ("nerve", "median", "ulnar", "carpal", "tunnel", "hydrodissection", "dextrose",
             "d5w", "saline", "injection", "lidocaine", "psfs", "pgic", "ml ")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLINIC_NAME": "Riverside Clinic",
            "BASE_URL": "https://clinic.example.org"}


@pytest.fixture
def two(db):
    ann = patient_with_progress(db, "NT-A", region=MEDIAN, zone="Pacific/Auckland",
                   answers=[(8, 5), (5, 4), (2, 3)])
    bo = patient_with_progress(db, "NT-B", region=ULNAR, zone="America/New_York", first_name="Bo",
                  answers=[(9, 1), (8, 1), (7, 2)])
    return ann, bo


def _sign_in(client, db, patient):
    assert client.get(progress_link(db, patient)).status_code == 303


def _upcoming(db, patient):
    return db.exec(select(SurveyAssignment).where(
        SurveyAssignment.patient_id == patient.id, SurveyAssignment.opens_at > utcnow())
        .order_by(SurveyAssignment.opens_at)).all()


def test_progress_shows_own_regions_in_plain_words(db, client, two):
    ann, _bo = two
    _sign_in(client, db, ann)
    html = client.get("/p/").get_data(as_text=True)
    assert "Right wrist and fingers: thumb to ring finger" in html
    assert "Pain down from 8 to 2 since your first treatment." in html
    assert "Tingling or numbness down from 5 to 3 since your first treatment." in html
    (svg,) = re.findall(r"<svg.*?</svg>", html, re.S)
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Right wrist and fingers: thumb to ring finger"
    marks = [el.find(f"{SVG}title").text for el in root.iter()
             if "nt-session" in (el.get("class") or "").split()]
    assert [m.split(" (")[0] for m in marks] == ["Treatment 1", "Treatment 2", "Treatment 3"]
    assert re.search(r"<script(?![^>]*\ssrc=)", html) is None  # no inline script


def test_another_patients_data_never_appears(db, client, two):
    ann, bo = two
    _sign_in(client, db, ann)
    html = client.get("/p/").get_data(as_text=True)
    assert "Left elbow" not in html and "from 9 to 7" not in html
    lowered = re.sub(r"<[^>]+>", " ", html).lower()
    assert [word for word in FORBIDDEN if word in lowered] == []
    progress = lowered.split("my progress", 2)[2]  # the follow-up's own label stays above it
    assert "session" not in progress
    ics = client.get("/p/calendar.ics").get_data()
    uids = {str(e["UID"]) for e in Calendar.from_ical(ics).walk("VEVENT")}
    assert uids == {f"checkin-{a.id}@clinic.example.org" for a in _upcoming(db, ann)}
    assert not uids & {f"checkin-{a.id}@clinic.example.org" for a in _upcoming(db, bo)}


def test_upcoming_checkins_show_local_dates(db, client, two):
    ann, _bo = two
    _sign_in(client, db, ann)
    html = client.get("/p/").get_data(as_text=True)
    zone = ZoneInfo("Pacific/Auckland")  # 13 hours ahead: the UTC date is the day before
    first = _upcoming(db, ann)[0]
    opens = first.opens_at.astimezone(zone).date()
    assert first.opens_at.date() != opens
    last = (first.closes_at - timedelta(seconds=1)).astimezone(zone).date()
    section = html.split('id="checkins-title"')[1]
    assert (f"{format_date(opens, 'full', locale='en')} to "
            f"{format_date(last, 'full', locale='en')}") in section
    assert format_date(first.opens_at.date(), "full", locale="en") not in section


def test_calendar_file_has_generic_words_and_local_times(db, client, two):
    ann, _bo = two
    _sign_in(client, db, ann)
    response = client.get("/p/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Content-Disposition"] == 'attachment; filename="check-ins.ics"'
    calendar = Calendar.from_ical(response.get_data())
    events = list(calendar.walk("VEVENT"))
    upcoming = _upcoming(db, ann)
    assert len(events) == len(upcoming) >= 3
    for event, checkin in zip(events, upcoming, strict=True):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert str(start.tzinfo) == "Pacific/Auckland" and (start.hour, start.minute) == (0, 0)
        assert start == checkin.opens_at and end == checkin.closes_at
        assert str(event["SUMMARY"]) == "Check-in for Riverside Clinic"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Pacific/Auckland"]
    text = response.get_data(as_text=True).lower()
    words = FORBIDDEN + ("session", "pain", "tingling", "wrist", "treatment")
    assert [word for word in words if word in text] == []


def test_calendar_and_progress_need_a_patient_session(client, two):
    assert client.get("/p/calendar.ics").status_code == 303
    assert "Send me a fresh link" in client.get("/p/").get_data(as_text=True)


def test_a_new_patient_sees_no_chart_yet(db, client):
    now = utcnow()
    course = make_course(db, enrolled_on=now.date(), timezone="Europe/London")
    add_weekly_sessions(db, course, now + timedelta(days=3), 2)
    replan_course(db, course.id, now=now - timedelta(days=1))
    db.commit()
    _sign_in(client, db, db.get(Patient, course.patient_id))
    html = client.get("/p/").get_data(as_text=True)
    assert "<svg" not in html and "Pain: no answers yet." in html
    assert "Add my check-ins to my calendar" in html


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Pain down from 8 to 2"),
    ("fr", 'lang="fr"'),
])
def test_the_page_speaks_the_patients_language(db, client, two, language, words):
    ann, _bo = two
    ann.language = language
    db.add(ann)
    db.commit()
    _sign_in(client, db, ann)
    html = client.get("/p/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert words in html
    assert ("Poignet droit" in html) == (language == "fr")  # the catalogue's region label


def _weight(client, path: str) -> tuple[int, str]:
    html = client.get(path).get_data(as_text=True)
    assets = sum(len(client.get(a).get_data()) for a in ASSET_RE.findall(html))
    return len(html.encode()) + assets, html


def test_a_year_in_three_areas_stays_light_with_charts_behind_links(db, client):
    heavy = patient_with_long_follow_up(db, "NT-H", THREE)
    _sign_in(client, db, heavy)
    weights = {}
    for path, drawn in (("/p/", 1), ("/p/progress/2", 2), ("/p/progress/3", 3)):
        weights[path], html = _weight(client, path)
        charts = re.findall(r"<svg.*?</svg>", html, re.S)
        titles = [ET.fromstring(svg).find(f"{SVG}title").text for svg in charts]
        assert "Left wrist and fingers: thumb to ring finger" == titles[0] or drawn != 2
        assert len(charts) >= 1 and len(re.findall(r'href="/p/progress/\d', html)) == 3 - len(
            charts)
        sentences = re.findall(r"<p>[^<]+ since your first treatment\.</p>", html)
        assert len(sentences) == 6  # every area's plain words
    print(f"\nprogress page weights, a year in three areas: {weights}")
    assert max(weights.values()) <= BUDGET
    assert client.get("/p/progress/4").status_code == 404


@pytest.mark.parametrize("path", ["/p/progress/1", "/p/progress/2"])
def test_an_area_page_needs_the_patients_own_area(db, client, two, path):
    ann, _bo = two
    _sign_in(client, db, ann)  # Ann has one area, Bo another
    assert client.get(path).status_code == (200 if path.endswith("/1") else 404)


def test_the_area_the_patient_came_for_comes_first(db, client):
    now = utcnow()
    course = make_course(db, enrolled_on=now.date(), regions=(MEDIAN, ULNAR), index_region=ULNAR)
    add_weekly_sessions(db, course, now + timedelta(days=3), 1)
    replan_course(db, course.id, now=now - timedelta(days=1))
    db.commit()
    _sign_in(client, db, db.get(Patient, course.patient_id))
    html = client.get("/p/").get_data(as_text=True)
    assert re.findall(r'<h3 id="area-\d">([^<]+)</h3>', html) == [
        "Left elbow, ring and little finger", "Right wrist and fingers: thumb to ring finger"]


@pytest.mark.parametrize(("sizes", "shown", "drawn"), [
    ([2000, 2000], 1, {1, 2}),
    ([4500, 4500, 4500], 1, {1}),
    ([4500, 4500, 4500], 3, {3}),
    ([3000, 9000, 2500], 2, {2}),  # the chosen one always, even alone over the allowance
    ([3000, None, 2500], 1, {1, 3}),  # no answers in area 2: words only, no link
    ([CHART_BYTES - 100, 50, 200], 1, {1, 2}),
])
def test_charts_fit_the_page_allowance_and_the_rest_are_links(sizes, shown, drawn):
    regions = [RegionProgress(n, f"Area {n}", [], None if size is None else Markup("x" * size))
               for n, size in enumerate(sizes, start=1)]
    fitted = fit_charts(regions, shown)
    assert {r.number for r in fitted if r.chart is not None} == drawn
    assert {r.number for r in fitted if r.linked} == {
        n for n, size in enumerate(sizes, start=1) if size is not None} - drawn
