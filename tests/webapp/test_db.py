"""The engine and the request session: reads outside transactions, no pre-ping, one retry.

What must hold whatever the saving: writes stay atomic, no connection goes back to the pool
inside a transaction, and a dropped connection costs no failed request when nothing was sent
on it yet (and is never silently retried when something was).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlmodel import func, select

from tests.support.patient import open_survey, post_page, sign_in
from tests.support.statements import watch_statements
from webapp.db import (
    POOL_RECYCLE_SECONDS,
    WHOLE_TRANSACTION,
    DriverQuery,
    RequestSession,
    get_engine,
    get_session,
    make_engine,
    reads_only,
)
from webapp.models import LoginFailure, SurveyAssignment, SurveyResponse, utcnow


@pytest.fixture
def pg_only(app):
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("connection handling of the PostgreSQL driver")


def _terminate_other_backends(app) -> int:
    """Kill every other server process of this database (the app's pooled connections)."""
    url = get_engine(app).url
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with killer.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).scalar_one()
    killer.dispose()
    return killed


def _invalidations(app) -> list:
    seen: list = []
    event.listen(get_engine(app).pool, "invalidate", lambda *args: seen.append(args))
    return seen


@pytest.mark.parametrize(("statement", "reads"), [
    ("SELECT 1", True),
    ("  select a from t where x = 1", True),
    ("SELECT a FROM t FOR UPDATE", False),
    ("SELECT a FROM t ORDER BY a LIMIT 5 FOR UPDATE SKIP LOCKED", False),
    ("SELECT a FROM t\nFOR NO KEY UPDATE", False),
    ("select a from t for share", False),
    ("SELECT a FROM t FOR KEY SHARE", False),
    ("SELECT pg_advisory_xact_lock(1)", False),
    ("SELECT set_config('app.x', 'y', true)", False),
    ("INSERT INTO t (a) VALUES (1)", False),
    ("UPDATE t SET a = 1", False),
    ("DELETE FROM t", False),
    ("WITH gone AS (DELETE FROM t RETURNING a) SELECT a FROM gone", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("SET LOCAL lock_timeout = '1s'", False),
])
def test_only_plain_selects_run_outside_a_transaction(statement, reads):
    assert reads_only(statement) is reads


def test_postgresql_pool_recycles_and_does_not_ping(app, pg_only):
    pool = get_engine(app).pool
    assert pool._pre_ping is False
    assert pool._recycle == POOL_RECYCLE_SECONDS


@pytest.fixture
def survey(db, client):
    assignment = open_survey(db)
    sign_in(client, db, assignment)
    return assignment


def test_a_read_only_page_sends_no_begin_and_no_rollback(app, client, survey, pg_only):
    with watch_statements(get_engine(app)) as seen:
        assert client.get(f"/p/a/{survey.id}/1").status_code == 200
    assert seen.verbs() == ["SELECT", "SELECT"]
    assert all(s.autocommit and not s.in_transaction for s in seen.sent)
    assert seen.checked_in_idle and all(seen.checked_in_idle)


def test_a_page_save_is_one_statement_that_commits_on_its_own(app, client, survey, db,
                                                              pg_only):
    """No BEGIN, no COMMIT: PostgreSQL runs the one statement of CTEs atomically by itself."""
    path = f"/p/a/{survey.id}/1"
    with watch_statements(get_engine(app)) as seen:
        answer = post_page(client, path, {"pain_now": "3", "pain_worst": "5"})
    assert answer.status_code == 303
    writes = [s for s in seen.sent if s.verb != "SELECT" or not reads_only(s.sql)]
    assert [s.verb for s in writes] == ["WITH"]
    assert writes[0].autocommit and not writes[0].in_transaction
    assert seen.checked_in_idle and all(seen.checked_in_idle)
    stored = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == survey.id))
    assert stored.one().answers == {"pain_now": 3, "pain_worst": 5}


@pytest.mark.parametrize("after_a_write", [False, True])
def test_a_whole_transaction_statement_joins_an_open_transaction(app, db, pg_only,
                                                                 after_a_write):
    """Alone it commits by itself; after a write it belongs to that transaction's fate."""
    table = LoginFailure.__table__
    insert = sa.insert(table).values(email="alone@clinic.test", ip="192.0.2.9",
                                     at=sa.func.now()).execution_options(**WHOLE_TRANSACTION)
    with app.app_context():
        session = get_session()
        if after_a_write:
            session.add(LoginFailure(email="first@clinic.test", ip="192.0.2.1"))
            session.flush()
        session.execute(insert)
        session.close()  # no commit: what teardown does after an error
    emails = set(db.exec(select(LoginFailure.email)).all())
    assert emails == (set() if after_a_write else {"alone@clinic.test"})


def test_writes_after_reads_are_one_atomic_transaction(app, db):
    """Read, write twice, fail: nothing stays, and the connection goes back rolled back."""
    with watch_statements(get_engine(app)) as seen, app.app_context():
        session = get_session()
        assert session.exec(select(func.count(LoginFailure.id))).one() == 0
        for n in range(2):
            session.add(LoginFailure(email=f"x{n}@clinic.test", ip="192.0.2.1"))
            session.flush()
        session.close()  # what teardown does after an error: no commit
    assert db.exec(select(func.count(LoginFailure.id))).one() == 0
    if get_engine(app).dialect.name == "postgresql":
        assert seen.checked_in_idle and all(seen.checked_in_idle)


def test_a_killed_connection_is_replaced_and_the_page_still_answers(app, client, survey, db,
                                                                     pg_only):
    path = f"/p/a/{survey.id}/1"
    assert client.get(path).status_code == 200
    dropped = _invalidations(app)
    assert _terminate_other_backends(app) >= 1
    assert client.get(path).status_code == 200
    assert dropped, "the dead connection was neither noticed nor replaced"
    _terminate_other_backends(app)
    assert post_page(client, path, {"pain_now": "3", "pain_worst": "5"}).status_code == 303
    stored = db.exec(select(SurveyResponse).where(SurveyResponse.assignment_id == survey.id))
    assert stored.one().answers == {"pain_now": 3, "pain_worst": 5}


def test_a_streamed_read_runs_in_a_transaction(app, db, pg_only):
    """Server-side cursors (stream_results) need a transaction, plain SELECT or not."""
    for n in range(3):
        db.add(LoginFailure(email=f"x{n}@clinic.test", ip="192.0.2.1"))
    db.commit()
    with app.app_context():
        rows = get_session().execute(select(LoginFailure.email),
                                     execution_options={"stream_results": True, "yield_per": 1})
        assert sorted(rows.scalars()) == ["x0@clinic.test", "x1@clinic.test", "x2@clinic.test"]


def test_no_retry_once_a_transaction_has_written(app, pg_only):
    """A write already sent on the dead connection is lost: the error must reach the caller."""
    with app.app_context():
        session = get_session()
        session.add(LoginFailure(email="x@clinic.test", ip="192.0.2.1"))
        session.flush()
        _terminate_other_backends(app)
        with pytest.raises(DBAPIError):
            session.exec(select(func.count(LoginFailure.id))).one()
        session.close()


_ASSIGNMENTS = SurveyAssignment.__table__
# Aware timestamps (UTCDateTime) and JSON both ways, a literal and named parameters.
_OPEN_BEFORE = DriverQuery(
    sa.select(_ASSIGNMENTS.c.id, _ASSIGNMENTS.c.opens_at, _ASSIGNMENTS.c.instruments,
              _ASSIGNMENTS.c.regions, _ASSIGNMENTS.c.status)
    .where(_ASSIGNMENTS.c.id == sa.bindparam("id"),
           _ASSIGNMENTS.c.patient_id == sa.bindparam("patient_id"),
           _ASSIGNMENTS.c.opens_at <= sa.bindparam("now", type_=_ASSIGNMENTS.c.opens_at.type),
           _ASSIGNMENTS.c.status != "cancelled")
)


def _params(assignment) -> dict:
    return {"id": assignment.id, "patient_id": assignment.patient_id, "now": utcnow()}


def test_a_driver_query_returns_what_sqlalchemy_returns(app, db):
    """Same values and types as session.execute, on both databases: aware UTC times, JSON."""
    assignment = open_survey(db)
    # A time in another zone: the bound value goes through the column type's processing.
    now = (utcnow() + timedelta(minutes=1)).astimezone(ZoneInfo("Pacific/Auckland"))
    params = {"id": assignment.id, "patient_id": assignment.patient_id, "now": now}
    with app.app_context():
        session = get_session()
        if session.get_bind().dialect.name == "postgresql":
            # psycopg hands timestamps back in the connection's zone; they must come back UTC.
            session.execute(sa.text("SET LOCAL TIME ZONE 'America/St_Johns'"))
        rows = _OPEN_BEFORE.rows(session, params)
        expected = session.execute(_OPEN_BEFORE.statement, params).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert len(rows) == 1 and rows[0].id == assignment.id
    assert rows[0].opens_at.tzinfo == UTC
    assert rows[0].instruments == assignment.instruments and isinstance(rows[0].regions, list)
    with app.app_context():
        too_early = {**params, "now": assignment.opens_at - timedelta(seconds=1)}
        assert _OPEN_BEFORE.rows(get_session(), too_early) == []


def test_a_driver_query_refuses_expanding_parameters(app, pg_only):
    query = DriverQuery(sa.select(_ASSIGNMENTS.c.id)
                        .where(_ASSIGNMENTS.c.id.in_(sa.bindparam("ids", expanding=True))))
    with app.app_context(), pytest.raises(ValueError, match="non-expanding"):
        query.rows(get_session(), {"ids": [1, 2]})


def test_a_driver_query_on_a_killed_connection_is_sent_again(app, db, pg_only):
    assignment = open_survey(db)
    params = _params(assignment)
    with app.app_context():
        assert len(_OPEN_BEFORE.rows(get_session(), params)) == 1  # pools a connection
    dropped = _invalidations(app)
    assert _terminate_other_backends(app) >= 1
    with watch_statements(get_engine(app)) as seen, app.app_context():
        assert [row.id for row in _OPEN_BEFORE.rows(get_session(), params)] \
            == [assignment.id]
    assert dropped, "the dead connection was neither noticed nor replaced"
    assert seen.verbs() == ["SELECT", "SELECT"]  # the failed read, then the same read again
    assert all(s.autocommit and not s.in_transaction for s in seen.sent)


def test_a_driver_query_after_a_write_is_not_sent_again(app, db, pg_only):
    """After a write on the connection, its loss must reach the caller, as a database error."""
    assignment = open_survey(db)
    with app.app_context():
        session = get_session()
        session.add(LoginFailure(email="x@clinic.test", ip="192.0.2.1"))
        session.flush()
        _terminate_other_backends(app)
        with pytest.raises(OperationalError) as raised:
            _OPEN_BEFORE.rows(session, _params(assignment))
        assert raised.value.connection_invalidated
        session.close()
    assert db.exec(select(func.count(LoginFailure.id))).one() == 0


def test_a_driver_query_error_is_sqlalchemys_and_the_connection_lives_on(app, db, pg_only):
    """A value the database refuses gives SQLAlchemy's DataError (a 400 in the web app)."""
    assignment = open_survey(db)
    with app.app_context():
        session = get_session()
        with pytest.raises(DataError):
            _OPEN_BEFORE.rows(session, {**_params(assignment), "patient_id": "x"})
        session.rollback()
        assert len(_OPEN_BEFORE.rows(session, _params(assignment))) == 1


_FAILURES = DriverQuery(sa.select(sa.func.count().label("failures"))
                        .select_from(LoginFailure.__table__))


def test_a_driver_query_in_an_open_transaction_sees_its_writes(app, pg_only):
    """Alone on the request's own connection only when the session has nothing open."""
    with app.app_context():
        session = get_session()
        assert _FAILURES.rows(session, {})[0].failures == 0  # alone: no transaction yet
        session.add(LoginFailure(email="x@clinic.test", ip="192.0.2.1"))
        session.flush()
        assert _FAILURES.rows(session, {})[0].failures == 1  # the session's transaction
        session.commit()
        assert _FAILURES.rows(session, {})[0].failures == 1  # alone again, committed
        session.close()


def test_statements_alone_share_one_connection_given_back_at_the_end(app, db, pg_only):
    """A read-only request checks out one connection, opens no transaction, returns it idle."""
    pool = get_engine(app).pool
    assignment = open_survey(db)
    with watch_statements(get_engine(app)) as seen, app.app_context():
        session = get_session()
        for _ in range(3):
            _OPEN_BEFORE.rows(session, _params(assignment))
        _FAILURES.rows(session, {})
        assert pool.checkedout() == 1 and not session.in_transaction()
        session.close()
        assert pool.checkedout() == 0
    assert seen.verbs() == ["SELECT"] * 4
    assert all(s.autocommit and not s.in_transaction for s in seen.sent)
    assert seen.checked_in_idle == [True]


def test_a_commit_with_nothing_open_does_nothing_and_a_pending_change_is_committed(app, db):
    with watch_statements(get_engine(app)) as seen, app.app_context():
        session = get_session()
        session.commit()  # what a page does after its save ran alone
        assert seen.sent == [] and not session.in_transaction()
        session.add(LoginFailure(email="kept@clinic.test", ip="192.0.2.1"))
        session.commit()  # pending, not yet flushed: committed as ever
        session.close()
    assert [s.verb for s in seen.sent] == ["INSERT"]
    assert db.exec(select(LoginFailure.email)).all() == ["kept@clinic.test"]


def test_a_change_to_a_loaded_object_after_a_commit_is_still_committed(app, db):
    db.add(LoginFailure(email="before@clinic.test", ip="192.0.2.1"))
    db.commit()
    with app.app_context():
        session = get_session()
        row = session.exec(select(LoginFailure)).one()
        session.commit()  # the read's transaction (if any) ends; the object stays loaded
        row.email = "after@clinic.test"
        session.commit()
        session.close()
    db.expire_all()
    assert db.exec(select(LoginFailure.email)).all() == ["after@clinic.test"]


def test_a_whole_transaction_statement_alone_commits_on_any_engine(app, db, pg_only):
    """Run alone, a save is committed by itself: no later commit would reach its connection."""
    table = LoginFailure.__table__
    added = sa.insert(table).values(email="alone@clinic.test", ip="192.0.2.9",
                                    at=sa.func.now()).returning(table.c.id).cte("added")
    insert = DriverQuery(sa.select(added.c.id).execution_options(**WHOLE_TRANSACTION))
    engine = make_engine(str(get_engine(app).url.render_as_string(hide_password=False)))
    try:  # an engine without the web app's reads_outside_transactions listener
        session = RequestSession(engine)
        assert len(insert.rows(session, {})) == 1
        session.close()  # no commit
    finally:
        engine.dispose()
    assert db.exec(select(LoginFailure.email)).all() == ["alone@clinic.test"]
