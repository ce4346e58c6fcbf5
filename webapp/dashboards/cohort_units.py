"""The units of a cohort analysis: each course's nerve regions (or its index region), with the
subgroups each one belongs to, for the courses the filters keep.

Three set-based queries (courses, regions, and only when a split or filter needs them the
procedure records aggregated per region and injectate) whatever the number of patients. Day 0
is the course's first performed session, else its first scheduled one (webapp.care.timelines).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa

from webapp.care.timelines import plain_rows
from webapp.dashboards.cohort_filters import CohortQuery
from webapp.dashboards.cohort_groups import (
    injectate_group,
    sessions_band,
    site_key,
    tag_keys,
    volume_band,
)
from webapp.dashboards.cohort_sql import driver_rows, epoch_days, first_session_at
from webapp.models import (
    CourseRegion,
    Patient,
    ProcedureRecord,
    ProtocolVersion,
    TreatmentCourse,
    TreatmentSession,
)

PATIENT_LEVEL = ""  # the region code of scores asked once per patient (PSFS, PGIC)
NOT_RECORDED = {"injectate": injectate_group({}), "volume": volume_band(None)}


@dataclass(slots=True)
class Unit:
    """One analysis unit (a course's region, or '' for a patient-level score) and its answers:
    the timeline (for durability) and the value that counts at each named timepoint."""

    course_id: int
    patient_id: int
    region: str
    groups: tuple[str, ...]
    answers: dict = field(default_factory=dict)  # assignment id -> (score id, value, day)
    series: list = field(default_factory=list)  # (days since day 0, value) of every answer
    cells: dict = field(default_factory=dict)  # named timepoint -> the value that counts


@dataclass(frozen=True)
class Course:
    """What the analysis needs about one course."""

    id: int
    patient_id: int
    timezone: str
    first_day: float  # day 0 in epoch days (see cohort_sql.epoch_days)
    performed: int
    tags: tuple[str, ...]
    index_region: str | None


@lru_cache(maxsize=4096)
def _tags(text: str | None) -> tuple[str, ...]:
    # Most patients carry the same few tag lists: parse each once.
    try:
        return tag_keys(json.loads(text) if text else ())
    except ValueError:
        return tag_keys(())


def load_courses(db, query: CohortQuery) -> dict[int, Course]:
    """Return {course id: Course} of live patients' courses with a day 0, as filtered."""
    first = first_session_at().subquery()
    select = (sa.select(TreatmentCourse.id, TreatmentCourse.patient_id, Patient.timezone,
                        epoch_days(first.c.at), first.c.performed,
                        sa.cast(Patient.tags, sa.Text), TreatmentCourse.index_region_code)
              .join(Patient, Patient.id == TreatmentCourse.patient_id)
              .join(first, first.c.course_id == TreatmentCourse.id)
              .where(Patient.erased_at.is_(None)))
    if query.exclude_synthetic:
        select = select.where(Patient.synthetic.is_(False))
    if query.protocol_id is not None:
        select = select.join(ProtocolVersion,
                             ProtocolVersion.id == TreatmentCourse.protocol_version_id)
        select = select.where(ProtocolVersion.protocol_id == query.protocol_id)
    if query.first_from:
        select = select.where(first.c.at >= _utc(query.first_from))
    if query.first_to:
        select = select.where(first.c.at < _utc(query.first_to) + timedelta(days=1))
    return {cid: Course(cid, pid, tz, day, performed or 0, _tags(tags), index)
            for cid, pid, tz, day, performed, tags, index in plain_rows(db, select)}


def _utc(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def course_tags(db) -> frozenset[str]:
    """Return every tag live patients carry (the allow-list of the tag subgroup)."""
    rows = plain_rows(db, sa.select(sa.cast(Patient.tags, sa.Text)).distinct()
                      .where(Patient.erased_at.is_(None)))
    return frozenset(tag for (text,) in rows for tag in _tags(text) if tag)


def _regions(db, courses) -> dict[int, list[tuple[str, str, str, str]]]:
    rows = driver_rows(db, sa.select(CourseRegion.course_id, CourseRegion.region_code,
                                     CourseRegion.nerve, CourseRegion.side, CourseRegion.site)
                       .order_by(CourseRegion.id))
    regions: dict[int, list] = {}
    for cid, code, nerve, side, site in rows:
        if cid in courses:
            regions.setdefault(cid, []).append((code, nerve, side, site))
    return regions


def _procedures(db) -> dict[tuple[int, str], dict[str, str]]:
    """Return {(course, region): {"injectate": its group, "volume": its band}} from the
    procedure records of performed sessions, counted per region and injectate in SQL."""
    rows = driver_rows(db, sa.select(TreatmentSession.course_id, ProcedureRecord.region_code,
                                     ProcedureRecord.injectate, sa.func.count(),
                                     sa.func.sum(ProcedureRecord.volume_ml),
                                     sa.func.count(ProcedureRecord.volume_ml))
                       .join(TreatmentSession,
                             TreatmentSession.id == ProcedureRecord.session_id)
                       .where(TreatmentSession.status == "performed")
                       .group_by(TreatmentSession.course_id, ProcedureRecord.region_code,
                                 ProcedureRecord.injectate))
    grouped: dict[tuple[int, str], list] = {}
    for cid, code, injectate, sessions, volume, measured in rows:
        counts, totals = grouped.setdefault((cid, code), [{}, [0.0, 0]])
        counts[injectate] = sessions
        totals[0] += float(volume or 0)
        totals[1] += measured
    return {key: {"injectate": injectate_group(counts),
                  "volume": volume_band(total / n if n else None)}
            for key, (counts, (total, n)) in grouped.items()}


class _Region(NamedTuple):
    code: str
    nerve: str
    site: str
    bilateral: bool


def _groups(dimension: str, course: Course, region: _Region, procedures) -> tuple[str, ...]:
    if dimension == "none":
        return ("all",)
    if dimension == "tag":
        return course.tags
    if dimension in ("injectate", "volume"):
        found = procedures.get((course.id, region.code))
        return (found[dimension] if found else NOT_RECORDED[dimension],)
    return ({"nerve": region.nerve, "site": site_key(region.nerve, region.site),
             "side": "both" if region.bilateral else "one",
             "sessions": sessions_band(course.performed)}[dimension],)


def _course_regions(rows) -> list[_Region]:
    sites: dict[str, set[str]] = {}
    for _, nerve, side, site in rows:
        sites.setdefault(site_key(nerve, site), set()).add(side)
    return [_Region(code, nerve, site, len(sites[site_key(nerve, site)]) > 1)
            for code, nerve, side, site in rows]


def build_units(db, query: CohortQuery, courses: dict[int, Course]) -> dict[tuple, Unit]:
    """Return {(course id, region code): Unit} for the query's unit, split and filter; a
    course's patient-level unit ('' region) takes the subgroups of its index region."""
    needs = {query.split, query.only[0] if query.only else "none"}
    procedures = _procedures(db) if needs & {"injectate", "volume"} else {}
    units: dict[tuple, Unit] = {}
    for cid, rows in _regions(db, courses).items():
        course = courses[cid]
        regions = _course_regions(rows)
        index = next((r for r in regions if r.code == course.index_region), regions[0])
        for region in regions:
            if query.unit == "patient" and region is not index:
                continue
            if query.only and query.only[1] not in _groups(query.only[0], course, region,
                                                           procedures):
                continue
            groups = _groups(query.split, course, region, procedures)
            units[(cid, region.code)] = Unit(cid, course.patient_id, region.code, groups)
            if region is index:  # the course's patient-level scores follow its index region
                units[(cid, PATIENT_LEVEL)] = Unit(cid, course.patient_id, PATIENT_LEVEL, groups)
    return units
