"""Configuration: precedence, database URLs and the secret key rule."""

from __future__ import annotations

import pytest

from webapp import ConfigError, create_app
from webapp.config import normalise_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
    ],
)
def test_database_urls_are_normalised(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/db", "supports sqlite and postgresql only"),
        ("", "is not a database URL"),
    ],
)
def test_bad_database_urls_are_refused_clearly(url, fragment):
    with pytest.raises(ConfigError, match=fragment):
        normalise_database_url(url)


def test_production_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("NERVETRACK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="NERVETRACK_SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_demo_makes_a_secret_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("NERVETRACK_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "DEMO": True})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 64
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_then_instance_folder_then_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("NERVETRACK_SECRET_KEY", "from-env")
    monkeypatch.setenv("NERVETRACK_CLINIC_NAME", "Env Clinic")
    monkeypatch.setenv("NERVETRACK_BASE_URL", "https://env.example")
    (tmp_path / "config.py").write_text("CLINIC_NAME = 'Instance Clinic'\n")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "https://mapping.example"})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["CLINIC_NAME"] == "Instance Clinic"
    assert app.config["BASE_URL"] == "https://mapping.example"
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-nervetrack"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NERVETRACK_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'nervetrack.db'}"
    assert app.config["SESSION_COOKIE_NAME"] == "nervetrack"


def test_nothing_is_created_at_import_time():
    import importlib

    import webapp

    module = importlib.reload(webapp)
    assert not hasattr(module, "app")
