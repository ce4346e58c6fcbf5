"""`nervetrack fetch-assets`, and the demo's best-effort fetch of the plotly.js basic bundle."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Config

from webapp import _instance_path
from webapp.cli.problems import UsageProblem
from webapp.config import DEFAULTS
from webapp.dashboards import plotly_bundle


def register(cli: click.Group) -> None:
    """Add `fetch-assets` to the CLI group."""
    cli.add_command(fetch_assets_command)


def configured_asset_dir() -> Path:
    """The asset folder from the same layers as the app (defaults, NERVETRACK_*, instance file).

    Read without building the app, so fetching assets needs no secret key and no database.
    """
    config = Config(_instance_path(None))
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env(prefix="NERVETRACK")
    config.from_pyfile(os.path.join(_instance_path(None), "config.py"), silent=True)
    return plotly_bundle.asset_dir_of(config)


@click.command("fetch-assets")
@click.option("--dir", "asset_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to store the bundle in (default: NERVETRACK_ASSET_DIR, else "
                   "~/.cache/nervetrack).")
@click.option("--url", help="Download the pinned tarball from this mirror instead of the npm "
                            "registry; its integrity is checked all the same.")
def fetch_assets_command(asset_dir: Path | None, url: str | None) -> None:
    """Download and verify the pinned plotly.js basic bundle the dashboards serve."""
    pin = plotly_bundle.BASIC
    folder = asset_dir.expanduser() if asset_dir else configured_asset_dir()
    present = plotly_bundle.installed_bundle(folder, pin)
    if present is not None:
        click.echo(f"plotly.js basic bundle {pin.version} already present and verified: {present}")
    else:
        try:
            path = plotly_bundle.fetch_basic_bundle(folder, url=url, pin=pin)
        except plotly_bundle.BundleError as exc:
            raise UsageProblem(f"fetch-assets: {exc}") from None
        click.echo(f"Downloaded and verified plotly.js basic bundle {pin.version} "
                   f"({plotly_bundle.megabytes(path.stat().st_size)}): {path}")
    drawn_for = plotly_bundle.plotlyjs_version()
    if drawn_for != pin.version:
        click.echo(f"note: the installed plotly.py draws for plotly.js {drawn_for}, so the full "
                   f"bundle is served until the pin ({pin.version}) matches it", err=True)

