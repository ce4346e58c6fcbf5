"""Model rules the rest of the code relies on: UTC timestamps and an append-only audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import select

from webapp.audit import add_event
from webapp.models import AuditEvent, AuditTrailIsAppendOnly, LoginFailure


def test_timestamps_come_back_aware_in_utc(db):
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    db.add(LoginFailure(email="a@b.c", ip="1.2.3.4", at=local))
    db.commit()
    db.expunge_all()
    row = db.exec(select(LoginFailure)).one()
    assert row.at.tzinfo is not None
    assert row.at.utcoffset() == timedelta(0)
    assert row.at == local


def test_naive_timestamps_are_refused(db):
    db.add(LoginFailure(email="a@b.c", ip="1.2.3.4", at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime refused"):
        db.commit()


def test_audit_events_cannot_be_changed(db):
    event = add_event(db, "sign_in", actor_label="x@y.z")
    db.commit()
    event.action = "something_else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.commit()
    db.rollback()
    assert db.exec(select(AuditEvent)).one().action == "sign_in"


def test_audit_events_cannot_be_deleted(db):
    event = add_event(db, "sign_in", actor_label="x@y.z", detail={"k": 1})
    db.commit()
    db.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.commit()
    db.rollback()
    row = db.exec(select(AuditEvent)).one()
    assert row.detail == {"k": 1}
    assert row.at <= datetime.now(UTC)
