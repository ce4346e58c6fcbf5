"""Sign-in plumbing, role checks, CSRF and the security headers every response carries."""

from __future__ import annotations

import ipaddress
from functools import lru_cache, wraps

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, generate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer, want_bytes
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.auth import signin_sessions
from webapp.db import get_session
from webapp.models import Patient, StaffUser

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "basic"


class StaffPrincipal(UserMixin):
    """The signed-in staff member; its id is the server-side session id, so it can be revoked."""

    def __init__(self, user: StaffUser, sid: str):
        self.id = user.id
        self.email = user.email
        self.name = user.name
        self.role = user.role
        self.sid = sid

    def get_id(self) -> str:
        return self.sid


@login_manager.user_loader
def _load_principal(sid: str) -> StaffPrincipal | None:
    user = signin_sessions.load_staff(get_session(), sid, current_app.config)
    return StaffPrincipal(user, sid) if user else None


def role_required(*roles: str):
    """Allow the view only to signed-in, active staff with one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _load_patient_session() -> None:
    """Put a valid patient session's patient id and language (g.locale) on `g`, in one query.

    On a page about a survey assignment (an ``assignment_id`` in the URL), the same query
    loads that assignment if it is the patient's own: ``g.patient_visit.assignment``.
    """
    g.patient_id = None
    # Touch the session only in the patient area: reading it anywhere else adds
    # "Vary: Cookie", and shared caches would keep one copy of plotly.js per visitor.
    if request.blueprint != "patient":
        return
    _reuse_signed_form_token()
    psid = session.get("psid")
    if not psid:
        return
    visit = signin_sessions.load_patient_visit(
        get_session(), psid, current_app.config,
        assignment_id=(request.view_args or {}).get("assignment_id"))
    if visit is not None:
        g.patient_id, g.locale, g.patient_visit = visit.patient_id, visit.language, visit


@lru_cache(maxsize=1024)
def _signed_form_token(_secret_key: str, _raw_token: str) -> str:
    return generate_csrf()  # signs this request's session token: the one in the cache key


def _reuse_signed_form_token() -> None:
    """Sign a session's form token once per worker, not on every page as Flask-WTF would.

    The signature is Flask-WTF's (generate_csrf, put on ``g`` where it looks first); only its
    timestamp is older, which matters solely when WTF_CSRF_TIME_LIMIT gives tokens an age
    limit: then every page signs afresh. Keyed by the secret key, so a new key signs anew.
    """
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if raw is None or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    setattr(g, field, _signed_form_token(secret, raw))


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'{style_extra}; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


# Files with no patient data, which browsers may keep; every other response is no-store.
CACHEABLE_ENDPOINTS = ("static", "dashboards.send_plotly_js")


# Plotly.js injects <style> elements; only dashboard pages allow inline styles, never scripts.
_CSP_INLINE_STYLES = CSP.format(style_extra=" 'unsafe-inline'")
_CSP_STRICT = CSP.format(style_extra="")


def _security_headers(response):
    inline = g.get("allow_inline_styles")
    response.headers["Content-Security-Policy"] = _CSP_INLINE_STYLES if inline else _CSP_STRICT
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:  # the scheme the client used (ProxyFix applies X-Forwarded-Proto)
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


class _KeyKeepingSigner(TimestampSigner):
    """itsdangerous's signer, deriving each key once per process instead of per signature."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(key, self.salt, self.key_derivation, self.digest_method)


@lru_cache(maxsize=64)
def _derived_key(key: bytes, salt: bytes, derivation: str, digest) -> bytes:
    return TimestampSigner(key, salt=salt, key_derivation=derivation,
                           digest_method=digest).derive_key()


@lru_cache(maxsize=8)
def _signing_serializer(keys: tuple, salt: str) -> URLSafeTimedSerializer:
    # Flask's own settings (SecureCookieSessionInterface.get_signing_serializer), current key
    # last as itsdangerous expects; only the signer class differs.
    interface = SecureCookieSessionInterface
    return URLSafeTimedSerializer(
        [*keys[1:], keys[0]], salt=salt, serializer=interface.serializer,
        signer=_KeyKeepingSigner, signer_kwargs={"key_derivation": interface.key_derivation,
                                                 "digest_method": interface.digest_method})


class _AssetAwareSessionInterface(SecureCookieSessionInterface):
    """The cookie session, minus "Vary: Cookie" on files that never depend on it.

    Flask-Login reads the session after every request, so Flask would mark even plotly.js
    and the static files "Vary: Cookie", and a shared cache would keep one copy per visitor.
    """

    def get_signing_serializer(self, app):
        """Flask's serializer, built once per set of keys, not twice per request."""
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        return _signing_serializer(keys, self.salt) if app.secret_key else None

    def save_session(self, app, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint in CACHEABLE_ENDPOINTS:
            # Lower case on purpose: HeaderSet.remove compares key.lower() to the argument.
            response.vary.discard("cookie")


def _only_ip_addresses(wsgi_app):
    """Keep REMOTE_ADDR an IP address: a forwarded value that is not one gives way to the peer.

    Reached around the proxy, a client writes X-Forwarded-For itself; whatever it writes must
    not become an "address" that sign-in limits and the audit trail store.
    """

    def app(environ, start_response):
        try:
            ipaddress.ip_address(environ.get("REMOTE_ADDR") or "")
        except ValueError:
            original = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
            environ["REMOTE_ADDR"] = original
        return wsgi_app(environ, start_response)

    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address and scheme from the last `hops` proxies' X-Forwarded headers."""
    if hops:
        app.wsgi_app = ProxyFix(_only_ip_addresses(app.wsgi_app), x_for=hops, x_proto=hops)


def init_app(app: Flask) -> None:
    """Wire the proxy setting, CSRF, Flask-Login, the patient session and the security headers."""
    trust_proxies(app, int(app.config.get("PROXY_HOPS") or 0))
    app.session_interface = _AssetAwareSessionInterface()
    csrf.init_app(app)
    # Flask-Login's own context processor loads the user for every template, patient pages
    # too; the proxy loads it only where a template asks.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    app.before_request(_load_patient_session)
    app.after_request(_security_headers)


class ActionForm(FlaskForm):
    """An empty form for a button that changes something: only its CSRF token matters."""


def live_patient_or_404(patient_id: int) -> Patient:
    """Return a patient who exists and is not erased, else abort with 404."""
    patient = get_session().get(Patient, patient_id)
    if patient is None or patient.erased_at is not None:
        abort(404)
    return patient
