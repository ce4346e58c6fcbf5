"""TOTP codes: which time step a code is for, accepting each step once, and the setup QR code."""

from __future__ import annotations

import time

import pyotp
import sqlalchemy as sa
from markupsafe import Markup
from pyotp.utils import strings_equal
from sqlmodel import Session

from webapp.models import StaffUser

ISSUER = "NerveTrack"
DRIFT_STEPS = 1  # also accept the code just before and just after now: phone clocks drift
QR_TITLE = "QR code of the setup link: scan it with your authenticator app"


def new_secret() -> str:
    """Return a fresh random base32 TOTP key."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """Return the otpauth:// link an authenticator app reads (the QR code encodes it)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str | None, code: str, now: float) -> int | None:
    """Return the time step this code belongs to (now, or one step either side), else None."""
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    # Latest first, so a code that happens to repeat is taken at its newest step.
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if strings_equal(str(code), totp.generate_otp(step)):
            return step
    return None


def claim_step(db: Session, user_id: int, step: int) -> bool:
    """Record `step` as the user's last accepted one, unless it or a later one already was.

    One conditional UPDATE: of two sign-ins racing with the same code, the database lets only
    one change the row, and the other sees no row changed. The caller commits.
    """
    result = db.execute(
        sa.update(StaffUser)
        .where(StaffUser.id == user_id,
               sa.or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def accept_code(db: Session, user: StaffUser, code: str, now: float | None = None) -> bool:
    """Tell whether `code` is the user's current code and was never accepted before."""
    step = matching_step(user.totp_secret, code, time.time() if now is None else now)
    return step is not None and claim_step(db, user.id, step)


def qr_svg(uri: str) -> Markup:
    """Return inline SVG markup of a QR code for `uri`, with its text alternative."""
    import segno  # only staff setting up two-factor sign-in draw a QR code

    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                svgclass="qr", lineclass=None, title=QR_TITLE)
    # Role "img" with a <title>: screen readers announce one image with that name.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
