"""Local wall-clock time to UTC instants, across DST gaps and folds, and quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.protocol import QuietHours


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of a local wall time: a gap moves to its end, a fold takes fold=0."""
    naive = datetime.combine(day, at)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _end_of_gap(naive, tz)


def _end_of_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    # Inside a gap, fold=0 reads the time with the offset before the transition and fold=1 with the
    # offset after it: the transition instant (the first valid local time) lies between the two.
    readings = sorted(naive.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    lo, hi = (int(r.timestamp()) for r in readings)
    offset_after = readings[1].astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == offset_after:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def is_quiet(instant: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> bool:
    """Tell whether an instant falls in the patient's local quiet hours."""
    return quiet is not None and quiet.contains(instant.astimezone(tz).time())


def after_quiet_hours(instant: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> datetime:
    """Move an instant that falls in quiet hours to the end of that quiet period."""
    if not is_quiet(instant, quiet, tz):
        return instant
    local = instant.astimezone(tz)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)
    return local_instant(day, quiet.end, tz)
