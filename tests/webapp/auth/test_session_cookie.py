"""The session cookie: signed as Flask signs it, its serializer and derived keys kept.

Covers webapp.auth.security._AssetAwareSessionInterface.get_signing_serializer: a cookie from
Flask's own interface reads back through ours and the other way round, fallback keys still
read older cookies, and a different key (or salt) still refuses them.
"""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

KEY, OLD_KEY = "k" * 40, "o" * 40


def _serializers(app, *, key=KEY, fallbacks=()):
    app.secret_key = app.config["SECRET_KEY"] = key
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    return (app.session_interface.get_signing_serializer(app),
            SecureCookieSessionInterface().get_signing_serializer(app))


def test_our_cookies_and_flasks_read_each_other(app):
    ours, flasks = _serializers(app)
    value = {"psid": "abc", "csrf_token": "0123"}
    assert flasks.loads(ours.dumps(value)) == value
    assert ours.loads(flasks.dumps(value)) == value
    assert ours is _serializers(app)[0]  # built once for these keys


def test_a_fallback_key_reads_cookies_signed_with_it(app):
    old_cookie = _serializers(app, key=OLD_KEY)[1].dumps({"psid": "before rotation"})
    ours, _flasks = _serializers(app, key=KEY, fallbacks=[OLD_KEY])
    assert ours.loads(old_cookie) == {"psid": "before rotation"}
    assert ours.loads(ours.dumps({"psid": "new"})) == {"psid": "new"}
    assert _serializers(app, key=KEY)[1].loads(ours.dumps({"psid": "new"})) == {"psid": "new"}


@pytest.mark.parametrize("other_key", [OLD_KEY, "x" * 40])
def test_a_cookie_signed_with_another_key_is_refused(app, other_key):
    forged = _serializers(app, key=other_key)[0].dumps({"psid": "someone else"})
    ours, _flasks = _serializers(app, key=KEY)
    with pytest.raises(BadSignature):
        ours.loads(forged)


def test_no_secret_key_no_session(app):
    app.secret_key = None
    assert app.session_interface.get_signing_serializer(app) is None
