"""Driving the app as a person would: CSRF tokens from real forms, sign-in with two-factor codes."""

from __future__ import annotations

import re

import pyotp

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


SECRET_RE = re.compile(r'<p class="secret"><code>([A-Z2-7]+)</code>')


def submit_code(client, path: str, secret: str):
    """Post the current TOTP code for `secret` to a two-factor page."""
    token = csrf_token(client, path)
    return client.post(path, data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})


def login(client, email: str, password: str, *, totp_secret: str | None = None):
    """Sign in through the real forms (CSRF token, and the TOTP step when there is one).

    An admin's first sign-in sets up TOTP from the key shown on the page, as a person would.
    """
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    location = response.headers.get("Location", "")
    if location.endswith("/login/setup-code"):
        html = client.get("/login/setup-code").get_data(as_text=True)
        return submit_code(client, "/login/setup-code", SECRET_RE.search(html).group(1))
    if location.endswith("/login/code") and totp_secret:
        return submit_code(client, "/login/code", totp_secret)
    return response


STAFF_PASSWORD = "Correct horse staple 42"
