"""Blueprints: one module each, registered by the app factory."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the web app."""
    from webapp.views import (
        admin,
        auth,
        clinician,
        coordinator,
        dashboards,
        home,
        patient,
        protocols,
    )

    for module in (auth, home, admin, clinician, dashboards, coordinator, protocols, patient):
        app.register_blueprint(module.bp)
