"""Shared fixtures: an app on a fresh database per test, on SQLite and (when configured) PostgreSQL.

Set NERVETRACK_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too; without it the PostgreSQL half is reported as skipped.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tests.support.databases import PG_ENV, pg_admin_url
from tests.support.web import STAFF_PASSWORD, login
from webapp import create_app
from webapp.db import get_engine


@pytest.fixture(scope="session")
def pg_database_url():
    """Create a PostgreSQL database for this test run, migrated to head; drop it afterwards."""
    admin_url = pg_admin_url()
    if admin_url is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    name = f"nt_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    from webapp.db import make_engine
    from webapp.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # A connection a previous test leaked inside a transaction would make TRUNCATE wait for
        # ever: fail that test's successor within seconds instead of hanging the whole run.
        conn.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database with the full schema, on each database NerveTrack supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        from webapp.db import make_engine

        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("pg_database_url")
    _truncate_all(url)
    return url


@pytest.fixture
def app_config(database_url, tmp_path):
    """The configuration mapping tests hand to create_app."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": "http://nervetrack.test",
        "REMINDER_CHANNEL": "file",
        # An empty asset folder: pages under test never depend on a bundle fetched into the
        # user's cache (they get plotly.py's full bundle); tests/test_plotly_bundle.py and
        # the browser tests choose their bundle explicitly.
        "ASSET_DIR": str(tmp_path / "assets"),
    }


@pytest.fixture
def app(app_config):
    """A NerveTrack app on a fresh database."""
    application = create_app(app_config)
    yield application
    get_engine(application).dispose()


@pytest.fixture
def db(app):
    """A database session outside any request."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()




@pytest.fixture
def make_staff(db):
    """Create a staff user with STAFF_PASSWORD and return it."""
    from webapp.auth.users import create_user

    def _make(role: str, email: str | None = None, active: bool = True):
        user = create_user(session=db, email=email or f"{role}@clinic.test", name=role.title(),
                           role=role, password=STAFF_PASSWORD)
        user.is_active = active
        db.commit()
        return user

    return _make


@pytest.fixture
def signed_in(client, make_staff):
    """Return a factory: signed_in(role) creates that staff user and signs the client in."""

    def _sign_in(role: str):
        make_staff(role)
        login(client, f"{role}@clinic.test", STAFF_PASSWORD)
        return client

    return _sign_in
