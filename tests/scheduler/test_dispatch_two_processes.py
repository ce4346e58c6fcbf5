"""Two real dispatcher processes on one PostgreSQL database: every reminder sent exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from webapp.db import get_engine
from webapp.models import Patient, Reminder, SurveyAssignment, TreatmentCourse
from webapp.protocols.store import ensure_default_protocol

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENTS, PER_PATIENT = 40, 10
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from datetime import datetime
from sqlmodel import Session
from scheduler.channels import FileChannel
from scheduler.dispatch import dispatch_due
from webapp.db import make_engine

url, outbox, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
engine = make_engine(url)
channel = FileChannel(outbox)
config = {"BASE_URL": "https://clinic.example.org", "CLINIC_NAME": "Riverside Clinic"}
with Session(engine, expire_on_commit=False) as db:
    db.connection()  # connect before the start signal, so both start together
    print("ready", flush=True)
    sys.stdin.readline()
    while dispatch_due(db, now=now, channels={"email": channel}, config=config,
                       batch_size=7, worker_id=outbox).claimed:
        pass
engine.dispose()
"""


def seed_due_reminders(db) -> list[str]:
    """Insert patients, courses, open assignments and one due reminder each (core inserts)."""
    version = ensure_default_protocol(db)
    db.commit()
    stamp = {"created_at": NOW, "updated_at": NOW}
    db.execute(sa.insert(Patient), [
        {"study_code": f"NT-{p:05d}", "first_name": f"P{p}", "email": f"p{p}@example.test",
         "timezone": "Europe/London", "language": "en", "preferred_channel": "email",
         "status": "active", "synthetic": True, **stamp} for p in range(PATIENTS)])
    patient_ids = db.exec(select(Patient.id).order_by(Patient.id)).all()
    db.execute(sa.insert(TreatmentCourse), [
        {"patient_id": pid, "enrolled_on": date(2026, 1, 5), "protocol_version_id": version.id,
         "status": "active", "needs_replan": False, **stamp} for pid in patient_ids])
    courses = db.exec(select(TreatmentCourse.id, TreatmentCourse.patient_id)).all()
    db.execute(sa.insert(SurveyAssignment), [
        {"patient_id": pid, "course_id": cid, "slot": f"s{n}", "timepoint_key": "s",
         "label": "Check", "due_on": date(2026, 3, 2), "opens_at": NOW - timedelta(days=1),
         "closes_at": NOW + timedelta(days=7), "instruments": ["nt-pain"], "regions": [],
         "status": "pending", **stamp} for cid, pid in courses for n in range(PER_PATIENT)])
    rows = db.exec(select(SurveyAssignment.id, SurveyAssignment.patient_id)).all()
    db.execute(sa.insert(Reminder), [
        {"slot_key": f"a{aid}/open+0/email", "assignment_id": aid, "patient_id": pid,
         "channel": "email", "send_at": NOW - timedelta(hours=1), "status": "pending",
         "next_attempt_at": NOW - timedelta(hours=1), "attempts": 0, "created_at": NOW}
        for aid, pid in rows])
    db.commit()
    return [f"a{aid}/open+0/email" for aid, _ in rows]


def start_dispatcher(url: str, outbox: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(outbox), NOW.isoformat()],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)


def test_two_dispatcher_processes_send_each_reminder_once(app, db, tmp_path):
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("SQLite runs one dispatcher; FOR UPDATE SKIP LOCKED is PostgreSQL's")
    keys = seed_due_reminders(db)
    url = get_engine(app).url.render_as_string(hide_password=False)
    outboxes = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    procs = [start_dispatcher(url, path) for path in outboxes]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    per_process = [[json.loads(line)["message_id"] for line in path.read_text().splitlines()]
                   for path in outboxes]
    sent = per_process[0] + per_process[1]
    assert len(sent) == len(set(sent)) == len(keys) == PATIENTS * PER_PATIENT
    assert {f"<{k}@clinic.example.org>" for k in keys} == set(sent)
    assert all(per_process), "both processes should have sent a share"
    db.expire_all()
    assert set(db.exec(select(Reminder.status)).all()) == {"sent"}
