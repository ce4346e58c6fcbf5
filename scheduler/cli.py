"""`nervetrack scheduler` (the long-running process) and `nervetrack dispatch --once`."""

from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from scheduler.jobs import run_once
from scheduler.process import run_scheduler


class BadOption(click.ClickException):
    """A mistake in the command line: printed plainly, exit code 2."""

    exit_code = 2


def register(cli: click.Group) -> None:
    """Add the scheduler commands to the CLI group."""
    cli.add_command(scheduler_command)
    cli.add_command(dispatch_command)


def parse_now(value: str | None) -> datetime | None:
    """Parse the hidden --now option (ISO 8601 with a time zone); None means the real clock."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadOption(f"--now {value!r} is not an ISO 8601 time such as "
                        "2026-03-01T09:00:00+00:00.") from None
    if parsed.tzinfo is None:
        raise BadOption(f"--now {value!r} has no time zone: add one, e.g. "
                        "2026-03-01T09:00:00+00:00 or ...Z.")
    return parsed


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process: dispatch reminders, re-plan courses, mark missed windows."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo("NerveTrack scheduler starting (Ctrl-C to stop).")
    run_scheduler(current_app._get_current_object())
    click.echo("NerveTrack scheduler stopped.")


@click.command("dispatch")
@click.option("--once", is_flag=True, help="Run one replan, dispatch and mark-missed pass.")
@click.option("--now", "now_text", hidden=True, default=None,
              help="Pretend it is this time (ISO 8601 with zone): tests and cron catch-up.")
@with_appcontext
def dispatch_command(once: bool, now_text: str | None) -> None:
    """Run one pass of the scheduler's jobs and print the counts."""
    if not once:
        raise BadOption("Use `nervetrack dispatch --once` for one pass, "
                        "or `nervetrack scheduler` for the long-running process.")
    now = parse_now(now_text)
    report = run_once(current_app._get_current_object(), now)
    click.echo(report.describe())
