"""`nervetrack export-fhir --out DIR`: the cohort as FHIR R4 NDJSON, one Bundle per line."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import audit
from webapp.db import get_session
from webapp.fhir.bundle import cohort_bundles, export_options, resource_counts, to_line
from webapp.fhir.records import live_patient_ids
from webapp.models import utcnow

FILENAME = "nervetrack-cohort.fhir.ndjson"


class UsageProblem(click.ClickException):
    """A mistake in the command line or the --out folder: one plain line, exit code 2."""

    exit_code = 2


class OneLineCommand(click.Command):
    """A command whose usage mistakes print one line and exit 2, like every other mistake."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UsageProblem(f"{self.name}: {exc.format_message()} "
                               f"(see nervetrack {self.name} --help)") from None


def register(cli: click.Group) -> None:
    """Add `export-fhir` to the CLI group."""
    cli.add_command(export_fhir_command)


def _out_dir(out: Path) -> Path:
    folder = out.expanduser()
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"export-fhir: --out {str(folder)!r} is a file, not a folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageProblem(f"export-fhir: cannot create {str(folder)!r}: "
                           f"{exc.strerror or type(exc).__name__}.") from None
    return folder


def write_cohort(path: Path) -> tuple[int, Counter]:
    """Write the cohort NDJSON to path (atomically); return (bundles, resources by type)."""
    db = get_session()
    ids = live_patient_ids(db)
    options = export_options(current_app, utcnow())
    counts: Counter = Counter()
    bundles = 0
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            for bundle in cohort_bundles(db, options, ids):
                handle.write(to_line(bundle))
                counts.update(resource_counts(bundle))
                bundles += 1
        os.replace(partial, path)  # a reader never sees half a file under the real name
    finally:
        partial.unlink(missing_ok=True)
    audit.add_event(db, "cohort_fhir_exported", actor_type="system", actor_label="cli",
                    detail={"patients": len(ids), "file": path.name})
    db.commit()
    return bundles, counts


@click.command("export-fhir", cls=OneLineCommand)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to write nervetrack-cohort.fhir.ndjson into (made if missing).")
@with_appcontext
def export_fhir_command(out: Path) -> None:
    """Write every live patient's FHIR R4 Bundle to DIR, one per line, and print the counts."""
    folder = _out_dir(out)
    try:
        bundles, counts = write_cohort(folder / FILENAME)
    except OSError as exc:
        raise UsageProblem(f"export-fhir: cannot write to {str(folder)!r}: "
                           f"{exc.strerror or type(exc).__name__}.") from None
    by_type = ", ".join(f"{counts[kind]} {kind}" for kind in sorted(counts)) or "no resources"
    click.echo(f"Wrote {bundles} bundles ({sum(counts.values())} resources: {by_type}) "
               f"to {folder / FILENAME}")
