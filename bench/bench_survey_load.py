"""Survey pages under load: NerveTrack against a bare Flask floor doing the same database work.

Run: .venv/bin/python bench/bench_survey_load.py [--duration 10] [--rounds 3]
     [--connections 8,32] [--patients 128]
Needs wrk (Debian: apt-get install wrk) and PostgreSQL: NERVETRACK_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); a temporary database is created, migrated and
dropped. Patients with an open survey and a signed-in link session are made through
NerveTrack's own code (bench/bench_factories.py). NerveTrack and the floor (bench/floor_app.py)
each run under gunicorn with 2 sync workers on loopback; wrk (bench/wrk_survey.lua) drives the
first survey page, GET and POST, at each connection count, the two apps interleaved, for
--rounds rounds. Prints req/s, latency p50/p95/p99, app CPU per request (utime + stime of the
gunicorn workers from /proc), the ratios NerveTrack / floor and the workers' resident memory
after the run. Targets (issue 16): req/s >= 0.7x the floor, CPU per request <= 1.5x, RSS <= 1.3x.
Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from bench.bench_databases import create_database  # noqa: E402
from bench.bench_factories import open_survey, sign_in  # noqa: E402
from bench.floor_app import CREATE_TABLE, create_floor_app  # noqa: E402
from bench.load_runner import Server, import_rss_mb, run_wrk  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.db import get_engine, make_engine  # noqa: E402
from webapp.migrate import upgrade  # noqa: E402

SECRET = "bench-survey-load-secret-not-for-production"
ANSWERS = {"nerve": {"pain_now": "3", "pain_worst": "5"},
           "floor": {"pain_now": "3", "pain_worst": "5", "paresthesia": "4"}}
TARGETS = {"req/s": (">=", 0.7), "CPU/req": ("<=", 1.5), "RSS": ("<=", 1.3)}
# What a worker holds before any code of its own: the floor's imports, and the libraries the
# design card and the house rules fix for NerveTrack (SQLModel brings SQLAlchemy and pydantic).
FLOOR_IMPORTS = ["gunicorn.app.wsgiapp", "flask", "psycopg"]
STACK_IMPORTS = [*FLOOR_IMPORTS, "sqlalchemy.orm", "sqlmodel", "flask_babel", "flask_wtf",
                 "flask_login", "flask_compress"]


def prepare(url: str, workdir: Path, patients: int) -> dict[str, dict[str, Path]]:
    """Migrate, sign patients in through NerveTrack and write wrk's target files."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(CREATE_TABLE)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(workdir / "instance"), "PATIENT_SESSION_MINUTES": 180})
    with Session(get_engine(app), expire_on_commit=False) as db:
        signed = [sign_in(app, db, open_survey(db, study_code=f"LOAD-{n:04d}"))
                  for n in range(patients)]
    get_engine(app).dispose()
    os.environ.update({"FLOOR_SECRET_KEY": SECRET, "FLOOR_DATABASE_URL": _libpq(url)})
    floor = create_floor_app()
    serializer = floor.session_interface.get_signing_serializer(floor)
    targets: dict[str, dict[str, list[str]]] = {"nerve": {}, "floor": {}}
    for p in signed:
        floor_cookie = f"session={serializer.dumps({'pid': p.patient_id, 'csrf': p.csrf_token})}"
        for name, path, cookie in (("nerve", p.page_path, p.cookie),
                                   ("floor", f"/f/a/{p.assignment_id}/1", floor_cookie)):
            body = urlencode({**ANSWERS[name], "csrf_token": p.csrf_token})
            targets[name].setdefault("GET", []).append(f"{path}\t{cookie}")
            targets[name].setdefault("POST", []).append(f"{path}\t{cookie}\t{body}")
    return {name: {method: _write(workdir / f"{name}-{method}.tsv", lines)
                   for method, lines in by_method.items()} for name, by_method in targets.items()}


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def servers(url: str, workdir: Path) -> dict[str, Server]:
    """The two gunicorn servers (not started)."""
    env = {"PYTHONPATH": str(ROOT), "NERVETRACK_DATABASE_URL": url,
           "NERVETRACK_SECRET_KEY": SECRET, "NERVETRACK_INSTANCE_PATH": str(workdir / "instance"),
           "NERVETRACK_PATIENT_SESSION_MINUTES": "180", "FLOOR_SECRET_KEY": SECRET,
           "FLOOR_DATABASE_URL": _libpq(url)}
    return {"nerve": Server("NerveTrack", "webapp:create_app()", "/login", env, ROOT),
            "floor": Server("floor", "bench.floor_app:create_floor_app()", "/f/ready", env, ROOT)}


def measure(apps: dict[str, Server], targets, args) -> dict:
    """Run every (method, connections, app) for each round, interleaved; collect the runs."""
    runs: dict[tuple, list[dict]] = {}
    expected = {"GET": 200, "POST": 303}
    for name, server in apps.items():  # warm-up: imports, template compilation, pools
        for method in ("GET", "POST"):
            run_wrk(server, targets[name][method], method, expected[method], 8, args.warmup,
                    args.threads)
    for round_no in range(args.rounds):
        order = list(apps) if round_no % 2 == 0 else list(apps)[::-1]
        for connections in args.connections:
            for method in ("GET", "POST"):
                for name in order:
                    run = run_wrk(apps[name], targets[name][method], method, expected[method],
                                  connections, args.duration, args.threads)
                    runs.setdefault((method, connections, name), []).append(run)
    return runs


def summarise(runs: list[dict]) -> dict:
    """Median throughput and latencies over the rounds; CPU per request over all of them."""
    requests = sum(r["requests"] for r in runs)
    return {"rps": statistics.median(r["rps"] for r in runs),
            "p50": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p95": statistics.median(r["p95_us"] for r in runs) / 1000,
            "p99": statistics.median(r["p99_us"] for r in runs) / 1000,
            "cpu_ms": 1000 * sum(r["cpu_s"] for r in runs) / max(requests, 1),
            "bad": sum(r["socket_errors"] + r["unexpected_status"] for r in runs)}


def _verdict(kind: str, ratio: float) -> str:
    sense, limit = TARGETS[kind]
    ok = ratio >= limit if sense == ">=" else ratio <= limit
    return f"{ratio:.2f}x (target {sense} {limit}: {'PASS' if ok else 'FAIL'})"


def report(runs: dict, rss: dict[str, float], args) -> None:
    """Print the table, the ratios and the memory."""
    print(f"\n== Survey page under load: NerveTrack vs a bare Flask floor (gunicorn -w 2, "
          f"PostgreSQL, wrk -t{args.threads}, {args.rounds} rounds x {args.duration:g} s, "
          f"{args.patients} patients) ==")
    print(f"{'request':8} {'conns':>5}  {'app':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'CPU ms/req':>10}  errors")
    for method in ("GET", "POST"):
        for connections in args.connections:
            rows = {name: summarise(runs[(method, connections, name)])
                    for name in ("nerve", "floor")}
            for name, label in (("nerve", "NerveTrack"), ("floor", "floor")):
                s = rows[name]
                print(f"{method:8} {connections:>5}  {label:10} {s['rps']:8.0f} {s['p50']:8.1f} "
                      f"{s['p95']:8.1f} {s['p99']:8.1f} {s['cpu_ms']:10.2f}  {s['bad']}")
            nerve, floor = rows["nerve"], rows["floor"]
            print(f"{'':16}ratio: req/s {_verdict('req/s', nerve['rps'] / floor['rps'])}; "
                  f"CPU/req {_verdict('CPU/req', nerve['cpu_ms'] / floor['cpu_ms'])}")
    print(f"worker RSS after the run: NerveTrack {rss['nerve']:.1f} MB, floor "
          f"{rss['floor']:.1f} MB; ratio {_verdict('RSS', rss['nerve'] / rss['floor'])}")
    floor_imports, stack_imports = import_rss_mb(FLOOR_IMPORTS), import_rss_mb(STACK_IMPORTS)
    print(f"imports alone (fresh interpreter): the floor's {floor_imports:.1f} MB; with "
          f"NerveTrack's fixed libraries {stack_imports:.1f} MB "
          f"({stack_imports / floor_imports:.2f}x, before any NerveTrack code)")


def main() -> None:
    """Parse the arguments, prepare, run both servers and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")],
                        default=[8, 32])
    parser.add_argument("--patients", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per warm-up run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk): nothing measured.")
        return
    # More patients per wrk thread than connections per thread: no patient twice in flight.
    args.patients = max(args.patients, 2 * max(args.connections))
    total = 2 * 2 * (args.rounds * len(args.connections) * args.duration + args.warmup)
    print(f"preparing; the load runs take about {total:.0f} s")
    url, drop = create_database("postgresql", "")
    try:
        with tempfile.TemporaryDirectory(prefix="nt-load-") as folder:
            targets = prepare(url, Path(folder), args.patients)
            apps = servers(url, Path(folder))
            try:
                for server in apps.values():
                    server.start()
                runs = measure(apps, targets, args)
                rss = {name: server.worker_rss_mb() for name, server in apps.items()}
            finally:
                for server in apps.values():
                    server.stop()
            report(runs, rss, args)
    finally:
        drop()


if __name__ == "__main__":
    main()
