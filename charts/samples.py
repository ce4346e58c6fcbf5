"""Synthetic, seeded example data for demos and benchmarks (always marked synthetic)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from charts.cohort import CohortRow
from charts.data import CsaPoint, Observation, SessionMarker, TrajectoryData, TreatedRegion

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
SCLERODERMA_REGIONS = (
    ("l_median_forearm", "Left median (forearm)"),
    ("l_ulnar_elbow", "Left ulnar (elbow)"),
    ("l_mabc_forearm", "Left medial antebrachial cutaneous"),
    ("r_median_wrist", "Right median (wrist)"),
    ("l_common_fibular", "Left common fibular (knee)"),
    ("l_superficial_fibular", "Left superficial fibular (leg)"),
    ("r_dorsal_foot", "Right dorsal cutaneous nerves (foot)"),
)
MONTH_DAYS = (30, 91, 182, 365)


def scleroderma_case(seed: int = 7) -> TrajectoryData:
    """Return a synthetic case shaped like Gharaei 2025: 7 regions, weekly sessions weeks 0-6."""
    sessions = [7 * week for week in range(7)]
    followups = [(f"{m} after last session", 42 + d)
                 for m, d in zip(("1 month", "3 months", "6 months", "12 months"), MONTH_DAYS,
                                 strict=True)]
    return synthetic_trajectory(SCLERODERMA_REGIONS, sessions, followups, seed, missed={"3 months"})


def long_follow_up_case(regions: int = 8, weeks: int = 104, seed: int = 11) -> TrajectoryData:
    """Return a synthetic patient with `regions` regions answered weekly for `weeks` weeks."""
    codes = [(f"region_{i}", f"Region {i + 1}") for i in range(regions)]
    followups = [(f"week {w}", 7 * w) for w in range(7, weeks + 1)]
    return synthetic_trajectory(codes, [7 * w for w in range(7)], followups, seed, missed=set())


def synthetic_trajectory(regions, session_days, followups, seed, missed) -> TrajectoryData:
    """Return seeded observations for pain/paresthesia per region and function/PGIC overall."""
    rng = random.Random(seed)
    timepoints = [(f"before session {i + 1}", d) for i, d in enumerate(session_days)]
    timepoints += list(followups)
    observations = []
    for code, label in regions:
        for outcome in ("pain", "paresthesia"):
            start = rng.uniform(6, 9)
            observations += _series(rng, code, label, outcome, timepoints, start, missed)
    observations += _series(rng, "", "", "function", timepoints, rng.uniform(2, 4), missed)
    observations += _series(rng, "", "", "pgic", timepoints[1:], 4.0, missed)
    sessions = [_session(i, d, regions) for i, d in enumerate(session_days)]
    csa = [CsaPoint(code, label, d, round(rng.uniform(9, 14) - i * 0.4, 1),
                    round(rng.uniform(5, 8) - i, 1))
           for code, label in regions[:2] for i, d in enumerate(session_days[::3])]
    return TrajectoryData("Synthetic patient", observations, sessions, csa, synthetic=True)


def _series(rng, code, label, outcome, timepoints, start, missed) -> list[Observation]:
    out = []
    for index, (name, day) in enumerate(timepoints):
        progress = min(index / 6, 1.0)
        if outcome == "function":
            value = start + (10 - start) * progress
        elif outcome == "pgic":
            value = 4 - 3 * progress
        else:
            value = start * (1 - 0.9 * progress)
        value = min(max(round(value + rng.uniform(-0.8, 0.8)), 0), 10)
        if outcome == "pgic":
            value = min(max(value, 1), 7)
        gone = any(name.startswith(m) for m in missed)
        out.append(Observation(code, label, outcome, day, START + timedelta(days=day),
                               None if gone else float(value), name, missed=gone))
    return out


def _session(index: int, day: float, regions) -> SessionMarker:
    treated = [TreatedRegion(label, "dextrose", "5%", 4.0) for _, label in regions]
    treated.append(TreatedRegion("Trigger points (left arm)", "dextrose", "15%", 2.0))
    return SessionMarker(day, START + timedelta(days=day), index + 1, treated)


def synthetic_cohort(patients: int, seed: int = 3) -> list[CohortRow]:
    """Return ~15 timepoints x 2 outcomes (pain, function) per synthetic patient."""
    rng = random.Random(seed)
    weeks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 18, 24, 36, 52]
    nerves = (("median", "Median"), ("ulnar", "Ulnar"), ("lfcn", "Lateral femoral cutaneous"))
    rows = []
    for p in range(patients):
        nerve, nerve_label = nerves[p % len(nerves)]
        for outcome, start, good in (("pain", rng.uniform(4, 9), -1), ("function",
                                     rng.uniform(1, 5), 1)):
            effect = rng.uniform(0, 0.8)
            for week in weeks:
                done = week == 0 or rng.random() < 0.8
                value = start + good * effect * min(week, 6) / 6 * (10 if good > 0 else start)
                value = round(min(max(value + rng.uniform(-1, 1), 0), 10))
                rows.append(CohortRow(f"p{p}", nerve, nerve_label, outcome, week, f"week {week}",
                                      round(start), value if done else None, done))
    return rows
