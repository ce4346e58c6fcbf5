"""The "My progress" page a signed-in patient lands on: questions due, charts, check-ins ahead.

Rendered by the patient start page once a link has signed the patient in. Everything on it is
the signed-in patient's own, in their language and time zone, drawn on the server (no script).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g, render_template, url_for
from flask_babel import format_date
from markupsafe import Markup
from sqlmodel import Session

from charts.progress_svg import progress_changes, progress_sentence, render_progress_svg
from surveys.catalogue import region_label
from surveys.languages import get_language
from webapp.followup.reminder_choices import reminder_state
from webapp.i18n import clinic_languages, local_digits, refresh
from webapp.i18n import gettext as _
from webapp.models import Patient, SurveyAssignment
from webapp.survey.instruments import get_library
from webapp.survey.links import open_assignments
from webapp.survey.progress import progress_data, progress_region_codes, upcoming_checkins
from webapp.survey.stop_links import make_stop_token

UPCOMING_SHOWN = 6  # the calendar file holds them all
# Inline SVG per page. The page, its CSS and its script stay under 15 KB with it: a patient with
# many areas or a long follow-up sees some charts behind a link, one page each.
CHART_BYTES = 6_000


@dataclass(frozen=True)
class RegionProgress:
    number: int
    label: str
    sentences: list[str]
    chart: Markup | None  # drawn on this page
    linked: bool = False  # drawn on its own page


@dataclass(frozen=True)
class Checkin:
    opens: str
    closes: str


def chart_words() -> dict[str, str]:
    """Return the progress chart's words in the page's language."""
    return {
        "pain": _("Pain"),
        "paresthesia": _("Tingling or numbness"),
        "down": _("{outcome} down from {start:g} to {latest:g} since your first treatment"),
        "up": _("{outcome} up from {start:g} to {latest:g} since your first treatment"),
        "same": _("{outcome} unchanged at {latest:g} since your first treatment"),
        "first": _("{outcome}: {latest:g} (your first answer)"),
        "none": _("{outcome}: no answers yet"),
        "performed": _("Treatment {number} ({date})"),
        "scheduled": _("Planned treatment {number} ({date})"),
        "missed": _("Missed ({date})"),
        "week": _("W{n}"),
        "month": _("M{n}"),
    }


def patient_region_label(code: str, language: str) -> str:
    """Return the patient's words for a region; a code the catalogue lost gets generic words."""
    try:
        return region_label(code, language)
    except KeyError:
        return _("Another area")


def _regions(db: Session, patient: Patient) -> list[RegionProgress]:
    data = progress_data(db, patient, get_library())
    words = chart_words()
    out = []
    for number, code in enumerate(progress_region_codes(db, patient.id, data), start=1):
        label = patient_region_label(code, patient.language)
        changes = progress_changes(data, code)
        answered = any(change.answers for change in changes)
        chart = Markup(render_progress_svg(data, code, label=label, words=words)) \
            if answered else None
        out.append(RegionProgress(number, label,
                                  [local_digits(progress_sentence(c, words)) for c in changes],
                                  chart))
    return out


def fit_charts(regions: list[RegionProgress], shown: int) -> list[RegionProgress]:
    """Keep region `shown`'s chart, then the others in order while they fit in CHART_BYTES;
    the charts left out become links to their own page."""
    room = CHART_BYTES
    order = sorted(regions, key=lambda r: r.number != shown)  # stable: the rest keep order
    kept = set()
    for region in (r for r in order if r.chart is not None):
        if region.number == shown or len(region.chart) <= room:
            kept.add(region.number)
            room -= len(region.chart)
    return [r if r.chart is None or r.number in kept else replace(r, chart=None, linked=True)
            for r in regions]


def local_day_text(instant: datetime, timezone: str) -> str:
    """Return the local date of an instant in the patient's zone, as their language writes it."""
    return format_date(instant.astimezone(ZoneInfo(timezone)).date(), "full")


def checkin_dates(checkin: SurveyAssignment, timezone: str) -> Checkin:
    """Return the first and last day of a check-in's window, local (the end is exclusive)."""
    last = checkin.closes_at - timedelta(seconds=1)
    return Checkin(local_day_text(checkin.opens_at, timezone), local_day_text(last, timezone))


def _reminders(patient: Patient, now: datetime) -> dict:
    state = reminder_state(patient.reminders_paused_until, patient.reminders_stopped_at, now)
    until = (local_day_text(patient.reminders_paused_until, patient.timezone)
             if state == "paused" else None)
    token = make_stop_token(current_app.config["SECRET_KEY"], patient.id, now=now)
    return {"state": state, "until": until,
            "link": url_for("patient.choose_reminders", token=token)}


def render_progress_page(db: Session, patient_id: int, now: datetime,
                         shown: int = 1) -> str | None:
    """Return the signed-in patient's start page: what is due, their progress (region `shown`'s
    chart surely), what comes next; None if they have no region `shown`."""
    patient = db.get(Patient, patient_id)
    g.locale = patient.language  # the patient's language, whatever the browser asks for
    refresh()
    regions = _regions(db, patient)
    if shown != 1 and not 1 <= shown <= len(regions):
        return None
    upcoming = upcoming_checkins(db, patient.id, now)
    return render_template(
        "patient/show_progress.html", due=open_assignments(db, patient.id, now),
        regions=fit_charts(regions, shown),
        upcoming=[checkin_dates(c, patient.timezone) for c in upcoming[:UPCOMING_SHOWN]],
        more=max(len(upcoming) - UPCOMING_SHOWN, 0), reminders=_reminders(patient, now),
        languages=language_choices(patient.language))


def language_choices(current: str) -> list[tuple[str, str, bool]]:
    """Return the clinic's languages as (code, own name, is current); [] if it has one."""
    codes = clinic_languages(current_app.config)
    if len(codes) < 2:
        return []
    return [(code, get_language(code).native_name, code == current) for code in codes]
