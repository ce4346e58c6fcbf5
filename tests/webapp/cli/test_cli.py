"""The nervetrack command: user creation, migrations and configuration errors (exit code 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlmodel import select

from webapp.cli.main import cli
from webapp.models import StaffUser


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _create(runner, **overrides):
    args = {"--email": "cli@clinic.test", "--name": "Cli User", "--role": "coordinator",
            "--password": "Another long secret 9"}
    args.update(overrides)
    flat = [item for pair in args.items() for item in pair]
    return runner.invoke(cli, ["create-user", *flat])


def test_create_user(runner, db):
    result = _create(runner)
    assert result.exit_code == 0, result.output
    assert db.exec(select(StaffUser)).one().role == "coordinator"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"--role": "janitor"}, "Unknown role 'janitor'"),
     ({"--password": "tiny"}, "at least 12 characters"),
     ({"--email": "not-an-email"}, "is not an email address")],
)
def test_bad_create_user_exits_2_with_a_message(runner, db, overrides, message):
    result = _create(runner, **overrides)
    assert result.exit_code == 2
    assert message in result.output
    assert db.exec(select(StaffUser)).all() == []


def test_duplicate_user_exits_2_and_keeps_the_first(runner, db):
    assert _create(runner).exit_code == 0
    result = _create(runner, **{"--name": "Impostor", "--role": "admin"})
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert db.exec(select(StaffUser)).one().name == "Cli User"


def _run_console(args, env_extra, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NERVETRACK_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", "from webapp.cli.main import main; main()", *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_bad_database_url_exits_2_without_a_traceback(tmp_path):
    result = _run_console(["db", "upgrade"], {"NERVETRACK_DATABASE_URL": "mysql://x@y/z",
                                              "NERVETRACK_SECRET_KEY": "k"}, tmp_path)
    assert result.returncode == 2
    assert "supports sqlite and postgresql only" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_exits_2_without_a_traceback(tmp_path):
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = _run_console(["db", "upgrade"], {"NERVETRACK_DATABASE_URL": url,
                                              "NERVETRACK_SECRET_KEY": "k"}, tmp_path)
    assert result.returncode == 2
    assert "cannot use the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secret_exits_2(tmp_path):
    result = _run_console(["db", "upgrade"], {}, tmp_path)
    assert result.returncode == 2
    assert "NERVETRACK_SECRET_KEY is not set" in result.stderr


def test_db_upgrade_creates_the_schema(tmp_path):
    env = {"NERVETRACK_SECRET_KEY": "k", "NERVETRACK_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    result = _run_console(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Database at revision" in result.stdout
    assert "head" in _run_console(["db", "current"], env, tmp_path).stdout
