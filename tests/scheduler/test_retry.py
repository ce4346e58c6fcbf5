"""Retry schedule: backoff steps, cap, deterministic jitter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.retry import (
    MAX_ATTEMPTS,
    PermanentFailure,
    TemporaryFailure,
    backoff,
    next_attempt_at,
    should_give_up,
)

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "minutes"), [
    (0, 1), (1, 1), (2, 5), (3, 15), (4, 60), (5, 240), (6, 240), (50, 240),
])
def test_backoff_steps(attempts, minutes):
    assert next_attempt_at(attempts, NOW) == NOW + timedelta(minutes=minutes)


@pytest.mark.parametrize("attempts", range(1, 8))
def test_jitter_is_small_and_deterministic(attempts):
    base = backoff(attempts)
    with_key = backoff(attempts, "m1/open+0/email")
    assert base <= with_key <= base * 1.1
    assert with_key == backoff(attempts, "m1/open+0/email")


def test_jitter_spreads_keys():
    assert len({backoff(4, f"key-{i}") for i in range(20)}) > 10


def test_give_up():
    assert not should_give_up(MAX_ATTEMPTS - 1) and should_give_up(MAX_ATTEMPTS)


def test_failure_classes():
    assert issubclass(TemporaryFailure, Exception) and issubclass(PermanentFailure, Exception)
    assert not issubclass(TemporaryFailure, PermanentFailure)
