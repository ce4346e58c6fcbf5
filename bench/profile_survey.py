"""One survey page's cost in one process: CPU per request, PostgreSQL round trips, a profile.

Run: .venv/bin/python bench/profile_survey.py [--requests 500] [--repeat 5] [--profile GET|POST]
A quicker, steadier companion of bench/bench_survey_load.py (no gunicorn, no wrk, no sockets
between client and app): the same patients, the same survey page and the same floor
(bench/floor_app.py), driven through Flask's test client in this process. Prints, for GET and
POST, NerveTrack's and the floor's CPU milliseconds per request (the least disturbed of --repeat
interleaved batches) and their ratio, and the round
trips to PostgreSQL per request (counted from libpq's protocol trace: one per Sync or simple
Query the client sends). With --profile, prints cProfile's top functions for that request.
PostgreSQL: NERVETRACK_BENCH_POSTGRES_URL (a temporary database is created and dropped).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.bench_databases import with_postgresql_folder  # noqa: E402
from bench.bench_survey_load import SECRET, prepare  # noqa: E402
from bench.floor_app import create_floor_app  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.db import get_engine  # noqa: E402


class RoundTrips:
    """Counts the requests a client sends to PostgreSQL, from libpq's trace of its connections."""

    def __init__(self, folder: Path):
        self.folder, self.files = folder, []

    def watch(self, pgconn) -> None:
        """Trace one libpq connection into a file of its own."""
        handle = open(self.folder / f"trace-{len(self.files)}.txt", "w+")  # noqa: SIM115
        self.files.append(handle)
        pgconn.trace(handle.fileno())

    def count(self) -> int:
        """Return the round trips traced so far (messages Sync and Query from the client)."""
        total = 0
        for handle in self.files:
            handle.flush()
            handle.seek(0)
            total += sum(1 for line in handle if "\tF\t" in line
                         and ("\tSync" in line or "\tQuery\t" in line))
        return total


def load(path: str) -> list[tuple[str, str, str]]:
    """Read wrk's target file: (path, cookie, body) per patient."""
    rows = []
    for line in Path(path).read_text().splitlines():
        parts = line.split("\t")
        rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return rows


def drive(app, targets, method: str, requests: int, expected: int) -> float:
    """Send `requests` requests round-robin over the targets; return CPU ms per request."""
    client = app.test_client(use_cookies=False)
    start = time.process_time()
    for n in range(requests):
        path, cookie, body = targets[n % len(targets)]
        if method == "GET":
            answer = client.get(path, headers={"Cookie": cookie})
        else:
            answer = client.post(path, headers={"Cookie": cookie}, data=body,
                                 content_type="application/x-www-form-urlencoded")
        if answer.status_code != expected:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code}")
    return 1000 * (time.process_time() - start) / requests


def main() -> None:
    """Prepare, measure both apps in this process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per batch")
    parser.add_argument("--repeat", type=int, default=5, help="batches of each app")
    parser.add_argument("--patients", type=int, default=64)
    parser.add_argument("--profile", choices=["GET", "POST"])
    args = parser.parse_args()
    with_postgresql_folder("nt-profile-", run, args)


def run(url: str, folder: Path, args) -> None:
    """Measure NerveTrack and the floor on a prepared database."""
    files = prepare(url, folder, args.patients)
    os.environ.update({"NERVETRACK_PATIENT_SESSION_MINUTES": "180"})
    nerve = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET,
                        "INSTANCE_PATH": str(folder / "instance"),
                        "PATIENT_SESSION_MINUTES": 180})
    trips = RoundTrips(folder)
    event.listen(get_engine(nerve), "connect", lambda dbapi, _rec: trips.watch(dbapi.pgconn))
    floor = create_floor_app()
    expected = {"GET": 200, "POST": 303}
    print(f"{'request':8} {'NerveTrack ms':>14} {'floor ms':>9} {'ratio':>6} {'round trips':>12}")
    for method in ("GET", "POST"):
        nerve_targets, floor_targets = load(files["nerve"][method]), load(files["floor"][method])
        for app, targets in ((nerve, nerve_targets), (floor, floor_targets)):
            drive(app, targets, method, min(200, args.requests), expected[method])  # warm up
        before = trips.count()
        nerve_runs, floor_runs = [], []
        for _ in range(args.repeat):  # interleaved; the least disturbed batch of each counts
            nerve_runs.append(drive(nerve, nerve_targets, method, args.requests,
                                    expected[method]))
            floor_runs.append(drive(floor, floor_targets, method, args.requests,
                                    expected[method]))
        per_request = (trips.count() - before) / (args.requests * args.repeat)
        nerve_ms, floor_ms = min(nerve_runs), min(floor_runs)
        print(f"{method:8} {nerve_ms:14.2f} {floor_ms:9.2f} {nerve_ms / floor_ms:6.2f} "
              f"{per_request:12.2f}")
    if args.profile:
        profile(nerve, load(files["nerve"][args.profile]), args.profile,
                expected[args.profile], args.requests)
    get_engine(nerve).dispose()


def profile(app, targets, method: str, expected: int, requests: int) -> None:
    """Print cProfile's top functions (CPU time, not waiting) for `requests` requests."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    drive(app, targets, method, requests, expected)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)
    print(text.getvalue())


if __name__ == "__main__":
    main()
