"""From settled answers to the numbers a trial paper reports, with charts' pure statistics.

Per timepoint and subgroup: charts.trial_table rows (complete cases). Between two subgroups:
charts.trial_table.compare_groups (Welch difference, Hedges' g): observational, never an effect
of the injectate. How long responses last: charts.survival (Kaplan-Meier via scipy) and the
median share of follow-up spent as a responder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from charts.data import DEFAULT_SPECS
from charts.survival import (
    KaplanMeier,
    ResponderRule,
    kaplan_meier_by_group,
    median_share,
    region_response,
)
from charts.trial_table import (
    GroupComparison,
    RegionValue,
    TrialRow,
    build_trial_rows,
    compare_groups,
)
from webapp.dashboards.cohort_filters import CohortQuery
from webapp.dashboards.cohort_timepoints import NamedTimepoint
from webapp.dashboards.cohort_units import Unit

PGIC_RESPONDER_MAX = 2.0  # much or very much improved (1 = very much improved)
RISK_DAYS = (0, 30, 91, 182, 365)


@dataclass(frozen=True)
class OutcomeRule:
    """How an outcome reads: direction, MCID in points, and the PGIC responder ceiling."""

    direction: str
    mcid: float | None
    responder_max: float | None = None

    @property
    def responder(self) -> ResponderRule:
        """The rule a response must meet to start or keep a response (>= 30 % and the MCID)."""
        return ResponderRule(self.direction, self.mcid, "moderate", self.responder_max)


def outcome_rule(outcome: str) -> OutcomeRule:
    """Return the rule of one of the cohort outcomes (charts.data.DEFAULT_SPECS)."""
    spec = DEFAULT_SPECS[outcome]
    if outcome == "pgic":
        return OutcomeRule(spec.direction, None, PGIC_RESPONDER_MAX)
    return OutcomeRule(spec.direction, spec.mcid_points)


@dataclass(frozen=True)
class Durable:
    """One subgroup's durability: the Kaplan-Meier curve and the median responder share."""

    group: str
    curve: KaplanMeier
    units: int
    median_share: float | None


@dataclass
class CohortAnalysis:
    """Everything the cohort page and the trial table show for one query."""

    query: CohortQuery
    rule: OutcomeRule
    timepoints: list[NamedTimepoint]
    groups: list[str]
    rows: list[TrialRow]
    units: int = 0
    patients: int = 0
    with_baseline: int = 0
    comparison: list[GroupComparison] = field(default_factory=list)
    durability: list[Durable] = field(default_factory=list)
    reassigned: int = 0


def region_values(units: dict[tuple, Unit], baseline: str | None, labels: dict[str, str], *,
                  pgic: bool = False) -> list[RegionValue]:
    """Return one RegionValue per complete-case unit, answered timepoint and subgroup the unit
    is in (PGIC rates change itself: it needs no baseline)."""
    values = []
    for key, unit in units.items():
        cells = unit.cells
        start = cells.get(baseline) if baseline else None
        if not cells or (start is None and not pgic):
            continue
        patient = unit.patient_id
        for group in unit.groups:
            label = labels.get(group, group)
            values.extend([RegionValue(patient, key, label, timepoint, start, value)
                           for timepoint, value in cells.items()])
    return values


def group_order(values: list[RegionValue], labels: dict[str, str]) -> list[str]:
    """Return the subgroups present, largest first (units at any timepoint), then by name."""
    sizes: dict[str, set] = {}
    for value in values:
        if value.region not in sizes.setdefault(value.group, set()):
            sizes[value.group].add(value.region)
    order = {label: index for index, label in enumerate(labels.values())}
    return sorted(sizes, key=lambda g: (-len(sizes[g]), order.get(g, len(order)), g))


def trial_rows(values, rule: OutcomeRule, timepoints: list[NamedTimepoint],
               groups: list[str]) -> list[TrialRow]:
    """Return charts.trial_table rows in timepoint, then subgroup order."""
    return build_trial_rows(values, direction=rule.direction, mcid=rule.mcid,
                            responder_max=rule.responder_max,
                            timepoints=[(t.name, t.label) for t in timepoints], groups=groups)


def comparisons(values, rule: OutcomeRule, timepoints, pair) -> list[GroupComparison]:
    """Compare two subgroups at every timepoint after baseline (Welch, Hedges' g)."""
    if pair is None:
        return []
    by_timepoint: dict[str, list[RegionValue]] = {}
    for value in values:
        if value.group in pair:
            by_timepoint.setdefault(value.timepoint, []).append(value)
    measure = "value" if rule.responder_max is not None else "change"
    return [compare_groups(by_timepoint.get(t.name, []), t.name, *pair, measure=measure)
            for t in timepoints if not t.is_baseline]


def durability(units: dict[tuple, Unit], baseline: str | None,
               rule: OutcomeRule, labels: dict[str, str], order: list[str]) -> list[Durable]:
    """Return each subgroup's Kaplan-Meier curve of time from first response to loss of
    response, and its median share of follow-up spent as a responder."""
    times: dict[str, list[tuple[float, bool]]] = {group: [] for group in order}
    shares: dict[str, list[float | None]] = {group: [] for group in order}
    responder = rule.responder
    for unit in units.values():
        start = unit.cells.get(baseline) if baseline else None
        if start is None and rule.responder_max is None or not unit.series:
            continue  # no baseline: no response can be judged
        response, share = region_response(unit.series, start, responder)
        for group in unit.groups:
            label = labels.get(group, group)
            if label in shares:
                shares[label].append(share)
                if response.time is not None:
                    times[label].append((response.time, response.lost))
    curves = kaplan_meier_by_group(times, RISK_DAYS)
    return [Durable(group, curves[group], len(shares[group]), median_share(shares[group]))
            for group in order]
