"""Shared fixtures: an app on a fresh database per test, on SQLite and (when configured) PostgreSQL.

Set NERVETRACK_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too; without it the PostgreSQL half is reported as skipped.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from webapp import create_app
from webapp.db import get_engine

PG_ENV = "NERVETRACK_TEST_POSTGRES_URL"


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def pg_database_url():
    """Create a PostgreSQL database for this test run, migrated to head; drop it afterwards."""
    admin_url = _pg_admin_url()
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


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


SECRET_RE = re.compile(r'<p class="secret"><code>([A-Z2-7]+)</code>')


def submit_code(client, path: str, secret: str):
    """Post the current TOTP code for `secret` to a two-factor page."""
    import pyotp

    token = csrf_token(client, path)
    return client.post(path, data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})


def login(client, email: str, password: str, *, totp_secret: str | None = None):
    """Sign in through the real forms (CSRF token, and the TOTP step when there is one).

    An admin's first sign-in sets up TOTP from the key shown on the page, as a person would.
    """
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    location = response.headers.get("Location", "")
    if location.endswith("/login/setup-code"):
        html = client.get("/login/setup-code").get_data(as_text=True)
        return submit_code(client, "/login/setup-code", SECRET_RE.search(html).group(1))
    if location.endswith("/login/code") and totp_secret:
        return submit_code(client, "/login/code", totp_secret)
    return response


STAFF_PASSWORD = "Correct horse staple 42"


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
