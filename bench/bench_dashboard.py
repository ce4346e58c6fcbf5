"""Benchmark the clinician dashboards against a database filled in bulk.

Run: /work/main/.venv/bin/python bench/bench_dashboard.py [--quick]
     NERVETRACK_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test ... (adds PostgreSQL;
     a temporary database is created and dropped)
Fills SQLite (and PostgreSQL) with a scleroderma-shaped patient (7 regions, 7 weekly sessions,
follow-up to a year, through webapp.care.records + webapp.survey.answers), a patient with 8
regions answered weekly for 2 years, then 1,000 and 5,000 synthetic patients (~12 timepoints
each, bulk inserts).
Prints the median server time of the patient page's queries + figures (target < 50 ms) and of
the cohort view for 5,000 patients (target < 1.5 s), the same through a full request, which
plotly.js bundle is served (basic or full, raw and gzip bytes), and the ratio of our payload to
a bare serialisation. Always exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import plotly.graph_objects as go  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.bench_charts import describe_bundle, median_seconds  # noqa: E402
from surveys.loader import load_library  # noqa: E402
from webapp import models as m  # noqa: E402
from webapp.care.records import add_treatment_session, record_procedure  # noqa: E402
from webapp.care.trajectory import trajectory_data  # noqa: E402
from webapp.care.views import patient_page  # noqa: E402
from webapp.dashboards.plotly_bundle import bundle_for  # noqa: E402
from webapp.dashboards.views import cohort_page  # noqa: E402
from webapp.followup.replan import replan_course  # noqa: E402
from webapp.patients.enrolment import enrol_patient  # noqa: E402
from webapp.protocols.store import ensure_default_protocol  # noqa: E402
from webapp.survey.answers import complete_assignment, save_answers  # noqa: E402

PATIENT_TARGET_S = 0.050
COHORT_TARGET_S = 1.5
LIBRARY = load_library()
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SSC_REGIONS = ("median-forearm-left", "ulnar-elbow-left",
               "medial-antebrachial-cutaneous-forearm-left", "median-carpal-tunnel-right",
               "common-fibular-fibular-head-left", "superficial-fibular-lower-leg-left",
               "dorsal-cutaneous-foot-dorsum-foot-right")
COHORT_REGIONS = ("median-carpal-tunnel-right", "ulnar-elbow-left",
                  "lateral-femoral-cutaneous-inguinal-ligament-right", "tibial-tarsal-tunnel-left")
ANSWERED = {"nt-pain": lambda v: {"pain_now": v, "pain_worst": min(v + 1, 10)},
            "nt-paresthesia": lambda v: {"paresthesia": v},
            "nt-psfs": lambda v: {"activity_1": "Grip", "rating_1": 10 - v},
            "nt-pgic": lambda v: {"pgic": 2 if v < 4 else 4}}


def _pain(region: int, day: int) -> int:
    return max(0, round(7 + region % 3 - (6 + region % 3) * min(max(day, 0) / 42, 1)))


def seed_scleroderma_patient(db, *, study_code: str, start=datetime(2025, 3, 3, 10, tzinfo=UTC)):
    """A 7-region patient, weekly sessions weeks 0-6, answers to 1 year (3 months missed)."""
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name="Demo", timezone="Europe/London",
                           regions=list(SSC_REGIONS), protocol_version_id=version.id,
                           enrolled_on=start.date(), synthetic=True)
    for week in range(7):
        at = start + timedelta(weeks=week)
        row = add_treatment_session(db, course=course, scheduled_at=at, performed_at=at,
                                    status="performed")
        for index, code in enumerate(SSC_REGIONS):
            record_procedure(db, treatment_session=row, region_code=code, injectate="D5W",
                             concentration="5%", volume_ml=4.0,
                             csa_mm2=12.0 - week * 0.4 if index < 2 else None)
    replan_course(db, course.id, now=start - timedelta(days=10))
    for a in db.exec(select(m.SurveyAssignment).where(
            m.SurveyAssignment.course_id == course.id)).all():
        _answer_all(db, course, a, start)
    db.commit()
    return course.patient_id


def _answer_all(db, course, a, start) -> None:
    if a.slot == "m3":
        a.status = "missed"
        db.add(a)
        return
    when = datetime.combine(a.due_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    day = (a.due_on - start.date()).days
    for iid in (i for i in a.instruments if i in ANSWERED):
        inst = LIBRARY.get(iid)
        for index, code in enumerate(a.regions if inst.per_region else [""]):
            save_answers(db, assignment=a, instrument=inst, region_code=code, now=when,
                         answers=ANSWERED[iid](_pain(index, day)))
    complete_assignment(db, assignment=a, library=LIBRARY, now=when)


TIMEPOINTS = (("baseline", "Baseline", 0, "ppf"), ("pre-session", "Before session", 7, "pp"),
              ("pre-session", "Before session", 14, "pp"), *[
                  ("weekly", "Weekly", 7 * w, "ppf") for w in range(3, 8)],
              ("m1", "1 month", 44, "ppfg"), ("m3", "3 months", 105, "ppfg"),
              ("m6", "6 months", 196, "ppfg"), ("m12", "12 months", 379, "ppfg"))
CODES = {"p": "nt-pain", "f": "nt-psfs", "g": "nt-pgic"}


def _insert(db, model, rows: list[dict]) -> list[int]:
    """Bulk insert and return the new ids in order (one round trip per batch)."""
    if not rows:
        return []
    table = model.__table__
    return list(db.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                           rows).scalars())


def _instruments(code: str) -> list[str]:
    names = [CODES[c] for c in code]
    return [names[0], "nt-paresthesia", *names[2:]]


def _assignment(pid, cid, slot, label, due, status, instruments, regions) -> dict:
    opens = datetime.combine(due, datetime.min.time(), tzinfo=UTC)
    return {"patient_id": pid, "course_id": cid, "slot": slot, "timepoint_key": slot.split(":")[0],
            "label": label, "due_on": due, "opens_at": opens, "closes_at": opens + timedelta(3),
            "instruments": instruments, "regions": regions, "status": status,
            "completed_at": opens + timedelta(hours=9) if status == "completed" else None,
            "created_at": NOW, "updated_at": NOW}


def _answers(db, assignments: list[dict], aids: list[int], value) -> None:
    """Store responses and scores for the completed assignments (value(a, region) -> score)."""
    responses, scores = [], []
    for a, aid in zip(assignments, aids, strict=True):
        if a["status"] != "completed":
            continue
        for iid in a["instruments"]:
            inst = LIBRARY.get(iid)
            for code in (a["regions"] if inst.per_region else [""]):
                responses.append({"assignment_id": aid, "patient_id": a["patient_id"],
                                  "instrument_id": iid, "instrument_version": "1",
                                  "region_code": code, "answers": {}, "is_complete": True,
                                  "started_at": a["completed_at"],
                                  "submitted_at": a["completed_at"]})
                scores.extend({"assignment_id": aid, "patient_id": a["patient_id"],
                               "instrument_id": iid, "region_code": code, "score_id": r.id,
                               "outcome": r.outcome, "value": value(a, code, r.outcome),
                               "scored_at": a["completed_at"]} for r in inst.scores)
    rids = _insert(db, m.SurveyResponse, responses)
    by_key = {(r["assignment_id"], r["instrument_id"], r["region_code"]): rid
              for r, rid in zip(responses, rids, strict=True)}
    for score in scores:
        score["response_id"] = by_key[(score["assignment_id"], score["instrument_id"],
                                       score["region_code"])]
    _insert(db, m.SurveyScore, scores)


def _course(db, *, study_code: str, regions, start: datetime, sessions: int):
    version = ensure_default_protocol(db)
    course = enrol_patient(db, study_code=study_code, first_name="Syn", timezone="UTC",
                           regions=list(regions), protocol_version_id=version.id,
                           enrolled_on=start.date(), synthetic=True)
    rows = [add_treatment_session(db, course=course, scheduled_at=start + timedelta(weeks=w),
                                  performed_at=start + timedelta(weeks=w), status="performed")
            for w in range(sessions)]
    return course, rows


def seed_long_patient(db, *, study_code: str, regions: int = 8, weeks: int = 104) -> int:
    """A patient with `regions` regions answered weekly for `weeks` weeks (bulk answers)."""
    codes = [r.code for r in __import__("surveys").load_regions()[:regions]]
    start = datetime(2024, 1, 8, 10, tzinfo=UTC)
    course, _ = _course(db, study_code=study_code, regions=codes, start=start, sessions=7)
    rows = [_assignment(course.patient_id, course.id, f"weekly:{w}", f"Week {w}",
                        start.date() + timedelta(weeks=w), "completed",
                        ["nt-pain", "nt-paresthesia", "nt-psfs"], codes)
            for w in range(weeks + 1)]
    aids = _insert(db, m.SurveyAssignment, rows)
    _answers(db, rows, aids, lambda a, code, o: float(
        _pain(codes.index(code) if code else 0, (a["due_on"] - start.date()).days)))
    db.commit()
    return course.patient_id


def seed_cohort(db, count: int, *, offset: int = 0, seed: int = 3) -> None:
    """Bulk-insert `count` synthetic patients with 3 sessions and ~12 timepoints each."""
    rng = random.Random(seed + offset)
    version = ensure_default_protocol(db)
    today = NOW.date()
    patients = [{"study_code": f"SYN-{offset + i:05d}", "first_name": "Syn", "timezone": "UTC",
                 "language": "en", "preferred_channel": "email", "status": "active",
                 "synthetic": True, "created_at": NOW, "updated_at": NOW} for i in range(count)]
    pids = _insert(db, m.Patient, patients)
    starts = [NOW - timedelta(days=rng.randint(30, 800)) for _ in pids]
    cids = _insert(db, m.TreatmentCourse, [
        {"patient_id": pid, "enrolled_on": s.date(), "protocol_version_id": version.id,
         "status": "active", "needs_replan": False, "created_at": NOW, "updated_at": NOW}
        for pid, s in zip(pids, starts, strict=True)])
    regions = [rng.sample(COHORT_REGIONS, 1 if rng.random() < 0.7 else 2) for _ in cids]
    _insert(db, m.CourseRegion, [
        {"course_id": cid, "region_code": code, "nerve": code.split("-")[0] if "femoral" not in
         code else "lateral-femoral-cutaneous", "side": code.rsplit("-", 1)[1], "site": "x",
         "added_at": NOW} for cid, codes in zip(cids, regions, strict=True) for code in codes])
    sids = _insert(db, m.TreatmentSession, [
        {"course_id": cid, "scheduled_at": s + timedelta(weeks=w),
         "performed_at": s + timedelta(weeks=w), "status": "performed", "created_at": NOW,
         "updated_at": NOW} for cid, s in zip(cids, starts, strict=True) for w in range(3)])
    rows, effect = [], {}
    for n, (pid, cid, s) in enumerate(zip(pids, cids, starts, strict=True)):
        effect[pid] = (rng.uniform(4, 9), rng.uniform(0, 0.9), s.date())
        for key, label, day, code in TIMEPOINTS:
            due = s.date() + timedelta(days=day)
            slot = f"{key}:{sids[3 * n + day // 7]}" if key == "pre-session" else (
                f"{key}:{day // 7}" if key == "weekly" else key)
            status = "pending" if due >= today else (
                "completed" if rng.random() < 0.8 else "missed")
            rows.append(_assignment(pid, cid, slot, label, due, status, _instruments(code),
                                    regions[n]))
    aids = _insert(db, m.SurveyAssignment, rows)

    def value(a, _code, outcome):
        base, gain, start = effect[a["patient_id"]]
        progress = min(max((a["due_on"] - start).days, 0) / 42, 1) * gain
        return float(round(base * (1 - progress))) if outcome != "pgic" else 2.0

    _answers(db, rows, aids, value)
    db.commit()




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


def cohort_work(db) -> int:
    """The cohort view's queries + figures + payloads, as the view runs them; return the JSON
    bytes."""
    _view, figures = cohort_page(db, "pain", now=NOW, library=LIBRARY)
    return sum(len(payload) for _name, _title, payload in figures)


def _timings(func, repeats: int) -> list[float]:
    """Return the wall time of each of `repeats` calls (this machine is shared: report both the
    median, judged against the target, and the best)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def _line(name: str, seconds: float, target: float | None = None, extra: str = "") -> None:
    verdict = "" if target is None else ("PASS" if seconds < target else "FAIL")
    goal = "" if target is None else f"target < {target * 1000:.0f} ms"
    print(f"  {name:52s} {seconds * 1000:9.1f} ms  {goal:18s} {verdict} {extra}")


def _client(app, db):
    from webapp.auth.users import create_user

    email = "bench-clinician@clinic.test"
    if not db.exec(select(m.StaffUser).where(m.StaffUser.email == email)).first():
        create_user(session=db, email=email, name="Bench", role="clinician",
                    password="Correct horse staple 42")
        db.commit()
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": email, "password": "Correct horse staple 42",
                                "csrf_token": token})
    return client


def measure_all(app, db, patients: dict, size: int, repeats: int) -> None:
    """Print every measurement for the database as filled now."""
    client = _client(app, db)
    with app.app_context():
        for name, pid in patients.items():
            times = _timings(lambda pid=pid: patient_work(db, pid), repeats * 3)
            t = statistics.median(times)
            ours, bare = patient_work(db, pid), bare_patient(db, pid)
            bare_t = median_seconds(lambda pid=pid: bare_patient(db, pid), repeats)
            _line(f"patient page, {name} ({size} in db)", t, PATIENT_TARGET_S,
                  f"best {min(times) * 1000:.1f} ms; {ours / 1024:.0f} kB JSON = "
                  f"{ours / bare:.2f}x bare, {t / bare_t:.2f}x time")
            full = median_seconds(lambda pid=pid: client.get(f"/clinic/patients/{pid}"), repeats)
            _line("  full GET /clinic/patients/<id>", full)
        t = median_seconds(lambda: cohort_work(db), max(3, repeats // 2))
        _line(f"cohort view, {size} patients (pain)", t, COHORT_TARGET_S,
              f"{cohort_work(db) / 1024:.0f} kB JSON")
    full = median_seconds(lambda: client.get("/clinic/cohort?outcome=pain"), 3)
    _line(f"  full GET /clinic/cohort ({size} patients)", full)
    js = client.get("/clinic/assets/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    print(f"  {describe_bundle(bundle_for(app))}; sent {len(js.get_data()):,} bytes "
          f"({js.headers.get('Content-Encoding', 'identity')}), "
          f"Cache-Control: {js.headers.get('Cache-Control')}")


def _sqlite_url(folder: str) -> str:
    return f"sqlite:///{folder}/bench.db"


def _postgres(url: str):
    """Create a temporary PostgreSQL database; return (url, drop function)."""
    import sqlalchemy as sa

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
            measure_all(app, db, patients, size, repeats=3 if quick else 7)
    engine.dispose()


def main() -> None:
    """Run the benchmark on SQLite and, when configured, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 patients only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", _sqlite_url(folder), folder, args.quick)
        pg = os.environ.get("NERVETRACK_BENCH_POSTGRES_URL")
        if pg:
            url, drop = _postgres(pg)
            try:
                run("PostgreSQL", url, folder, args.quick)
            finally:
                drop()
        else:
            print("\n(PostgreSQL skipped: set NERVETRACK_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
