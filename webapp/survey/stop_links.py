"""Signed links with which a patient pauses or stops their reminders: no stored token needed.

A link carries the patient id and its one purpose, signed with the app's secret key under its own
salt (itsdangerous, HMAC-SHA256) and stamped with the time it was made. Whoever holds it may
change that one patient's reminders, nothing else: a link for any other purpose, a changed
character or another secret is refused. Reminder emails carry one (List-Unsubscribe, RFC 8058),
and mail providers may use it long after the message arrived, hence the long life.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "nervetrack.reminder-choice"
PURPOSE = "reminders"
MAX_AGE = timedelta(days=400)  # a year of follow-up, and the email of its first month
# Longer or other characters than itsdangerous's URL-safe output: refused before any parsing.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.\-]{20,300}")


class _ClockedSigner(TimestampSigner):
    """A timestamp signer on the caller's clock, so the dispatcher's `now` stamps the link."""

    def __init__(self, *args, at: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        """Return the caller's instant as whole seconds."""
        return int(self.at)


def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_ClockedSigner,
                                  signer_kwargs={"digest_method": hashlib.sha256,
                                                 "at": now.timestamp()})


def make_stop_token(secret_key: str, patient_id: int, *, now: datetime,
                    purpose: str = PURPOSE) -> str:
    """Return a signed token that lets its holder pause or stop this patient's reminders."""
    return _serializer(secret_key, now).dumps({"p": int(patient_id), "for": purpose})


def read_stop_token(secret_key: str, token: str, *, now: datetime) -> tuple[str, int | None]:
    """Check a token: ("ok", patient id), ("expired", None) or ("bad", None)."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return "bad", None
    try:
        payload = _serializer(secret_key, now).loads(token, max_age=MAX_AGE.total_seconds())
    except SignatureExpired:
        return "expired", None
    except BadData:
        return "bad", None
    if not isinstance(payload, dict) or payload.get("for") != PURPOSE:
        return "bad", None
    patient_id = payload.get("p")
    if type(patient_id) is not int or patient_id < 1:
        return "bad", None
    return "ok", patient_id


def stop_url(base_url: str, token: str) -> str:
    """Return the address of the patient's reminder choices: ``{base_url}/p/stop/<token>``."""
    return f"{base_url.rstrip('/')}/p/stop/{token}"
