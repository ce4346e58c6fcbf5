"""The database engine and the request-scoped session.

On PostgreSQL the web app's connections cost as few round trips as correctness allows:

- No pre-ping on checkout. Connections older than ``POOL_RECYCLE_SECONDS`` are replaced, and
  a connection found dead by the first statement of a session's transaction (server restart,
  killed backend, idle timeout) is replaced and that statement sent again, once
  (``RequestSession``): retrying is safe there, as nothing of the transaction reached the server.
- Reads outside a transaction until the first write, as Python's sqlite3 does on SQLite: a
  plain SELECT runs in autocommit; the first statement that writes, locks rows (``FOR UPDATE``)
  or anything else opens the transaction (psycopg sends BEGIN), and it commits or rolls back as
  before. So a read-only request sends neither BEGIN nor ROLLBACK. Under READ COMMITTED each
  statement sees a fresh snapshot anyway, so reads see the same rows in or out of a
  transaction. A connection still goes back to the pool rolled back whenever a transaction is
  open (psycopg sends ROLLBACK exactly then, and skips it when there is none).
- The few statements every patient page sends (DriverQuery: the visit, the stored answers, the
  page's save) go through psycopg's own cursor: built and compiled once, prepared on the
  server, with none of SQLAlchemy's per-execution work (execution context, result metadata,
  Row objects), which cost more than the driver's for a one-row lookup. When the session has
  nothing open and the statement runs alone anyway (a plain read, or WHOLE_TRANSACTION), it
  runs on a pooled connection the request keeps for such statements, without the session's
  transaction bookkeeping; otherwise in the session's transaction. Listeners see them like
  any other statement, and a dead connection is replaced and the statement sent again
  exactly as above.
- A statement marked ``execution_options(whole_transaction=True)`` (WHOLE_TRANSACTION) is a
  complete unit of work on its own, such as a survey page's save, one statement of
  data-modifying CTEs: with no transaction open it runs in autocommit too, which PostgreSQL
  makes atomic, so it costs no BEGIN and no COMMIT. Inside an open transaction it is part of
  that transaction like any other statement.
"""

from __future__ import annotations

import re
import weakref
from collections import namedtuple
from functools import lru_cache
from typing import NamedTuple

import psycopg
import sqlalchemy as sa
from flask import Flask, current_app, g
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

POOL_RECYCLE_SECONDS = 1800
WHOLE_TRANSACTION = {"whole_transaction": True}  # see the module's docstring
# Statements that start with SELECT yet need a transaction: row locks, transaction-scoped
# advisory locks and settings.
_NEEDS_TRANSACTION = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bpg_advisory|\bset_config\b",
    re.IGNORECASE)


def make_engine(url: str, *, reads_outside_transactions: bool = False, **kwargs) -> Engine:
    """Create an engine with the settings NerveTrack relies on for each database.

    `reads_outside_transactions` (PostgreSQL; the web app sets it) runs plain SELECTs in
    autocommit until the first write of a transaction, as described above.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    engine = create_engine(url, **kwargs)
    if reads_outside_transactions:
        event.listen(engine, "before_cursor_execute", _begin_at_first_write)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache(maxsize=4096)
def reads_only(statement: str) -> bool:
    """Tell whether a statement only reads: a SELECT that takes no lock and sets nothing."""
    return statement.lstrip()[:6].upper() == "SELECT" and not _NEEDS_TRANSACTION.search(statement)


def runs_alone(statement: str, execution_options) -> bool:
    """Tell whether a statement needs no transaction around it: a plain read, or a
    WHOLE_TRANSACTION statement (a complete unit of work that PostgreSQL makes atomic)."""
    return reads_only(statement) or execution_options.get("whole_transaction", False)


def _begin_at_first_write(conn, cursor, statement, _parameters, context, _executemany) -> None:
    # conn is None for a statement sent alone on a request's own connection (DriverQuery).
    if conn is not None and "isolation_level" in conn.get_execution_options():
        return  # the caller chose (say AUTOCOMMIT for CREATE DATABASE): leave it as asked
    dbapi_connection = cursor.connection
    if dbapi_connection.pgconn.transaction_status != TransactionStatus.IDLE:
        return  # a transaction is open: everything runs in it until it ends
    alone = runs_alone(statement, context.execution_options if context is not None else {})
    # A server-side cursor (stream_results) lives in a transaction whatever it reads.
    alone = alone and not isinstance(cursor, ServerCursor)
    if dbapi_connection.autocommit != alone:
        dbapi_connection.autocommit = alone


class RequestSession(Session):
    """A session whose first statement is sent again, once, if its connection was dead.

    Only when nothing can be lost: no transaction was open and no change was waiting to be
    flushed, so the failed statement was the first thing sent on a connection just checked
    out. SQLAlchemy has already invalidated that connection (and the pool's older ones).
    """

    def commit(self) -> None:
        """Commit; with no transaction open and nothing waiting to be flushed (a page's save
        ran alone and is already committed), there is nothing to do."""
        if not _nothing_sent_yet(self):
            super().commit()

    def close(self) -> None:
        """Close the session and give back the connection its statements alone ran on."""
        alone = self.info.pop(_ALONE, None)
        if alone is not None:
            alone.close()  # back to the pool (psycopg sends nothing: no transaction is open)
        super().close()

    def _execute_internal(self, *args, **kwargs):
        fresh = _nothing_sent_yet(self)
        try:
            return super()._execute_internal(*args, **kwargs)
        except DBAPIError as error:
            if not (fresh and error.connection_invalidated):
                raise
            self.rollback()
            return super()._execute_internal(*args, **kwargs)


def _nothing_sent_yet(session: Session) -> bool:
    """Tell whether a statement failing now on a dead connection may be sent again safely."""
    return not session.in_transaction() and not (session.new or session.dirty or session.deleted)


class DriverQuery:
    """A statement a hot page sends on every request, built once (see the module's docstring).

    For selects (CTEs that write included) of plain columns with plain bound values: the
    statement is compiled once per dialect, with the bind and result processing of its column
    types (UTC timestamps come back aware, JSON both ways) worked out once too. Its execution
    options count as usual (WHOLE_TRANSACTION). Rows are named tuples of the selected columns.
    """

    def __init__(self, statement: sa.Select):
        self.statement = statement
        self.row = namedtuple("Row", list(statement.selected_columns.keys()))
        self.context = DriverContext(statement.get_execution_options())
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def compiled(self, dialect) -> tuple[str, dict, tuple, tuple, bool]:
        """Return (SQL, default parameters, bind processors, result processors, whether it
        runs alone: a plain read, or a WHOLE_TRANSACTION statement) for `dialect`."""
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            sql = str(compiled)
            if dialect.positional or "POSTCOMPILE" in sql:
                raise ValueError("DriverQuery takes named, non-expanding parameters only")
            processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                          for bind, name in compiled.bind_names.items()}  # as rendered
            binds = tuple((name, process) for name, process in processors.items() if process)
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                            for column in self.statement.selected_columns)
            found = (sql, dict(compiled.params), binds, results if any(results) else (),
                     runs_alone(sql, self.context.execution_options))
            self._compiled[dialect] = found
        return found

    def rows(self, session: Session, params: dict) -> list:
        """Run it in `session`: on PostgreSQL through psycopg's cursor, else SQLAlchemy's.

        Same transaction, same autocommit choice, same listeners as session.execute; a
        connection found dead by this statement, when nothing else was sent yet, is replaced
        and the statement sent again (as RequestSession does).
        """
        engine = session.get_bind()
        if engine.dialect.name != "postgresql":
            return self._through_sqlalchemy(session, params)
        compiled = self.compiled(engine.dialect)
        fresh = _nothing_sent_yet(session)
        if fresh and compiled[4] and isinstance(session, RequestSession):
            return self._alone(session, engine, compiled, params)
        connection = session.connection()
        try:
            return self._send(connection.connection, compiled, params, connection)
        except psycopg.Error as error:
            lost = _lost(connection.connection)
            if lost:
                connection.invalidate(error)
            if not (lost and fresh):
                raise _wrapped(error, compiled, params, lost, engine) from error
        # Only this statement had been sent: again through the session, on a fresh connection
        # (and RequestSession tries once more if the pool hands it another dead one).
        session.rollback()
        return self._through_sqlalchemy(session, params)

    def _through_sqlalchemy(self, session: Session, params: dict) -> list:
        return [self.row._make(row) for row in session.execute(self.statement, params)]

    def _alone(self, session: Session, engine: Engine, compiled: tuple, params: dict) -> list:
        """Run a statement that needs no transaction of the session's (it runs in autocommit
        either way) on a pooled connection of the request's own, with none of the session's
        transaction bookkeeping; RequestSession.close gives the connection back."""
        pooled = session.info.get(_ALONE)
        if pooled is None:
            pooled = session.info[_ALONE] = engine.raw_connection()
            # Alone means autocommit, listener or not: nothing commits this connection later.
            pooled.dbapi_connection.autocommit = True
        try:
            return self._send(pooled, compiled, params, None, engine)
        except psycopg.Error as error:
            if not _lost(pooled):  # autocommit: the connection is still usable
                raise _wrapped(error, compiled, params, False, engine) from error
            session.info.pop(_ALONE).invalidate(error)
        # Dead: sent again through the session, on a fresh connection (RequestSession tries
        # once more, and SQLAlchemy retires the pool's older connections, if it is dead too).
        return self._through_sqlalchemy(session, params)

    def _send(self, pooled, compiled: tuple, params: dict, connection: Connection | None,
              engine: Engine | None = None) -> list:
        sql, defaults, binds, results, _alone = compiled
        values = {**defaults, **params}
        for name, process in binds:
            values[name] = process(values[name])
        driver = pooled.dbapi_connection
        cursor = pooled.info.get(_CURSOR)
        if cursor is None or cursor.closed or cursor.connection is not driver:
            cursor = pooled.info[_CURSOR] = driver.cursor()
        # _begin_at_first_write picks autocommit or the open transaction; watchers see it.
        dispatch = connection.dispatch if connection is not None else engine.dispatch
        dispatch.before_cursor_execute(connection, cursor, sql, values, self.context, False)
        cursor.execute(sql, values, prepare=True)
        rows = cursor.fetchall()
        if results:
            rows = [[process(value) if process else value
                     for process, value in zip(results, row, strict=True)] for row in rows]
        return [self.row._make(row) for row in rows]


def _lost(pooled) -> bool:
    driver = pooled.dbapi_connection
    return driver is None or driver.closed or driver.broken


def _wrapped(error: psycopg.Error, compiled: tuple, params: dict, lost: bool,
             engine: Engine) -> DBAPIError:
    """SQLAlchemy's exception for a driver error, as session.execute would raise it."""
    return DBAPIError.instance(compiled[0], params, error, psycopg.Error,
                               connection_invalidated=lost, dialect=engine.dialect)


class DriverContext(NamedTuple):
    """What listeners get as the execution context of a DriverQuery: its options only."""

    execution_options: dict


_CURSOR = "nervetrack.driver_cursor"  # a psycopg cursor kept with its pooled connection
_ALONE = "nervetrack.alone_connection"  # session.info: the request's connection for DriverQuery


def init_app(app: Flask) -> None:
    """Attach an engine to the app and close the request's session on teardown."""
    app.extensions["nervetrack.engine"] = make_engine(app.config["DATABASE_URL"],
                                                      reads_outside_transactions=True)
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    """Return the app's engine."""
    return (app or current_app).extensions["nervetrack.engine"]


def get_session() -> Session:
    """Return this request's (or app context's) database session."""
    if "db_session" not in g:
        g.db_session = RequestSession(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
