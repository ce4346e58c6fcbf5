"""Benchmark the clinician dashboards against a database filled in bulk.

Run: /work/main/.venv/bin/python bench/bench_dashboard.py [--quick]
     NERVETRACK_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test ... (adds PostgreSQL;
     a temporary database is created and dropped)
Fills SQLite (and PostgreSQL) with a scleroderma-shaped patient (7 regions, 7 weekly sessions,
follow-up to a year, through webapp.care.records + webapp.survey.answers), a patient with 8
regions answered weekly for 2 years, then 1,000 and 5,000 synthetic patients (bench/
dashboard_seed.py: 3 sessions with injectates and volumes, tags, index regions, ~12 timepoints
each, bulk inserts).
Prints the server time of the patient page's queries + figures (target < 50 ms) and of the
cohort page for 5,000 patients through a full request (target < 0.5 s; also split by injectate,
per patient, and by tag), each as a ratio to its target, the cohort page against its floor (one
bare read of the outcome's answers), the JSON the cohort page carries against its 150 KB budget,
the trial-table export, and which plotly.js bundle is served. Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly.graph_objects as go  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.bench_charts import describe_bundle, median_seconds  # noqa: E402
from bench.dashboard_seed import (  # noqa: E402
    LIBRARY,
    seed_cohort,
    seed_long_patient,
    seed_scleroderma_patient,
)
from bench.dashboard_support import (  # noqa: E402
    line,
    postgres_database,
    signed_in_client,
    sqlite_url,
    timed,
)
from webapp.care.trajectory import trajectory_data  # noqa: E402
from webapp.care.views import patient_page  # noqa: E402
from webapp.dashboards.cohort_answers import answer_rows  # noqa: E402
from webapp.dashboards.plotly_bundle import bundle_for  # noqa: E402

__all__ = ["seed_scleroderma_patient", "seed_long_patient", "seed_cohort", "main"]

PATIENT_TARGET_S = 0.050
COHORT_TARGET_S = 0.5
JSON_BUDGET = 150 * 1024
COHORT_PAGES = (("cohort page, pain, all together", "/clinic/cohort"),
                ("  split by injectate", "/clinic/cohort?by=injectate"),
                ("  patients (index region), by nerve", "/clinic/cohort?unit=patient&by=nerve"),
                ("  function, split by patient tag", "/clinic/cohort?outcome=function&by=tag"))
JSON_RE = re.compile(r'<script type="application/json" id="fig-[a-z_0-9]+">(.*?)</script>', re.S)


def patient_work(db, pid) -> int:
    """The patient page's queries + figures + payloads, as the view runs them; return the
    JSON bytes."""
    figures, _summary = patient_page(db, pid, LIBRARY)
    return sum(len(payload) for _name, _title, payload in figures)


def bare_patient(db, pid) -> int:
    """Serialise the same series as plain scatter traces: the floor for this data."""
    series: dict = {}
    for obs in trajectory_data(db, pid, LIBRARY).observations:
        xs, ys = series.setdefault((obs.outcome, obs.region_code), ([], []))
        xs.append(obs.day)
        ys.append(obs.value)
    return sum(len(go.Figure([go.Scatter(x=x, y=y) for (o, _), (x, y) in series.items()
                              if o == outcome]).to_json())
               for outcome in {o for o, _ in series})


def json_bytes(html: str) -> int:
    """Return the bytes of JSON figures a page carries."""
    return sum(len(body.encode()) for body in JSON_RE.findall(html))


def measure_patients(db, client, patients: dict, size: int, repeats: int) -> None:
    """Print the patient page's figures for each named patient."""
    for name, pid in patients.items():
        timing = timed(lambda pid=pid: patient_work(db, pid), repeats * 3)
        ours, bare = patient_work(db, pid), bare_patient(db, pid)
        bare_t = median_seconds(lambda pid=pid: bare_patient(db, pid), repeats)
        line(f"patient page, {name} ({size} in db)", timing.median, PATIENT_TARGET_S,
             f"{timing.describe()}; {ours / 1024:.0f} kB JSON = {ours / bare:.2f}x bare, "
             f"{timing.median / bare_t:.2f}x time")
        full = median_seconds(lambda pid=pid: client.get(f"/clinic/patients/{pid}"), repeats)
        line("  full GET /clinic/patients/<id>", full)


def measure_cohort(db, client, size: int, repeats: int) -> None:
    """Print the cohort page's server time (full requests), its floor, JSON and the export."""
    floor = timed(lambda: answer_rows(db, "pain"), repeats)
    for name, path in COHORT_PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        timing = timed(lambda path=path: client.get(path), repeats)
        line(f"{name} ({size} patients)", timing.median, COHORT_TARGET_S,
             f"{timing.describe()}; {timing.median / floor.median:.1f}x floor; JSON "
             f"{json_bytes(html) / 1024:.1f} kB ({json_bytes(html) / JSON_BUDGET:.2f}x of 150 kB)")
    line("  floor: one bare read of the pain answers", floor.median, None, floor.describe())
    export = timed(lambda: client.get("/clinic/cohort/trial-table.csv?by=injectate"),
                   max(1, repeats // 2))
    line("  trial table CSV, 4 outcomes by injectate", export.median, None, export.describe())


def measure_all(app, db, patients: dict, size: int, repeats: int) -> None:
    """Print every measurement for the database as filled now."""
    client = signed_in_client(app, db)
    with app.app_context():
        measure_patients(db, client, patients, size, repeats)
    measure_cohort(db, client, size, max(3, repeats))
    js = client.get("/clinic/assets/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    print(f"  {describe_bundle(bundle_for(app))}; sent {len(js.get_data()):,} bytes "
          f"({js.headers.get('Content-Encoding', 'identity')}), "
          f"Cache-Control: {js.headers.get('Cache-Control')}")


def refresh_statistics(db) -> None:
    """On PostgreSQL, ANALYZE after the bulk inserts, as autovacuum soon does on a live server:
    without statistics the planner takes 59,000 index probes for one hash join (160 vs 60 ms).
    SQLite is measured as it runs in the app, without ANALYZE."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ANALYZE"))
        db.commit()


def run(label: str, url: str, folder: str, quick: bool) -> None:
    """Fill one database and print its measurements."""
    from sqlmodel import Session, SQLModel

    from webapp import create_app
    from webapp.db import get_engine

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "INSTANCE_PATH": os.path.join(folder, f"instance-{label}"),
                      "BASE_URL": "http://bench.test", "REMINDER_CHANNEL": "file"})
    engine = get_engine(app)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as db:
        patients = {"scleroderma case": seed_scleroderma_patient(db, study_code="BENCH-SSC"),
                    "8 regions weekly x 2 years": seed_long_patient(db, study_code="BENCH-LONG")}
        sizes = (200, 1000) if quick else (1000, 5000)
        seeded = 0
        print(f"\n== {label} ==")
        for size in sizes:
            seed_cohort(db, size - seeded, offset=seeded)
            seeded = size
            refresh_statistics(db)
            measure_all(app, db, patients, size, repeats=3 if quick else 7)
    engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite and, when configured, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 patients only")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", sqlite_url(folder), folder, args.quick)
        pg = os.environ.get("NERVETRACK_BENCH_POSTGRES_URL")
        if pg:
            url, drop = postgres_database(pg)
            try:
                run("PostgreSQL", url, folder, args.quick)
            finally:
                drop()
        else:
            print("\n(PostgreSQL skipped: set NERVETRACK_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
