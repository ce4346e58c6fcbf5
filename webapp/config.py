"""Configuration: defaults, then NERVETRACK_* environment variables, then the instance folder."""

from __future__ import annotations

import secrets
import ssl
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A configuration mistake an operator must fix; shown as a message, never a traceback."""


DEFAULTS = {
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "BASE_URL": "http://127.0.0.1:5000",
    "SMTP_URL": None,
    "SMTP_CAFILE": None,  # PEM bundle of extra CAs for a mail relay with a private CA
    "MAIL_SENDER": "NerveTrack <no-reply@nervetrack.invalid>",
    "SMS_URL": None,
    "SMS_TOKEN": None,
    "SMS_SENDER": "NerveTrack",
    # Bearer token the SMS gateway sends to /hooks/sms/inbound (STOP replies); unset: hook off.
    "SMS_INBOUND_TOKEN": None,
    "CLINIC_NAME": "NerveTrack Demo Clinic",
    # The languages the clinic serves (codes from surveys/languages.py), the first the default.
    "LANGUAGES": "en,fr,es,fa",
    "CLINIC_TIMEZONE": "UTC",  # an IANA zone: times on admin pages are shown in it
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    "PROXY_HOPS": 0,
    "INSTRUMENTS_DIR": None,
    "ASSET_DIR": None,  # downloaded assets (the plotly.js basic bundle); None: ~/.cache/nervetrack
    "DEMO": False,
    "REMINDER_CHANNEL": None,  # "file" sends every reminder to OUTBOX_PATH (the demo)
    "OUTBOX_PATH": None,
    "STAFF_IDLE_MINUTES": 15,
    "STAFF_ABSOLUTE_HOURS": 8,
    "PATIENT_SESSION_MINUTES": 60,
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "ADMIN_TOTP_REQUIRED": True,
    "ERASE_KEEPS_ANONYMISED_ANSWERS": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 256 * 1024,
}

SUPPORTED_DRIVERS = {"sqlite", "postgresql", "postgresql+psycopg"}


def normalise_database_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver named, or raise ConfigError if it is unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"NERVETRACK_DATABASE_URL is not a database URL: {url!r}. "
            "Use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname."
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"NERVETRACK_DATABASE_URL uses {parsed.drivername!r}; "
            "NerveTrack supports sqlite and postgresql only."
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def default_database_url(instance_path: str) -> str:
    """Return the zero-setup SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'nervetrack.db'}"


def resolve_secret_key(config: dict, instance_path: str) -> str:
    """Find the secret key; the demo makes and keeps one, production must be given one."""
    if config.get("SECRET_KEY"):
        return str(config["SECRET_KEY"])
    keyfile = Path(instance_path) / "secret_key"
    if keyfile.exists():
        return keyfile.read_text().strip()
    if config.get("DEMO") or config.get("TESTING"):
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        keyfile.write_text(key)
        keyfile.chmod(0o600)
        return key
    raise ConfigError(
        "NERVETRACK_SECRET_KEY is not set. Production refuses to start without a secret key: "
        "set it to a long random value (python -c 'import secrets; print(secrets.token_hex(32))'), "
        "or run `nervetrack demo` for a local demo that makes its own."
    )


def check_smtp_cafile(value: object) -> str | None:
    """Return the SMTP CA bundle as an absolute path, or raise ConfigError if it is unusable."""
    if not value:
        return None
    path = Path(str(value)).expanduser().absolute()
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except ssl.SSLError:
        raise ConfigError(
            f"NERVETRACK_SMTP_CAFILE {str(path)!r} holds no PEM certificate. "
            "Give a PEM file of the mail relay's CA certificates (-----BEGIN CERTIFICATE-----), "
            "or unset it to trust the system's CAs only."
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"NERVETRACK_SMTP_CAFILE {str(path)!r} cannot be read ({reason}). "
            "Give the path of a PEM file of the mail relay's CA certificates, "
            "or unset it to trust the system's CAs only."
        ) from None
    return str(path)


MAX_PROXY_HOPS = 5


def check_proxy_hops(value: object) -> int:
    """Return the number of trusted proxy hops, or raise ConfigError if it is not 0 to 5."""
    # Environment values arrive as text or JSON-parsed numbers; booleans and floats are mistakes.
    ok_type = isinstance(value, int | str) and not isinstance(value, bool)
    text = str(value).strip() if ok_type else ""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_PROXY_HOPS:
        raise ConfigError(
            f"NERVETRACK_PROXY_HOPS must be a whole number from 0 to {MAX_PROXY_HOPS}, "
            f"not {value!r}: the number of reverse proxies in front of NerveTrack "
            "(0 when browsers connect to it directly, 1 behind one TLS proxy)."
        )
    return int(text)


@cache
def _iana_zones() -> frozenset[str]:
    # "localtime" names whatever zone the host happens to be in, not a place.
    return frozenset(available_timezones()) - {"localtime"}


def check_clinic_timezone(value: object) -> str:
    """Return the clinic's IANA time zone name, or raise ConfigError if it is not one."""
    if not isinstance(value, str) or value not in _iana_zones():
        raise ConfigError(
            f"NERVETRACK_CLINIC_TIMEZONE must be an IANA time zone such as Europe/London "
            f"or America/New_York, not {value!r}."
        )
    return value
