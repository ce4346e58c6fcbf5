"""Delivery failures and the retry schedule (backoff with a small deterministic jitter)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

BACKOFF_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = 6
JITTER_FRACTION = 0.1


class DeliveryError(Exception):
    """A message could not be delivered."""


class TemporaryFailure(DeliveryError):
    """Delivery failed for a reason that may pass (4xx, 429, 5xx, network): try again later."""


class PermanentFailure(DeliveryError):
    """Delivery can never succeed as addressed (unknown recipient, rejected request): give up."""


def _jitter_fraction(key: str, attempts: int) -> float:
    digest = hashlib.sha256(f"{key}#{attempts}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def backoff(attempts: int, key: str | None = None) -> timedelta:
    """Return the wait after ``attempts`` failed attempts (1, 5, 15, 60 min, then 4 h)."""
    minutes = BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1]
    delay = timedelta(minutes=minutes)
    if key:
        delay += timedelta(seconds=round(delay.total_seconds() * JITTER_FRACTION
                                         * _jitter_fraction(key, attempts)))
    return delay


def next_attempt_at(attempts: int, now: datetime, key: str | None = None) -> datetime:
    """Return when to try again after ``attempts`` failed attempts."""
    return now + backoff(attempts, key)


def should_give_up(attempts: int) -> bool:
    """Tell whether ``attempts`` failed attempts exhaust the retry budget."""
    return attempts >= MAX_ATTEMPTS
