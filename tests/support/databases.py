"""Where the PostgreSQL half of the suite runs."""

from __future__ import annotations

import os

PG_ENV = "NERVETRACK_TEST_POSTGRES_URL"


def pg_admin_url() -> str | None:
    """Return the PostgreSQL server URL for tests (psycopg driver), or None when not set."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1)
