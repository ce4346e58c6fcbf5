"""Blueprints: one module each, registered by the app factory."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the web app."""
    from webapp.views import (
        admin,
        admin_audit,
        auth,
        clinician,
        coordinator,
        dashboards,
        data_rights,
        home,
        patient,
        protocols,
        two_factor,
    )

    modules = (auth, two_factor, home, admin, admin_audit, clinician, dashboards, coordinator,
               protocols, data_rights, patient)
    for module in modules:
        app.register_blueprint(module.bp)
