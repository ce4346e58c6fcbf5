"""`nervetrack translations extract|update|compile`: the message catalogues, through pybabel."""

from __future__ import annotations

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface

from surveys.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES
from webapp.i18n import TRANSLATIONS

WEBAPP = Path(__file__).resolve().parents[1]
TEMPLATE = TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


@click.group("translations")
def translations_group() -> None:
    """Message catalogues: extract the strings, update each language, compile them."""


@translations_group.command("extract")
def extract() -> None:
    """Collect every marked string of the web app into messages.pot."""
    _pybabel("extract", "-F", str(WEBAPP / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "--omit-header", "-o", str(TEMPLATE), str(WEBAPP))
    click.echo(f"Extracted {TEMPLATE}")


@translations_group.command("update")
def update() -> None:
    """Merge messages.pot into each language's catalogue (creating missing ones)."""
    for code in LANGUAGE_CODES:
        if code == DEFAULT_LANGUAGE:
            continue
        exists = (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").exists()
        _pybabel("update" if exists else "init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS),
                 "-l", code, *(["--no-fuzzy-matching", "--omit-header"] if exists else []))
    click.echo(f"Updated the catalogues in {TRANSLATIONS}")


@translations_group.command("compile")
def compile_catalogues() -> None:
    """Compile every catalogue to the .mo files the app reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")
    click.echo(f"Compiled the catalogues in {TRANSLATIONS}")


def register(cli: click.Group) -> None:
    """Add `translations` to the CLI group."""
    cli.add_command(translations_group)
