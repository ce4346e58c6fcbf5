"""The cohort analysis for one query: set-based queries, then charts' pure statistics.

A fixed handful of queries whatever the number of patients (courses, regions, procedures when a
split needs them, session numbers, the outcome's scores); day numbers come from the database;
the rest is one pass in Python over plain tuples. See cohort_units (what a unit is and its
subgroups), cohort_answers (which answer counts at which timepoint) and cohort_analysis (the
statistics).
"""

from __future__ import annotations

from sqlalchemy import case
from sqlmodel import Session, func, select

from webapp.dashboards.cohort_analysis import (
    CohortAnalysis,
    comparisons,
    durability,
    group_order,
    outcome_rule,
    region_values,
    trial_rows,
)
from webapp.dashboards.cohort_answers import answer_rows, settle
from webapp.dashboards.cohort_filters import CohortQuery
from webapp.dashboards.cohort_groups import vocabulary
from webapp.dashboards.cohort_timepoints import load_timepoint_plan
from webapp.dashboards.cohort_units import build_units, load_courses
from webapp.gc_pause import paused_gc
from webapp.models import Patient, Protocol


def analyse_cohort(db: Session, query: CohortQuery, tags: frozenset[str] = frozenset(), *,
                   with_durability: bool = True) -> CohortAnalysis:
    """Return the timepoint table, comparison and durability of one outcome, as queried."""
    # Tens of thousands of small tuples, none in a cycle (webapp/gc_pause.py). They are all
    # freed before the collector is back on, so it has nothing to walk when it restarts.
    with paused_gc():
        return _analyse(db, query, tags, with_durability)


def _analyse(db: Session, query: CohortQuery, tags: frozenset[str],
             with_durability: bool) -> CohortAnalysis:
    rule = outcome_rule(query.outcome)
    plan = load_timepoint_plan(db)
    courses = load_courses(db, query)
    units = build_units(db, query, courses)
    reassigned = settle(db, answer_rows(db, query.outcome), units, courses, plan,
                        query.outcome)
    labels = vocabulary(query.split, tags)
    baseline = plan.baseline
    values = region_values(units, baseline, labels, pgic=rule.responder_max is not None)
    timepoints = plan.by_name({value.timepoint for value in values})
    groups = group_order(values, labels)
    analysis = CohortAnalysis(query, rule, timepoints, groups,
                              trial_rows(values, rule, timepoints, groups))
    analysis.comparison = comparisons(values, rule, timepoints, _pair(query, labels, groups))
    if with_durability:
        analysis.durability = durability(units, baseline, rule, labels, groups)
    _count(analysis, units, baseline)
    analysis.reassigned = len(reassigned)
    return analysis


def _pair(query: CohortQuery, labels: dict[str, str], groups: list[str]):
    """The two subgroups to compare: the ones asked for if present, else the two largest."""
    if query.compare:
        asked = tuple(labels.get(key) for key in query.compare)
        if all(label in groups for label in asked):
            return asked
    return tuple(groups[:2]) if len(groups) >= 2 else None


def _count(analysis: CohortAnalysis, units, baseline) -> None:
    answered = [unit for unit in units.values() if unit.cells]
    analysis.units = len(answered)
    analysis.patients = len({unit.patient_id for unit in answered})
    analysis.with_baseline = sum(1 for unit in answered if baseline in unit.cells)


def cohort_counts(db: Session) -> tuple[int, int]:
    """Return (patients, synthetic patients) among the live patients."""
    synthetic = func.count(case((Patient.synthetic.is_(True), 1)))
    total, made_up = db.exec(select(func.count(), synthetic)
                             .where(Patient.erased_at.is_(None))).one()
    return total, made_up


def protocol_names(db: Session) -> dict[int, str]:
    """Return {protocol id: name} of every protocol (the protocol filter's allow-list)."""
    return dict(db.exec(select(Protocol.id, Protocol.name).order_by(Protocol.name)).all())
