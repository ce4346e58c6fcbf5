"""Temporary databases for the benchmarks: a SQLite file, or a PostgreSQL database made and dropped.

PostgreSQL: NERVETRACK_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def create_database(kind: str, workdir: str) -> tuple[str, object]:
    """Create an empty database; return (url, drop callback)."""
    if kind == "sqlite":
        path = Path(workdir) / f"bench-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    admin_url = os.environ.get("NERVETRACK_BENCH_POSTGRES_URL", PG_DEFAULT)
    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"nt_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def with_postgresql_folder(prefix: str, run, *args) -> None:
    """Call run(url, folder, *args) on a temporary PostgreSQL database and folder; drop both."""
    url, drop = create_database("postgresql", "")
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            run(url, Path(folder), *args)
    finally:
        drop()
