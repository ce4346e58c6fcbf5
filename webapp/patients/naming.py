"""Follow-ups by name for coordinators: "Before session 3", "1 month after the last session".

A repeated timepoint's slot carries a session id or a repeat number ("pre-session:41",
"weekly:2"); coordinators read the session's number in its course instead, in the same words as
the clinician's pages (``webapp.care.timelines``), never a slot or a timepoint key.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session

from scheduler.protocol import parse_protocol
from webapp.care.timelines import REPEATED_NAMES, plain_rows
from webapp.models import ProtocolVersion, SurveyAssignment, TreatmentCourse, TreatmentSession


def occurrence_name(label: str, slot: str, session_numbers: dict[int, int],
                    per_session: bool) -> str:
    """One follow-up's name: its label, with the session or repeat it belongs to."""
    key, _sep, suffix = slot.partition(":")
    if not (suffix.isascii() and suffix.isdecimal()):
        return label
    number = int(suffix)
    if per_session:
        number = session_numbers.get(number, number)
    template = REPEATED_NAMES.get(key)
    if template:
        return template.format(n=number)
    return f"{label} (session {number})" if per_session else f"{label} ({number})"


def _session_numbers(db: Session, course_ids: set[int]) -> dict[int, int]:
    when = sa.func.coalesce(TreatmentSession.performed_at, TreatmentSession.scheduled_at)
    rows = plain_rows(db, sa.select(TreatmentSession.course_id, TreatmentSession.id)
                      .where(TreatmentSession.course_id.in_(course_ids),
                             TreatmentSession.status != "cancelled")
                      .order_by(TreatmentSession.course_id, when, TreatmentSession.id))
    numbers, counts = {}, {}
    for course_id, session_id in rows:
        counts[course_id] = counts.get(course_id, 0) + 1
        numbers[session_id] = counts[course_id]
    return numbers


def _per_session_keys(db: Session, course_ids: set[int]) -> dict[int, frozenset[str]]:
    rows = plain_rows(db, sa.select(TreatmentCourse.id, ProtocolVersion.id,
                                    ProtocolVersion.definition)
                      .join(ProtocolVersion,
                            ProtocolVersion.id == TreatmentCourse.protocol_version_id)
                      .where(TreatmentCourse.id.in_(course_ids)))
    by_version: dict[int, frozenset[str]] = {}
    out = {}
    for course_id, version_id, definition in rows:
        if version_id not in by_version:
            by_version[version_id] = frozenset(
                tp.key for tp in parse_protocol(definition).timepoints
                if tp.anchor == "every_session")
        out[course_id] = by_version[version_id]
    return out


def occurrence_names(db: Session, assignments: Iterable[SurveyAssignment]) -> dict[int, str]:
    """{assignment id: its name} for follow-ups of any courses, in three queries."""
    rows = list(assignments)
    course_ids = {a.course_id for a in rows}
    if not course_ids:
        return {}
    numbers = _session_numbers(db, course_ids)
    keys = _per_session_keys(db, course_ids)
    return {a.id: occurrence_name(a.label, a.slot, numbers,
                                  a.timepoint_key in keys.get(a.course_id, frozenset()))
            for a in rows}
