"""Configuration: precedence, database URLs, the secret key rule, proxy hops, clinic zone."""

from __future__ import annotations

import os
import subprocess
import sys

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


@pytest.mark.parametrize(("value", "hops"), [(0, 0), ("0", 0), (1, 1), (" 2 ", 2), (5, 5)])
def test_proxy_hops_are_a_small_whole_number(tmp_path, value, hops):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "PROXY_HOPS": value})
    assert app.config["PROXY_HOPS"] == hops


@pytest.mark.parametrize(("setting", "value"), [
    ("PROXY_HOPS", -1), ("PROXY_HOPS", "one"), ("PROXY_HOPS", 1.5), ("PROXY_HOPS", True),
    ("PROXY_HOPS", ""), ("PROXY_HOPS", 6), ("PROXY_HOPS", "２"), ("PROXY_HOPS", None),
    ("CLINIC_TIMEZONE", "Mars/Olympus"), ("CLINIC_TIMEZONE", "utc"),
    ("CLINIC_TIMEZONE", "../etc/passwd"), ("CLINIC_TIMEZONE", "localtime"),
    ("CLINIC_TIMEZONE", ""), ("CLINIC_TIMEZONE", None), ("CLINIC_TIMEZONE", "Europe"),
])
def test_bad_proxy_hops_or_clinic_zone_refuse_to_start(tmp_path, setting, value):
    with pytest.raises(ConfigError, match=f"NERVETRACK_{setting} must be"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", setting: value})


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/Argentina/Buenos_Aires"])
def test_the_clinic_zone_is_any_iana_zone(tmp_path, zone):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "CLINIC_TIMEZONE": zone})
    assert app.config["CLINIC_TIMEZONE"] == zone


@pytest.mark.parametrize(("variable", "value"), [("NERVETRACK_PROXY_HOPS", "-1"),
                                                 ("NERVETRACK_CLINIC_TIMEZONE", "Nowhere")])
def test_a_bad_setting_in_the_environment_exits_2_with_one_line(tmp_path, variable, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NERVETRACK_")}
    env.update({"NERVETRACK_SECRET_KEY": "k", variable: value})
    result = subprocess.run([sys.executable, "-c", "from webapp.cli.main import main; main()",
                             "routes"], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 2
    assert f"{variable} must be" in result.stderr and "Traceback" not in result.stderr
