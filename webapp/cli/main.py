"""The `nervetrack` command: a Flask CLI group with NerveTrack's own commands."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError

from scheduler import cli as scheduler_cli
from webapp import ConfigError, audit, create_app
from webapp.auth.users import UserError, create_user
from webapp.cli import assets, translations
from webapp.cli.problems import UsageProblem
from webapp.db import get_engine, get_session
from webapp.demo import cli as demo_cli
from webapp.fhir import cli as fhir_cli
from webapp.migrate import current_revision, head_revision, upgrade


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def cli() -> None:
    """NerveTrack: outcome tracking for ultrasound-guided nerve hydrodissection."""


@cli.group("db")
def db_group() -> None:
    """Database schema commands (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    upgrade(get_engine(), revision)
    click.echo(f"Database at revision {current_revision(get_engine())}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    click.echo(f"current: {current_revision(get_engine()) or 'none'}  head: {head_revision()}")


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, help="clinician, coordinator or admin")
@click.password_option("--password", help="12 to 128 characters (prompted if omitted)")
@with_appcontext
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a staff user."""
    db = get_session()
    try:
        user = create_user(session=db, email=email, name=name, role=role, password=password)
    except UserError as exc:
        db.rollback()
        raise UsageProblem(str(exc)) from None
    db.flush()
    audit.add_event(db, "user_created", actor_type="system", actor_label="cli",
                    record_type="staff_user", record_id=user.id, detail={"role": role})
    db.commit()
    click.echo(f"Created {user.role} {user.email}.")


demo_cli.register(cli)
assets.register(cli)
translations.register(cli)
scheduler_cli.register(cli)
fhir_cli.register(cli)


def main() -> None:
    """Entry point of the `nervetrack` console script."""
    try:
        cli.main(prog_name="nervetrack")
    except ConfigError as exc:
        click.echo(f"nervetrack: configuration error: {exc}", err=True)
        sys.exit(2)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        click.echo(f"nervetrack: cannot use the database: {reason}. "
                   "Check NERVETRACK_DATABASE_URL and that the server is running.", err=True)
        sys.exit(2)
