"""Helpers of the dashboard benchmark: databases, a signed-in client, timing and printing.

The machine may be shared: every timing reports the median wall time (judged against the
target), the best wall time, and the median CPU time of this process (on SQLite the database
runs inside it; on PostgreSQL the server's own work is not in that figure).
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select

from webapp import models as m
from webapp.auth.users import create_user

BENCH_EMAIL = "bench-clinician@clinic.test"
BENCH_PASSWORD = "Correct horse staple 42"


@dataclass(frozen=True)
class Timing:
    """Median and best wall time and median CPU time of repeated calls, in seconds."""

    median: float
    best: float
    cpu: float

    def describe(self) -> str:
        """'best 212.0 ms, cpu 190.3 ms'."""
        return f"best {self.best * 1000:.1f} ms, cpu {self.cpu * 1000:.1f} ms"


def timed(func, repeats: int) -> Timing:
    """Call func `repeats` times; return its median and best wall time and median CPU time."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Timing(statistics.median(walls), min(walls), statistics.median(cpus))


def line(name: str, seconds: float, target: float | None = None, extra: str = "") -> None:
    """Print one measurement, its target, the ratio to it and PASS/FAIL."""
    if target is None:
        print(f"  {name:54s} {seconds * 1000:9.1f} ms  {extra}")
        return
    verdict = "PASS" if seconds < target else "FAIL"
    print(f"  {name:54s} {seconds * 1000:9.1f} ms  target < {target * 1000:.0f} ms "
          f"({seconds / target:.2f}x) {verdict}  {extra}")


def signed_in_client(app, db):
    """Return a test client signed in as a bench clinician (created if missing)."""
    if not db.exec(select(m.StaffUser).where(m.StaffUser.email == BENCH_EMAIL)).first():
        create_user(session=db, email=BENCH_EMAIL, name="Bench", role="clinician",
                    password=BENCH_PASSWORD)
        db.commit()
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD,
                                "csrf_token": token})
    return client


def sqlite_url(folder: str) -> str:
    """The benchmark's SQLite database in a temporary folder."""
    return f"sqlite:///{folder}/bench.db"


def postgres_database(url: str):
    """Create a temporary PostgreSQL database; return (url, drop function)."""
    admin_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"nt_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = sa.engine.make_url(admin_url).set(database=name).render_as_string(
        hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db_url, drop
