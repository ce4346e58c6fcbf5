"""Watching what an engine sends: each statement, and whether it ran inside a transaction.

Recorded from SQLAlchemy's ``before_cursor_execute`` (after NerveTrack's own listener has chosen
autocommit or a transaction for the statement) and the pool's ``checkin``. On SQLite the
transaction fields are None.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Sent:
    """One statement as the driver got it."""

    sql: str
    autocommit: bool | None  # PostgreSQL: True when it ran outside any transaction
    in_transaction: bool | None  # PostgreSQL: a transaction was already open before it

    @property
    def verb(self) -> str:
        """Return the statement's first word, upper case (SELECT, INSERT, ...)."""
        return self.sql.lstrip().split(None, 1)[0].upper()


@dataclass
class Watch:
    """What the engine sent while watched, and the state of each connection given back."""

    sent: list[Sent] = field(default_factory=list)
    checked_in_idle: list[bool] = field(default_factory=list)  # PostgreSQL only

    def clear(self) -> None:
        """Forget what was seen so far."""
        self.sent.clear()
        self.checked_in_idle.clear()

    def verbs(self) -> list[str]:
        """Return the first word of each statement sent, in order."""
        return [s.verb for s in self.sent]


def _pg_state(dbapi_connection) -> tuple[bool | None, bool | None]:
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return None, None
    return dbapi_connection.autocommit, pgconn.transaction_status != TransactionStatus.IDLE


@contextmanager
def watch_statements(engine: Engine):
    """Record every statement `engine` sends, and each connection's state at checkin."""
    seen = Watch()

    def before(_conn, cursor, statement, _params, _context, _many):
        autocommit, in_transaction = _pg_state(cursor.connection)
        seen.sent.append(Sent(statement, autocommit, in_transaction))

    def checkin(dbapi_connection, _record):
        if dbapi_connection is not None and hasattr(dbapi_connection, "pgconn"):
            seen.checked_in_idle.append(not _pg_state(dbapi_connection)[1])

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine.pool, "checkin", checkin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine.pool, "checkin", checkin)
