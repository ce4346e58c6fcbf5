"""The demo's staff logins (printed by `nervetrack demo`, documented in the README)."""

from __future__ import annotations

# The demo admin's authenticator key (admins must use two-factor sign-in; demo only).
DEMO_ADMIN_TOTP_SECRET = "NERVETRACKDEMOADMINTOTP2"
DEMO_PASSWORDS = {
    "clinician": ("clinician@demo.nervetrack.org", "Demo clinician pass 1"),
    "coordinator": ("coordinator@demo.nervetrack.org", "Demo coordinator pass 1"),
    "admin": ("admin@demo.nervetrack.org", "Demo admin pass 1"),
}
