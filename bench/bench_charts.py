"""Benchmark the chart builders on seeded synthetic data.

Run: /work/main/.venv/bin/python bench/bench_charts.py [--quick]
Prints the median of several repetitions, the ratio to a bare serialisation baseline
(same points, one plain scatter trace per series, to_json) and PASS/FAIL against the targets.
Our side is built as plain figure dicts and serialised with charts.assets.figure_payload, as the
patient page sends it; a second line shows the same through go.Figure objects.
Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly.graph_objects as go  # noqa: E402

from charts.assets import figure_payload  # noqa: E402
from charts.cohort import build_cohort_view  # noqa: E402
from charts.samples import long_follow_up_case, scleroderma_case, synthetic_cohort  # noqa: E402
from charts.trajectory import (  # noqa: E402
    build_csa_dict,
    build_csa_figure,
    build_trajectory_dicts,
    build_trajectory_figures,
)
from webapp.dashboards.plotly_bundle import default_asset_dir, resolve_bundle  # noqa: E402

PATIENT_TARGET_S = 0.050
COHORT_TARGET_S = 1.5


def describe_bundle(bundle) -> str:
    """One line: which plotly.js bundle is served and its size raw and gzipped."""
    return (f"plotly.js served: {bundle.kind} bundle {bundle.version}, "
            f"{bundle.size / 1e6:.2f} MB raw ({bundle.size:,} bytes), "
            f"{len(bundle.gzipped) / 1e3:.0f} KB gzip ({len(bundle.gzipped):,} bytes)")


def median_seconds(func, repeats: int) -> float:
    """Return the median wall time of `repeats` calls of func."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def patient_page(data) -> int:
    """Build and serialise every figure of a patient page as the page does (plain figure
    dicts); return the JSON size."""
    figures = list(build_trajectory_dicts(data).values())
    csa = build_csa_dict(data)
    if csa is not None:
        figures.append(csa)
    return sum(len(figure_payload(fig)) for fig in figures)


def patient_page_via_figures(data) -> int:
    """The same through go.Figure objects (the builders' public API): deep copies included."""
    figures = list(build_trajectory_figures(data).values())
    csa = build_csa_figure(data)
    if csa is not None:
        figures.append(csa)
    return sum(len(figure_payload(fig)) for fig in figures)


def bare_patient(data) -> int:
    """Serialise the same series as plain scatter traces (the floor for this data)."""
    series: dict[tuple[str, str], tuple[list, list]] = {}
    for obs in data.observations:
        xs, ys = series.setdefault((obs.outcome, obs.region_code), ([], []))
        xs.append(obs.day)
        ys.append(obs.value)
    outcomes = sorted({outcome for outcome, _ in series})
    return sum(
        len(go.Figure([go.Scatter(x=xs, y=ys) for (o, _), (xs, ys) in series.items()
                       if o == outcome]).to_json())
        for outcome in outcomes
    )


def cohort_page(rows, outcome: str = "pain") -> int:
    """Build and serialise the cohort view of one outcome; return the JSON size."""
    view = build_cohort_view(rows, outcome=outcome)
    return sum(len(figure_payload(fig)) for fig in view.figures.values())


def bare_cohort(tables) -> int:
    """Serialise the points behind the cohort figures as plain scatter traces."""
    change = {}
    for cell in tables["change"]:
        change.setdefault(cell["nerve"], []).append(cell)
    figs = [go.Figure([go.Scatter(x=[c["week"] for c in cells], y=[c[key] for c in cells])
                       for cells in change.values() for key in ("q1", "q3", "median")])]
    for name, keys in (("responders", ("rate_30", "rate_50")), ("completion", ("rate",))):
        table = tables[name]
        figs.append(go.Figure([go.Scatter(x=[c["timepoint"] for c in table],
                                          y=[c[k] for c in table]) for k in keys]))
    return sum(len(fig.to_json()) for fig in figs)


def report(name, seconds, bare, target=None) -> None:
    """Print one benchmark line with its ratio to the bare baseline and PASS/FAIL."""
    verdict = ""
    if target is not None:
        verdict = f"  target < {target * 1000:.0f} ms: {'PASS' if seconds < target else 'FAIL'}"
    print(f"{name:<48} {seconds * 1000:9.1f} ms   bare {bare * 1000:7.1f} ms   "
          f"x{seconds / bare:5.1f}{verdict}")


def main(argv=None) -> int:
    """Run the benchmarks and print the results; always return 0."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="fewer repetitions")
    quick = args.parse_args(argv).quick
    small, large = (3, 1) if quick else (15, 5)

    sclero, long_case = scleroderma_case(), long_follow_up_case()
    start = time.perf_counter()
    patient_page(sclero)
    print(f"first (cold) patient page build, incl. plotly validator imports: "
          f"{(time.perf_counter() - start) * 1000:.1f} ms")
    for name, data in (("scleroderma case (7 regions, 7 sessions, 1 y)", sclero),
                       ("8 regions weekly for 2 years", long_case)):
        size = patient_page(data)
        bare = median_seconds(lambda d=data: bare_patient(d), small)
        report(name, median_seconds(lambda d=data: patient_page(d), small), bare,
               PATIENT_TARGET_S)
        report("  same through go.Figure objects",
               median_seconds(lambda d=data: patient_page_via_figures(d), small), bare)
        print(f"{'':<48} JSON {size / 1024:.0f} KiB, {len(data.observations)} observations")

    for patients in (1000, 5000):
        rows = synthetic_cohort(patients)
        tables = build_cohort_view(rows).tables
        target = COHORT_TARGET_S if patients == 5000 else None
        report(f"cohort view, {patients} patients ({len(rows)} rows)",
               median_seconds(lambda r=rows: cohort_page(r), large),
               median_seconds(lambda t=tables: bare_cohort(t), large), target)
    both = median_seconds(lambda: [cohort_page(rows, o) for o in ("pain", "function")], large)
    verdict = "PASS" if both < COHORT_TARGET_S else "FAIL"
    print(f"{'cohort views, 5000 patients, pain + function':<48} {both * 1000:9.1f} ms"
          f"   target < {COHORT_TARGET_S * 1000:.0f} ms: {verdict}")
    print(describe_bundle(resolve_bundle(os.environ.get("NERVETRACK_ASSET_DIR")
                                         or default_asset_dir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
