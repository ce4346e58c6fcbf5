"""The NerveTrack web app: the imperative shell around surveys, charts and the scheduler."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from webapp.config import (
    DEFAULTS,
    ConfigError,
    check_clinic_timezone,
    check_proxy_hops,
    check_smtp_cafile,
    default_database_url,
    normalise_database_url,
    resolve_secret_key,
)

__all__ = ["ConfigError", "create_app"]


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: defaults, NERVETRACK_* variables, the instance folder, then `config`."""
    app = Flask(__name__, instance_path=_instance_path(config), instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="NERVETRACK")
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.from_mapping(config)
    _finish_config(app)
    _register(app)
    return app


def _instance_path(config: Mapping | None) -> str:
    given = (config or {}).get("INSTANCE_PATH") or os.environ.get("NERVETRACK_INSTANCE_PATH")
    return os.path.abspath(given or os.path.join(os.getcwd(), "instance"))


def _finish_config(app: Flask) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    url = app.config.get("DATABASE_URL") or default_database_url(app.instance_path)
    app.config["DATABASE_URL"] = normalise_database_url(str(url))
    app.config["SECRET_KEY"] = resolve_secret_key(app.config, app.instance_path)
    app.config["SMTP_CAFILE"] = check_smtp_cafile(app.config.get("SMTP_CAFILE"))
    app.config["PROXY_HOPS"] = check_proxy_hops(app.config.get("PROXY_HOPS"))
    app.config["CLINIC_TIMEZONE"] = check_clinic_timezone(app.config.get("CLINIC_TIMEZONE"))
    if not app.config.get("OUTBOX_PATH"):
        app.config["OUTBOX_PATH"] = os.path.join(app.instance_path, "outbox.jsonl")
    secure = str(app.config["BASE_URL"]).startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["SESSION_COOKIE_NAME"] = "__Host-nervetrack" if secure else "nervetrack"
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"


def _register(app: Flask) -> None:
    # Views are imported when an app is built, not when `webapp` is: the scheduler process and
    # the migrations import webapp.models without loading Flask views, forms and plotly.
    from webapp import compression, db, errors, i18n, params, static_urls
    from webapp.admin import audit_views, user_views
    from webapp.auth import home, security, two_factor
    from webapp.auth import views as auth_views
    from webapp.care import session_views  # noqa: F401  (routes on the care blueprint)
    from webapp.care import views as care_views
    from webapp.dashboards import safety_views  # noqa: F401  (routes on the dashboards blueprint)
    from webapp.dashboards import views as dashboard_views
    from webapp.fhir import import_views  # noqa: F401  (routes on the fhir blueprint)
    from webapp.fhir import views as fhir_views
    from webapp.followup import sms_inbound
    from webapp.logs import install_log_filters
    from webapp.patients import data_rights_views
    from webapp.patients import views as patient_views
    from webapp.protocols import views as protocol_views
    from webapp.survey import (  # noqa: F401  (routes on the patient blueprint)
        language_views,
        problem_views,
        progress_views,
        reminder_views,
    )
    from webapp.survey import views as survey_views

    install_log_filters()
    # Before any route is added: every <int:...> id is bounded, so no query sees a huge one.
    app.url_map.converters["int"] = params.BoundedIntConverter
    app.before_request(params.refuse_unreadable_parameters)
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    static_urls.init_app(app)
    for module in (auth_views, two_factor, home, user_views, audit_views, care_views,
                   dashboard_views, patient_views, protocol_views, data_rights_views,
                   survey_views, fhir_views, sms_inbound):
        app.register_blueprint(module.bp)
