"""Tidy long-form CSV of scores: one row per patient, timepoint, instrument, region and score.

Spreadsheet formula injection: a *text* cell that starts with = + - @, a tab or a carriage
return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it.
Numbers (scores, day counts, which may be negative) are written as plain numbers and never
prefixed: -3 days is a number, not a formula. Only text cells can carry a formula.

Days are counted in the patient's local calendar from the date the patient answered (the due
date if the timepoint was never completed) to the course's first session (first performed,
else first scheduled) and to its last non-cancelled session; before that session they are
negative. Erased patients are never exported.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC

from sqlmodel import Session, select

from charts.csv_cells import neutralise
from webapp.care.timelines import course_infos
from webapp.models import Patient, SurveyAssignment, SurveyScore

COLUMNS = ("study_code", "synthetic", "timepoint_key", "timepoint_label", "due_on",
           "completed_at", "instrument_id", "region_code", "score_id", "outcome", "value",
           "days_since_first_session", "days_since_last_session")


def _number(value: float | None):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def _days(day, anchor):
    return "" if anchor is None else (day - anchor).days


def export_rows(db: Session, patient_id: int | None = None) -> list[dict]:
    """Return the export rows for one live patient, or for every live patient."""
    query = (select(Patient.study_code, Patient.synthetic, SurveyAssignment.course_id,
                    SurveyAssignment.timepoint_key, SurveyAssignment.label,
                    SurveyAssignment.due_on, SurveyAssignment.completed_at,
                    SurveyScore.instrument_id, SurveyScore.region_code, SurveyScore.score_id,
                    SurveyScore.outcome, SurveyScore.value)
             .join(SurveyAssignment, SurveyAssignment.id == SurveyScore.assignment_id)
             .join(Patient, Patient.id == SurveyScore.patient_id)
             .where(Patient.erased_at.is_(None))
             .order_by(Patient.study_code, SurveyAssignment.due_on, SurveyAssignment.id,
                       SurveyScore.instrument_id, SurveyScore.region_code, SurveyScore.score_id))
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    infos = course_infos(db, None if patient_id is None else [patient_id])
    rows = []
    for (code, synthetic, cid, key, label, due_on, completed_at, instrument, region, score_id,
         outcome, value) in db.exec(query).all():
        info = infos.get(cid)
        when = completed_at.astimezone(info.tz).date() if completed_at and info else due_on
        rows.append({
            "study_code": code, "synthetic": "true" if synthetic else "false",
            "timepoint_key": key, "timepoint_label": label, "due_on": due_on.isoformat(),
            "completed_at": completed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if completed_at else "",
            "instrument_id": instrument, "region_code": region, "score_id": score_id,
            "outcome": outcome, "value": _number(value),
            "days_since_first_session": _days(when, info.first if info else None),
            "days_since_last_session": _days(when, info.last if info else None),
        })
    return rows


def export_csv(rows: list[dict]) -> str:
    """Return the rows as CSV text with a header, every text cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row[column]) for column in COLUMNS])
    return buffer.getvalue()
