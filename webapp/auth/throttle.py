"""Failed sign-ins: lock an email address, slow a client address, never lock staff out by proxy.

The rule (stated in the README's "Security and privacy" section):
- Failures are counted over the last LOGIN_LOCKOUT_MINUTES, per email address as typed and per
  client address (the socket peer, or the X-Forwarded-For entry of the trusted proxy hops).
- An email address with LOGIN_MAX_FAILURES_PER_ACCOUNT failures is locked until the oldest of
  them ages out. Only failures typed with that very address count, so failures for made-up
  addresses never lock a real account. Unknown addresses lock the same way, so a lockout says
  nothing about who has an account.
- A client address is never locked. From LOGIN_MAX_FAILURES_PER_ADDRESS failures on, it must wait
  after its latest failure: 1 second, then twice as long after each further failure, at most
  MAX_ADDRESS_DELAY seconds (429 with Retry-After, for that address only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from webapp.models import LoginFailure

MAX_ADDRESS_DELAY = 60  # seconds: the longest one address is ever made to wait


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is not even checked, and for how many seconds."""

    reason: str  # "account" (this email address is locked) or "address" (slowed down)
    retry_after: int


def address_delay(failures: int, limit: int) -> int:
    """Return the seconds an address with `failures` recent failures waits (0 below `limit`)."""
    if failures < limit:
        return 0
    return min(MAX_ADDRESS_DELAY, 2 ** min(failures - limit, 16))


def _account_refusal(db: Session, email: str, since: datetime, window: timedelta,
                     limit: int, now: datetime) -> Refusal | None:
    times = db.exec(select(LoginFailure.at).where(LoginFailure.email == email,
                                                  LoginFailure.at >= since)
                    .order_by(LoginFailure.at.desc()).limit(limit)).all()
    if len(times) < limit:
        return None
    # Locked until the oldest of the last `limit` failures leaves the window.
    wait = (times[-1] + window - now).total_seconds()
    return Refusal("account", max(1, math.ceil(wait)))


def _address_refusal(db: Session, ip: str, since: datetime, limit: int,
                     now: datetime) -> Refusal | None:
    count, latest = db.exec(select(func.count(), func.max(LoginFailure.at))
                            .where(LoginFailure.ip == ip, LoginFailure.at >= since)).one()
    delay = address_delay(count, limit)
    if not delay or latest is None:
        return None
    wait = (latest + timedelta(seconds=delay) - now).total_seconds()
    return Refusal("address", math.ceil(wait)) if wait > 0 else None


def refusal(db: Session, *, email: str, ip: str, config, now: datetime) -> Refusal | None:
    """Return why this attempt must wait (locked email address, or a slowed address), or None."""
    window = timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"]))
    since = now - window
    return (_account_refusal(db, email, since, window,
                             int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]), now)
            or _address_refusal(db, ip, since, int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
                                now))


def record_failure(db: Session, *, email: str, ip: str, now: datetime) -> None:
    """Count one failed attempt against the email address typed and the client address."""
    db.add(LoginFailure(email=email[:254], ip=ip[:64], at=now))
