"""The floor for the dispatch benchmark: the same writes as a send, by hand, one transaction each.

For every due reminder: update it to "sent", insert a single-use link token, insert an audit
row, commit. Plain DB-API cursor calls with SQL written once; no rendering, no channel, no ORM.
This is what a dispatcher cannot go below while it keeps one commit per reminder.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime

DUE = ("SELECT r.id, r.patient_id, r.assignment_id, r.channel, a.closes_at FROM reminder r "
       "JOIN survey_assignment a ON a.id = r.assignment_id "
       "WHERE r.status = 'pending' AND r.next_attempt_at <= %s ORDER BY r.next_attempt_at, r.id")
MARK_SENT = ("UPDATE reminder SET status = 'sent', sent_at = %s, message_id = %s, "
             "lease_until = NULL, last_error = NULL WHERE id = %s AND status = 'pending'")
ADD_TOKEN = ("INSERT INTO patient_token (token_hash, patient_id, assignment_id, created_at, "
             "expires_at) VALUES (%s, %s, %s, %s, %s)")
ADD_AUDIT = ("INSERT INTO audit_event (at, actor_type, actor_label, action, record_type, "
             "record_id, patient_id, detail) VALUES (%s, 'system', 'dispatcher', "
             "'reminder_sent', 'reminder', %s, %s, %s)")


def _sql(statement: str, dialect: str) -> str:
    return statement.replace("%s", "?") if dialect == "sqlite" else statement


def _stamp(value: datetime, dialect: str):
    """SQLite stores naive UTC text (as SQLAlchemy writes it); PostgreSQL takes aware values."""
    if dialect != "sqlite":
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def raw_dispatch(engine, now: datetime) -> tuple[float, float, int]:
    """Send every due reminder the floor's way; return (seconds, CPU seconds here, rows sent)."""
    dialect = engine.dialect.name
    mark, token, audit = (_sql(s, dialect) for s in (MARK_SENT, ADD_TOKEN, ADD_AUDIT))
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        start, cpu = time.perf_counter(), time.process_time()
        cursor.execute(_sql(DUE, dialect), (_stamp(now, dialect),))
        rows = cursor.fetchall()
        conn.commit()
        stamp = _stamp(now, dialect)
        for reminder_id, patient_id, assignment_id, channel, closes_at in rows:
            raw = secrets.token_urlsafe(32)
            cursor.execute(mark, (stamp, f"<r{reminder_id}@bench.invalid>", reminder_id))
            cursor.execute(token, (hashlib.sha256(raw.encode()).hexdigest(), patient_id,
                                   assignment_id, stamp, closes_at))
            cursor.execute(audit, (_stamp(datetime.now(UTC), dialect), reminder_id, patient_id,
                                   json.dumps({"channel": channel, "reminder_id": reminder_id})))
            conn.commit()
        return time.perf_counter() - start, time.process_time() - cpu, len(rows)
    finally:
        conn.close()
