"""The command line's one error type for operator mistakes."""

from __future__ import annotations

import click


class UsageProblem(click.ClickException):
    """A mistake in what the operator asked for: printed plainly, exit code 2."""

    exit_code = 2
