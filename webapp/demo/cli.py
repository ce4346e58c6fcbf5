"""`nervetrack demo` and `nervetrack seed-demo`."""

from __future__ import annotations

import urllib.request

import click
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from scheduler.process import start_background_scheduler
from surveys.languages import get_language
from webapp import create_app
from webapp.dashboards import plotly_bundle
from webapp.db import get_engine, get_session
from webapp.demo.accounts import DEMO_ADMIN_TOTP_SECRET, DEMO_PASSWORDS
from webapp.demo.seed import DEMO_PATIENTS_ABROAD, demo_patient_link, seed_demo
from webapp.migrate import upgrade

DEMO_TIMEOUT_S = 5  # the demo tries the bundle download briefly; offline it serves the full one


def register(cli: click.Group) -> None:
    """Add the demo commands to the CLI group."""
    cli.add_command(demo_command)
    cli.add_command(seed_demo_command)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Seed the configured database with the demo data (safe to run twice)."""
    upgrade(get_engine())
    summary = seed_demo(session=get_session())
    click.echo(summary.describe())


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Prepare and print, but do not start the server.")
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Create, migrate and seed a local SQLite demo, then serve it with the scheduler."""
    base_url = f"http://{host}:{port}"
    app = create_app({"DEMO": True, "REMINDER_CHANNEL": "file", "BASE_URL": base_url})
    with app.app_context():
        upgrade(get_engine())
        summary = seed_demo(session=get_session())
        link = demo_patient_link(session=get_session(), base_url=base_url)
        abroad = [(language, demo_patient_link(session=get_session(), base_url=base_url,
                                               code=code))
                  for code, _name, _zone, language in DEMO_PATIENTS_ABROAD]
    click.echo(summary.describe())
    click.echo(f"\nNerveTrack demo: {base_url}/login")
    for role, (email, password) in DEMO_PASSWORDS.items():
        click.echo(f"  {role:<12} {email}  password: {password}")
    click.echo(f"  admin two-factor key: {DEMO_ADMIN_TOTP_SECRET} (current code: "
               f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_ADMIN_TOTP_SECRET}')"
               f".now())\")")
    click.echo(f"  patient link (single use): {link}")
    for language, other in abroad:
        click.echo(f"  patient link in {get_language(language).english_name}: {other}")
    click.echo(f"  reminders are written to {app.config['OUTBOX_PATH']}")
    if no_serve:
        return
    click.echo(bundle_for_demo(app))  # offline: the full bundle, which always works
    _serve(app, host, port)


def _serve(app, host: str, port: int) -> None:
    start_background_scheduler(app)
    # Not app.run(): Flask ignores it inside its own CLI. The demo serves with werkzeug directly.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def bundle_for_demo(app, *, timeout: float = DEMO_TIMEOUT_S, url: str | None = None,
                    opener=urllib.request.urlopen) -> str:
    """Fetch the basic bundle if absent (briefly; offline is fine); return the line to print."""
    folder = plotly_bundle.asset_dir_of(app.config)
    problem = ""
    if plotly_bundle.installed_bundle(folder) is None:
        try:
            plotly_bundle.fetch_basic_bundle(folder, url=url, timeout=timeout, opener=opener)
        except plotly_bundle.BundleError as exc:
            problem = f" (basic bundle unavailable: {exc}; run `nervetrack fetch-assets` later)"
    bundle = plotly_bundle.bundle_for(app)
    return (f"  dashboards serve the {bundle.kind} plotly.js {bundle.version} bundle, "
            f"{plotly_bundle.megabytes(bundle.size)}{problem}")
