"""The seeded demo shows what it was built to show, read through the cohort analysis.

Carpal tunnel on D5W improves at 1, 3 and 6 months (CIs below zero), responds more often than on
saline or anaesthetic and keeps its responses, which fade on the others; responders respond and
worseners worsen.
"""

from __future__ import annotations

from datetime import date

from charts.stats import summarise
from webapp.dashboards.cohort import analyse_cohort
from webapp.dashboards.cohort_answers import answer_rows, settle
from webapp.dashboards.cohort_filters import CohortQuery
from webapp.dashboards.cohort_timepoints import load_timepoint_plan
from webapp.dashboards.cohort_units import build_units, load_courses
from webapp.demo.plans import synthetic_cohort
from webapp.demo.seed import seed_demo
from webapp.models import Patient

TODAY = date(2026, 11, 21)
CARPAL_TUNNEL = ("site", "median-carpal-tunnel")


def _row(analysis, label: str, group: str):
    return next(r for r in analysis.rows if r.label == label and r.group == group)


def _changes_by_class(db, label: str) -> dict[str, list[float]]:
    """Change from baseline at one timepoint of every synthetic region, by planned class."""
    classes = {p.code: p.response for p in synthetic_cohort(TODAY)}
    codes = dict(db.exec(Patient.__table__.select().with_only_columns(
        Patient.id, Patient.study_code)).all())
    query = CohortQuery()
    courses = load_courses(db, query)
    units = build_units(db, query, courses)
    plan = load_timepoint_plan(db)
    settle(db, answer_rows(db, "pain"), units, courses, plan, "pain")
    name = next(n.name for n in plan.by_name({c for u in units.values() for c in u.cells})
                if n.label == label)
    changes: dict[str, list[float]] = {}
    for unit in units.values():
        if name in unit.cells and plan.baseline in unit.cells:
            group = classes.get(codes[unit.patient_id], "case")
            changes.setdefault(group, []).append(unit.cells[name] - unit.cells[plan.baseline])
    return changes


def test_the_demo_shows_d5w_carpal_tunnel_against_other_injectates(db):
    seed_demo(session=db, today=TODAY)
    analysis = analyse_cohort(db, CohortQuery(split="injectate", only=CARPAL_TUNNEL,
                                              compare=("D5W", "saline")))
    assert analysis.groups == ["D5W", "Saline", "Anaesthetic"]
    for label in ("1 month", "3 months", "6 months"):
        change = _row(analysis, label, "D5W").change
        assert change.n >= 15 and change.mean < 0 and change.ci_high < 0, (label, change)
    d5w, saline, anaesthetic = (_row(analysis, "6 months", g).responders_30
                                for g in ("D5W", "Saline", "Anaesthetic"))
    assert d5w.share > 0.5 > max(saline.share, anaesthetic.share)
    curves = {d.group: d.curve for d in analysis.durability}
    assert curves["D5W"].median is None  # most D5W responses last: median not reached
    assert curves["Saline"].median is not None and curves["Saline"].median < 182
    shares = {d.group: d.median_share for d in analysis.durability}
    assert shares["D5W"] > shares["Saline"] >= shares["Anaesthetic"]
    later = [c for c in analysis.comparison if c.timepoint == "m6"][0]
    assert later.difference.difference < 0  # D5W - saline: more improvement on D5W


def test_responders_respond_and_worseners_worsen(db):
    seed_demo(session=db, today=TODAY)
    changes = _changes_by_class(db, "3 months")
    responders, worse = summarise(changes["responder"]), summarise(changes["worse"])
    assert responders.n >= 20 and responders.ci_high < -2
    assert worse.n >= 4 and worse.mean > 0
    assert summarise(changes["non-responder"]).mean > responders.mean
    assert changes["case"] and max(changes["case"]) <= -5  # the published case, well at 3 months
