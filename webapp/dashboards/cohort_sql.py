"""SQL pieces the cohort queries share: instants as day numbers, day 0 and session numbers.

Days between two instants are computed by the database (julianday on SQLite, the epoch on
PostgreSQL): parsing tens of thousands of timestamps in Python would cost more than the rest
of the cohort page.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp.models import TreatmentSession, UTCDateTime

SECONDS_PER_DAY = 86400.0


class epoch_days(FunctionElement):  # noqa: N801  (a SQL function, named like one)
    """An instant as a number of days (fractional): only differences between two are used."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch_days"


@compiles(epoch_days, "sqlite")
def _epoch_days_sqlite(element, compiler, **kw) -> str:
    # SQLite stores UTC instants as ISO text, which julianday() reads directly.
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(epoch_days)
def _epoch_days_default(element, compiler, **kw) -> str:
    # EXTRACT returns numeric on PostgreSQL 14+; a double avoids Decimal objects per row.
    column = compiler.process(element.clauses, **kw)
    return f"(CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION) / {SECONDS_PER_DAY})"


def _session_instant():
    return sa.func.coalesce(TreatmentSession.performed_at, TreatmentSession.scheduled_at)


def first_session_at() -> sa.Select:
    """Per course: day 0 ('at': first performed session, else first scheduled; cancelled ones
    never count, as webapp.care.timelines.day_zero) and the number of sessions performed."""
    performed = TreatmentSession.status == "performed"
    when = _session_instant()
    at = sa.func.coalesce(sa.func.min(sa.case((performed, when))), sa.func.min(when))
    return (sa.select(TreatmentSession.course_id, sa.type_coerce(at, UTCDateTime()).label("at"),
                      sa.func.count(sa.case((performed, 1))).label("performed"))
            .where(TreatmentSession.status != "cancelled")
            .group_by(TreatmentSession.course_id))


def session_numbers_query() -> sa.Select:
    """(session id, its number in the course): non-cancelled sessions in time order, as
    webapp.care.timelines numbers them for 'Before session 3'."""
    number = sa.func.row_number().over(partition_by=TreatmentSession.course_id,
                                       order_by=(_session_instant(), TreatmentSession.id))
    return (sa.select(TreatmentSession.id, number)
            .where(TreatmentSession.status != "cancelled"))


def driver_rows(db, query: sa.Select) -> list[tuple]:
    """Run a column query on the driver's own cursor: plain tuples as the driver returns them.

    For the cohort's hot queries only (tens of thousands of rows): SQLAlchemy's result rows
    cost more than the query itself there. Use it only for integer, float and text columns
    (no result processing happens) and for plain bound values (no bind processing either).
    """
    connection = db.connection()
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.params
    if connection.dialect.positional:
        params = [params[name] for name in compiled.positiontup]
    statement = str(compiled)
    driver = connection.connection.dbapi_connection
    # psycopg's binary results skip parsing numbers from text (~15% of this query's time).
    cursor = driver.cursor(binary=True) if connection.dialect.name == "postgresql" else \
        driver.cursor()
    try:
        if connection._has_events or connection.engine._has_events:
            # Listeners (query counters, tracing) see these statements like any other.
            connection.dispatch.before_cursor_execute(connection, cursor, statement, params,
                                                      None, False)
        cursor.execute(statement, params)
        return cursor.fetchall()
    finally:
        cursor.close()
