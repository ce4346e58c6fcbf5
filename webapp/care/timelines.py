"""Course timelines in bulk: owner, zone, day 0, nerves and session numbers of many courses.

A handful of queries load plain columns for every course at once, so the cost grows with the
rows read, never with one round trip per patient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.protocol import parse_protocol
from webapp.models import (
    CourseRegion,
    Patient,
    ProtocolVersion,
    TreatmentCourse,
    TreatmentSession,
    UTCDateTime,
)

REPEATED_NAMES = {"pre-session": "Before session {n}", "after-session": "After session {n}",
                  "weekly": "Weekly check {n}"}


def day_zero(sessions: Iterable[tuple[datetime, str]]) -> datetime | None:
    """Return a course's day 0: the first performed session, else the first scheduled one.

    `sessions` are (instant, status) pairs; cancelled sessions never count.
    """
    live = [(at, status) for at, status in sessions if status != "cancelled"]
    performed = [at for at, status in live if status == "performed"]
    return min(performed) if performed else min((at for at, _ in live), default=None)


@dataclass(frozen=True)
class CourseInfo:
    """What set-based code needs about one course: owner, zone, anchors, nerves, sessions."""

    patient_id: int
    tz: ZoneInfo
    first: date | None
    last: date | None
    nerves: tuple[str, ...]
    session_numbers: dict[int, int] = field(default_factory=dict)
    per_session_keys: frozenset[str] = frozenset()

    def timepoint_name(self, slot: str, label: str) -> str:
        """Return 'Before session 3' for a per-session slot, 'Weekly check 2' for a repeat."""
        key, _, suffix = slot.partition(":")
        if not suffix.isdigit():
            return label
        number = int(suffix)
        if key in self.per_session_keys:  # the planner names these slots by session id
            number = self.session_numbers.get(number, number)
        return REPEATED_NAMES.get(key, label + " ({n})").format(n=number)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _per_session_keys(db: Session) -> dict[int, frozenset[str]]:
    """Return {protocol version id: keys of its timepoints anchored on every session}."""
    return {vid: frozenset(tp.key for tp in parse_protocol(definition).timepoints
                           if tp.anchor == "every_session")
            for vid, definition in db.exec(select(ProtocolVersion.id,
                                                  ProtocolVersion.definition)).all()}


def course_infos(db: Session, patient_ids: Iterable[int] | None = None) -> dict[int, CourseInfo]:
    """Return {course id: CourseInfo} for live patients (all of them when ids is None)."""
    query = (sa.select(TreatmentCourse.id, Patient.id, Patient.timezone,
                    TreatmentCourse.protocol_version_id)
             .join(Patient, Patient.id == TreatmentCourse.patient_id)
             .where(Patient.erased_at.is_(None)))
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    owners = {cid: (pid, _zone(tz), vid) for cid, pid, tz, vid in plain_rows(db, query)}
    timelines = _timelines(db, owners)
    keys = _per_session_keys(db)
    regions: dict[int, list[str]] = {}
    for cid, nerve in plain_rows(db, sa.select(CourseRegion.course_id, CourseRegion.nerve)
                                 .order_by(CourseRegion.id)):
        if cid in owners:
            regions.setdefault(cid, []).append(nerve)
    infos = {}
    for cid, (pid, tz, vid) in owners.items():
        first, last, numbers = timelines.get(cid, (None, None, {}))
        infos[cid] = CourseInfo(pid, tz, first and first.astimezone(tz).date(),
                                last and last.astimezone(tz).date(),
                                tuple(dict.fromkeys(regions.get(cid, []))), numbers,
                                keys.get(vid, frozenset()))
    return infos


def _timelines(db, owners) -> dict[int, tuple[datetime, datetime, dict[int, int]]]:
    """Return {course: (first performed else first scheduled, last session, {id: number})}."""
    live: dict[int, list[tuple[datetime, int, str]]] = {}
    # One timestamp per session (performed, else scheduled): on SQLite each one is parsed from
    # text, and 5,000 patients have 15,000 sessions.
    when = sa.type_coerce(sa.func.coalesce(TreatmentSession.performed_at,
                                           TreatmentSession.scheduled_at), UTCDateTime())
    rows = plain_rows(db, sa.select(TreatmentSession.course_id, TreatmentSession.id,
                                    TreatmentSession.status, when)
                      .where(TreatmentSession.status != "cancelled"))
    for cid, sid, status, at in rows:
        if cid in owners:
            live.setdefault(cid, []).append((at, sid, status))
    out = {}
    for cid, sessions in live.items():
        sessions.sort()
        first = day_zero((at, status) for at, _, status in sessions)
        out[cid] = (first, sessions[-1][0],
                    {sid: number for number, (_, sid, _) in enumerate(sessions, start=1)})
    return out


def plain_rows(db: Session, query) -> list:
    """Run a column query on the session's connection: plain tuples, no ORM row processing."""
    return db.connection().execute(query).all()
