"""Lighthouse (Debian chromium) on the clinician's patient page and printable report, on the
demo's scleroderma case (7 regions, 7 weekly sessions, a year of follow-up).

Run: /work/main/.venv/bin/python bench/lighthouse_patient.py [--form mobile|desktop|both]
Seeds the demo (webapp.demo.seed: staff logins, the scleroderma case and the demo patient; no
synthetic cohort) into a temporary SQLite database, serves it on 127.0.0.1 from a thread (as
the browser tests do), signs the demo clinician in through the real form, and runs
/work/shared/tools/lighthouse-page (override with NERVETRACK_LIGHTHOUSE) on each page with the
session cookie in an extra-headers file. Prints each page's scores against the targets
(mobile performance >= 0.90, accessibility 1.0) and the page's median server time through the
test client. Always exits 0.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, SQLModel, select  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.db import get_engine  # noqa: E402
from webapp.demo.accounts import DEMO_PASSWORDS  # noqa: E402
from webapp.demo.seed import SCLERODERMA_CODE, seed_demo  # noqa: E402
from webapp.models import Patient  # noqa: E402

LIGHTHOUSE = os.environ.get("NERVETRACK_LIGHTHOUSE", "/work/shared/tools/lighthouse-page")
TARGETS = {"performance": 0.90, "accessibility": 1.0}
PAGES = {"patient page": "/clinic/patients/{pid}",
         "printable report": "/clinic/patients/{pid}/report"}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # Lighthouse makes many requests
        pass


def demo_app(folder: str):
    """Return the app on a fresh SQLite database seeded with the demo, and the case's id."""
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/lighthouse.db",
                      "SECRET_KEY": "lighthouse-bench", "INSTANCE_PATH": f"{folder}/instance",
                      "BASE_URL": "http://127.0.0.1", "REMINDER_CHANNEL": "file"})
    engine = get_engine(app)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        seed_demo(session=db, cohort_size=0)
        pid = db.exec(select(Patient.id).where(Patient.study_code == SCLERODERMA_CODE)).one()
    return app, pid


def sign_in(base: str) -> str:
    """Sign the demo clinician in through the real form; return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    email, password = DEMO_PASSWORDS["clinician"]
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    opener.open(f"{base}/login", data=form.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect to /login means not signed in
        return None


def answers_signed_in(url: str, cookie: str) -> bool:
    """Return True when the page answers 200 to this cookie (Lighthouse must not measure the
    sign-in page instead)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        return urllib.request.build_opener(_NoRedirect).open(request).status == 200
    except urllib.error.HTTPError:
        return False


def lighthouse(url: str, headers: str, form: str) -> str:
    """Run lighthouse-page on one URL; return what it printed."""
    done = subprocess.run([LIGHTHOUSE, url, headers, form], capture_output=True, text=True,
                          timeout=600, check=False)
    return (done.stdout + done.stderr).strip() or f"(no output, exit {done.returncode})"


def verdicts(output: str) -> str:
    """Return 'PASS'/'FAIL' per target found in lighthouse-page's score line."""
    found = dict(re.findall(r"([a-z-]+): ([0-9.]+)", output.splitlines()[0] if output else ""))
    return "  ".join(f"{name} {'PASS' if float(found[name]) >= goal else 'FAIL'}"
                     for name, goal in TARGETS.items() if name in found)


def server_times(app, path: str, repeats: int = 15) -> float:
    """Return the median time of a signed-in GET through the test client, in seconds."""
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    email, password = DEMO_PASSWORDS["clinician"]
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    client.get(path)  # first request: templates compiled, caches filled
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Seed, serve, sign in, and print Lighthouse's scores for each page and form factor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--form", choices=("mobile", "desktop", "both"), default="both")
    args = parser.parse_args()
    forms = ("mobile", "desktop") if args.form == "both" else (args.form,)
    with tempfile.TemporaryDirectory() as folder:
        app, pid = demo_app(folder)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        cookie = sign_in(base)
        headers = Path(folder) / "headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        print(f"Lighthouse with Debian chromium on the demo's scleroderma case ({base})")
        for name, template in PAGES.items():
            path = template.format(pid=pid)
            print(f"\n== {name} {path}: server time {server_times(app, path) * 1000:.1f} ms "
                  "(median, full GET through the test client)")
            if not answers_signed_in(base + path, cookie):
                print("  not signed in: the page did not answer 200 (Lighthouse skipped)")
                continue
            for form in forms:
                output = lighthouse(base + path, str(headers), form)
                print(f"  [{form}] {verdicts(output)}")
                print("    " + output.replace("\n", "\n    "))
        server.shutdown()


if __name__ == "__main__":
    main()
