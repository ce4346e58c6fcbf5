"""Instructions per survey request, counted by valgrind: figures that do not move with load.

Run: .venv/bin/python bench/count_instructions.py [--requests 300]
A deterministic companion of bench/profile_survey.py (same patients, same page, same floor,
Flask's test client in one process): each app and request kind runs in a child process under
valgrind's callgrind with counting off until it has served a warm-up batch, then counts the
CPU instructions of --requests requests (PYTHONHASHSEED=0: on one prepared database, runs repeat
to the instruction; a fresh preparation moves them by about 2%). Prints instructions per request
for NerveTrack and the floor and their ratio. Times on a shared machine move by 10% between
runs; these hardly do, so a change of a few percent shows. Needs
valgrind (apt-get install valgrind; callgrind_control comes with it) and PostgreSQL
(NERVETRACK_BENCH_POSTGRES_URL; a temporary database is created and dropped). A few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_databases import with_postgresql_folder  # noqa: E402
from bench.bench_survey_load import SECRET, prepare  # noqa: E402
from bench.profile_survey import drive, load  # noqa: E402

EXPECTED = {"GET": 200, "POST": 303}
WARM_UP = 200


def child(settings: dict, app_name: str, method: str, requests: int) -> None:
    """Serve a warm-up batch uncounted, then `requests` requests with callgrind counting."""
    os.environ.update(settings["floor_env"])
    if app_name == "nerve":
        from webapp import create_app

        app = create_app({"DATABASE_URL": settings["url"], "SECRET_KEY": SECRET,
                          "INSTANCE_PATH": settings["instance"], "PATIENT_SESSION_MINUTES": 180})
    else:
        from bench.floor_app import create_floor_app

        app = create_floor_app()
    targets = load(settings["files"][app_name][method])
    drive(app, targets, method, WARM_UP, EXPECTED[method])
    toggle = ["callgrind_control", "-i"]
    subprocess.run([*toggle, "on", str(os.getpid())], check=True, capture_output=True)
    drive(app, targets, method, requests, EXPECTED[method])
    subprocess.run([*toggle, "off", str(os.getpid())], check=True, capture_output=True)


def count(settings_file: Path, app_name: str, method: str, requests: int, folder: Path) -> float:
    """Run one child under callgrind; return its instructions per request."""
    out = folder / f"callgrind.{app_name}.{method}"
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={out}", sys.executable, __file__, "--child",
                    str(settings_file), app_name, method, str(requests)],
                   check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1]) / requests
    raise RuntimeError(f"no totals in {out}")


def main() -> None:
    """Prepare once, count each app and request kind, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests counted per run")
    parser.add_argument("--patients", type=int, default=64)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        settings_file, app_name, method, requests = args.child
        child(json.loads(Path(settings_file).read_text()), app_name, method, int(requests))
        return
    if args.requests < 1 or args.patients < 1:
        parser.error("--requests and --patients must be at least 1")
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        parser.exit(2, "count_instructions.py: valgrind is not installed "
                       "(apt-get install valgrind)\n")
    with_postgresql_folder("nt-instructions-", run, args)


def run(url: str, folder: Path, args) -> None:
    """Count both apps on a prepared database."""
    files = prepare(url, folder, args.patients)  # sets FLOOR_* in this environment
    settings = {"url": url, "instance": str(folder / "instance"),
                "files": {app: {method: str(path) for method, path in kinds.items()}
                          for app, kinds in files.items()},
                "floor_env": {key: os.environ[key]
                              for key in ("FLOOR_SECRET_KEY", "FLOOR_DATABASE_URL")}}
    settings_file = folder / "settings.json"
    settings_file.write_text(json.dumps(settings))
    print(f"{'request':8} {'NerveTrack M':>13} {'floor M':>8} {'ratio':>6}   "
          f"(instructions per request, {args.requests} requests)")
    for method in ("GET", "POST"):
        nerve, floor = (count(settings_file, app, method, args.requests, folder)
                        for app in ("nerve", "floor"))
        print(f"{method:8} {nerve / 1e6:13.3f} {floor / 1e6:8.3f} {nerve / floor:6.2f}")


if __name__ == "__main__":
    main()
