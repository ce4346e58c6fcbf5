"""The SMS gateway's inbound webhook: a patient who texts STOP gets no more reminders.

The gateway POSTs ``{"from": "+4477...", "text": "STOP"}`` with ``Authorization: Bearer
<NERVETRACK_SMS_INBOUND_TOKEN>``, the way it receives our outgoing messages. Without that setting
the hook refuses everything. A stop word (any language we speak) from a known number stops that
patient's reminders; any other text, or an unknown number, changes nothing, and the answer is
the same 204 either way, so it never says whose number it is. No address or text is logged.
"""

from __future__ import annotations

import hmac
import json

from flask import Blueprint, current_app, request

from scheduler.message_words import is_stop_request
from webapp.auth.security import csrf
from webapp.db import get_session
from webapp.followup.reminder_choices import stop_reminders_for_phone
from webapp.models import utcnow

bp = Blueprint("sms_hooks", __name__, url_prefix="/hooks/sms")
csrf.exempt(bp)  # a gateway holds no CSRF token: the bearer token authenticates it

MAX_BODY = 4096  # a text message and its sender fit many times over
MAX_TEXT = 1600  # ten concatenated SMS: longer is not a reply a person typed
MAX_SENDER = 64  # an E.164 number is 16 characters; the column holds 32


def _refusal():
    """Return the refusal for a request without the shared secret, else None."""
    expected = current_app.config.get("SMS_INBOUND_TOKEN")
    if not expected:
        return "", 403  # the hook is off until the clinic sets its token
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, f"Bearer {expected}".encode()):
        return "", 401, {"WWW-Authenticate": 'Bearer realm="sms-inbound"'}
    return None


def _message() -> tuple[str, str] | None:
    """Return (from, text) of the posted JSON, or None if it is not that shape."""
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, bad UTF-8, a 10^5000 number, deep nesting
        return None
    if not isinstance(payload, dict):
        return None
    sender, text = payload.get("from"), payload.get("text")
    if not isinstance(sender, str) or not isinstance(text, str):
        return None
    return sender, text


@bp.route("/inbound", methods=["POST"])
def receive_sms():
    """Stop reminders for a STOP reply; answer 204 whoever sent it, 400 for a malformed body."""
    refusal = _refusal()
    if refusal is not None:
        return refusal
    message = _message()
    if message is None:
        return "", 400
    sender, text = message
    if len(sender) <= MAX_SENDER and len(text) <= MAX_TEXT and is_stop_request(text):
        db = get_session()
        stop_reminders_for_phone(db, sender, now=utcnow())
        db.commit()
    return "", 204
