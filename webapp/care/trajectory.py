"""Database -> plain chart data for one patient: trajectory, sessions, CSA and a summary table.

Days are whole days between local calendar dates in the patient's time zone, counted from the
first performed session (or, before any is performed, the first scheduled one), so a baseline
answered two days before session 1 sits at day -2 whatever the hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from charts.data import (
    DEFAULT_SPECS,
    CsaPoint,
    Observation,
    OutcomeSpec,
    SessionMarker,
    TrajectoryData,
    TreatedRegion,
)
from charts.response import change_from_baseline, find_baseline, format_change, responder_label
from surveys.catalogue import get_region
from webapp.care.timelines import day_zero
from webapp.models import (
    Patient,
    ProcedureRecord,
    SurveyAssignment,
    SurveyScore,
    TreatmentCourse,
    TreatmentSession,
)
from webapp.survey.instruments import library_for_default


@cache
def region_label(code: str) -> str:
    """Return 'Right median nerve · Carpal tunnel' for a catalogue code ('Overall' for '')."""
    if not code:
        return "Overall"
    try:
        region = get_region(code)
    except KeyError:
        return code
    return f"{region.side.capitalize()} {region.nerve_name.lower()} · {region.site_name}"


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of an instant in the given zone."""
    return instant.astimezone(tz).date()


def session_instant(row) -> datetime:
    """Return when a session happened (performed) or is planned (scheduled)."""
    return row.performed_at or row.scheduled_at


def anchor_instant(sessions: Iterable) -> datetime | None:
    """Return the course's day 0 (first performed session, else first scheduled) as an instant."""
    return day_zero((session_instant(s), s.status) for s in sessions)


def library_outcomes(library) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """Return {instrument id: (per_region, outcomes it scores)} for the served instruments."""
    return {inst.id: (inst.per_region, tuple(dict.fromkeys(r.outcome for r in inst.scores)))
            for inst in library.all()}


def patient_sessions(db: Session, patient_id: int) -> list[TreatmentSession]:
    """Return every session of the patient's courses, oldest first."""
    return list(db.exec(
        select(TreatmentSession).join(TreatmentCourse,
                                      TreatmentCourse.id == TreatmentSession.course_id)
        .where(TreatmentCourse.patient_id == patient_id)
        .order_by(TreatmentSession.scheduled_at, TreatmentSession.id)).all())


def procedures_by_session(db: Session, session_ids: list[int]) -> dict[int, list[ProcedureRecord]]:
    """Return the procedure records of these sessions, grouped by session id."""
    grouped: dict[int, list[ProcedureRecord]] = {sid: [] for sid in session_ids}
    if session_ids:
        rows = db.exec(select(ProcedureRecord).where(ProcedureRecord.session_id.in_(session_ids))
                       .order_by(ProcedureRecord.id)).all()
        for row in rows:
            grouped[row.session_id].append(row)
    return grouped


@dataclass(frozen=True)
class _Clock:
    tz: ZoneInfo
    anchor: date | None

    def day(self, when: date) -> int:
        return (when - self.anchor).days if self.anchor else 0


def trajectory_data(db: Session, patient_id: int, library=None,
                    specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS, *,
                    sessions: list[TreatmentSession] | None = None,
                    records: dict[int, list[ProcedureRecord]] | None = None) -> TrajectoryData:
    """Return the patient's observations, session markers and CSA points as chart data.

    `sessions` and `records` (patient_sessions, procedures_by_session) are read here unless
    the caller already holds them.
    """
    patient = db.get(Patient, patient_id)
    tz = ZoneInfo(patient.timezone)
    if sessions is None:
        sessions = patient_sessions(db, patient_id)
    anchor = anchor_instant(sessions)
    clock = _Clock(tz, local_date(anchor, tz) if anchor else None)
    observations = _answered(db, patient_id, clock, specs)
    observations += _missed(db, patient_id, clock, specs, library or library_for_default())
    observations.sort(key=lambda o: (o.outcome, o.region_code, o.day, o.when))
    if records is None:
        records = procedures_by_session(db, [s.id for s in sessions])
    markers = _markers(sessions, records, clock)
    csa = _csa_points(sessions, records, clock, observations)
    return TrajectoryData(f"{patient.study_code}", observations, markers, csa,
                          synthetic=patient.synthetic)


def _answered(db, patient_id, clock: _Clock, specs) -> list[Observation]:
    # Plain column rows on the connection: a 2-year weekly patient has thousands of scores.
    # Parsing a timestamp costs more than the rest of a row, so the moment of each answer is
    # read once per assignment (completed_at, ~25 scores each) and per score only where the
    # assignment has none.
    conn = db.connection()
    assignments = {aid: (completed_at, label) for aid, completed_at, label in conn.execute(
        sa.select(SurveyAssignment.id, SurveyAssignment.completed_at, SurveyAssignment.label)
        .where(SurveyAssignment.patient_id == patient_id))}
    scored = (SurveyScore.patient_id == patient_id, SurveyScore.outcome.in_(list(specs)),
              SurveyScore.value.is_not(None))
    rows = conn.execute(sa.select(SurveyScore.id, SurveyScore.assignment_id,
                                  SurveyScore.region_code, SurveyScore.outcome,
                                  SurveyScore.value).where(*scored)).all()
    undated = [aid for aid, (completed_at, _label) in assignments.items() if completed_at is None]
    score_times = dict(conn.execute(sa.select(SurveyScore.id, SurveyScore.scored_at).where(
        *scored, SurveyScore.assignment_id.in_(undated))).all()) if undated else {}
    moments: dict[int, tuple[datetime, int]] = {}

    def moment(instant: datetime) -> tuple[datetime, int]:
        when = instant.astimezone(clock.tz)
        return when, clock.day(when.date())

    out = []
    for score_id, aid, code, outcome, value in rows:
        completed_at, label = assignments[aid]
        if completed_at is None:
            when, day = moment(score_times[score_id])
        else:
            if aid not in moments:
                moments[aid] = moment(completed_at)
            when, day = moments[aid]
        out.append(Observation(code, region_label(code), outcome, day, when, value, label))
    return out


def _missed(db, patient_id, clock: _Clock, specs, library) -> list[Observation]:
    outcomes = library_outcomes(library)
    rows = db.exec(select(SurveyAssignment).where(SurveyAssignment.patient_id == patient_id,
                                                  SurveyAssignment.status == "missed")).all()
    out = []
    for a in rows:
        when = a.closes_at.astimezone(clock.tz)
        for instrument_id in a.instruments:
            per_region, scored = outcomes.get(instrument_id, (False, ()))
            for outcome in (o for o in scored if o in specs):
                for code in (a.regions if per_region else [""]):
                    out.append(Observation(code, region_label(code), outcome,
                                           clock.day(a.due_on), when, None, a.label, missed=True))
    return out


def session_numbers(sessions: Iterable) -> dict[int, int]:
    """Return {session id: its number on the timeline}; cancelled sessions get none."""
    kept = [s.id for s in sessions if s.status != "cancelled"]
    return {sid: number for number, sid in enumerate(kept, start=1)}


def _markers(sessions, records, clock: _Clock) -> list[SessionMarker]:
    numbers = session_numbers(sessions)
    markers = []
    for session in (s for s in sessions if s.id in numbers):
        when = session_instant(session).astimezone(clock.tz)
        treated = [TreatedRegion(region_label(r.region_code), r.injectate, r.concentration,
                                 r.volume_ml) for r in records[session.id]]
        markers.append(SessionMarker(clock.day(when.date()), when, numbers[session.id], treated,
                                     status=session.status, note=session.notes or None))
    return markers


def _csa_points(sessions, records, clock: _Clock, observations) -> list[CsaPoint]:
    pain: dict[str, list[Observation]] = {}
    for obs in observations:
        if obs.outcome == "pain" and obs.value is not None:
            pain.setdefault(obs.region_code, []).append(obs)
    points = []
    for session in sessions:
        day = clock.day(local_date(session_instant(session), clock.tz))
        for record in records[session.id]:
            if record.csa_mm2 is None:
                continue
            near = min(pain.get(record.region_code, []), default=None,
                       key=lambda o, d=day: (abs(o.day - d), o.day))
            points.append(CsaPoint(record.region_code, region_label(record.region_code), day,
                                   record.csa_mm2, near.value if near else None))
    return points


def outcome_summary(data: TrajectoryData,
                    specs: Mapping[str, OutcomeSpec] = DEFAULT_SPECS) -> list[dict]:
    """Return per outcome and region: baseline, latest, change (points, %) and responder label."""
    series: dict[tuple[str, str], list[Observation]] = {}
    for obs in data.observations:
        if obs.value is not None and obs.outcome in specs:
            series.setdefault((obs.outcome, obs.region_code), []).append(obs)
    order = list(specs)
    table = []
    for (outcome, _code), rows in sorted(series.items(), key=lambda k: (order.index(k[0][0]),
                                                                        k[0][1])):
        rows.sort(key=lambda o: (o.day, o.when))
        row = _summary_row(specs[outcome], rows)
        row["since_session"] = _responding_since(specs[outcome], rows, data.sessions,
                                                 row["baseline"])
        table.append(row)
    return table


GLANCE_OUTCOMES = ("pain", "paresthesia", "function")


def at_a_glance(summary: list[dict], outcomes: Iterable[str] = GLANCE_OUTCOMES) -> list[dict]:
    """Return the summary rows of the first of `outcomes` that has any: one per region, each
    with `change_text` ('−5 (−63%)', or '' before a follow-up) for the top of the page."""
    for outcome in outcomes:
        rows = [dict(r) for r in summary if r["outcome"] == outcome]
        if rows:
            for row in rows:
                row["change_text"] = ("" if row["points"] is None
                                      else format_change(row["points"], row["percent"]))
            return rows
    return []


def _responding_since(spec: OutcomeSpec, rows: list[Observation], sessions,
                      baseline: float | None) -> int | None:
    """Return the session after which the response became (and stayed) moderate or better."""
    if baseline is None or len(rows) < 2:
        return None
    start = None
    for obs in rows[1:]:
        good = responder_label(baseline, obs.value, spec.direction,
                               spec.mcid_points) in ("moderate", "substantial")
        start = (start or obs) if good else None
    if start is None:
        return None
    return sum(1 for s in sessions if s.day <= start.day) or None


def _summary_row(spec: OutcomeSpec, rows: list[Observation]) -> dict:
    latest = rows[-1]
    row = {"outcome": spec.outcome, "outcome_label": spec.label, "region_label":
           rows[0].region_label, "n": len(rows), "latest": latest.value,
           "latest_day": latest.day, "baseline": None, "points": None, "percent": None,
           "label": "no follow-up yet"}
    if spec.responder_max is not None:
        row["label"] = "responder" if latest.value <= spec.responder_max else "not a responder"
        return row
    baseline = find_baseline((o.day, o.value) for o in rows)
    row["baseline"] = baseline
    if len(rows) > 1:
        points, percent = change_from_baseline(baseline, latest.value, spec.direction)
        row.update(points=points, percent=percent,
                   label=responder_label(baseline, latest.value, spec.direction,
                                         spec.mcid_points))
    return row
