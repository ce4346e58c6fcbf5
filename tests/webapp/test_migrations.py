"""Migrating an empty database to head gives exactly the models' schema, on both databases."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import webapp.models  # noqa: F401
from tests.support.databases import pg_admin_url
from webapp.db import make_engine
from webapp.migrate import current_revision, downgrade, head_revision, upgrade


def _schema_differences(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, SQLModel.metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    admin_url = pg_admin_url()
    if admin_url is None:
        pytest.skip("PostgreSQL tests need NERVETRACK_TEST_POSTGRES_URL")
    name = f"nt_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(sa.engine.make_url(admin_url).set(database=name)
                         .render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_to_head_matches_the_models_exactly(empty_engine):
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert _schema_differences(empty_engine) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    tables = set(sa.inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(empty_engine)
    assert _schema_differences(empty_engine) == []
