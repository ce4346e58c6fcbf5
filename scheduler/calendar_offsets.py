"""Timepoint offsets in days, weeks or calendar months, and the month arithmetic they need.

A month is a calendar month, as trials and clinics count them: the same day of the month, or the
month's last day when that day does not exist (31 January + 1 month = 28 or 29 February).

In a protocol's JSON a timepoint gives its offset with exactly one of ``offset_days``,
``offset_weeks`` or ``offset_months`` (a whole number, negative = before the anchor), so every
stored protocol written with ``offset_days`` keeps its meaning.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta

__all__ = ["OFFSET_KEYS", "OFFSET_UNITS", "Offset", "add_months", "days_in_month", "parse_offset"]

OFFSET_UNITS = ("days", "weeks", "months")
OFFSET_KEYS = tuple(f"offset_{unit}" for unit in OFFSET_UNITS)
# A century covers any follow-up; beyond it the number is a typo, and the bound keeps every due
# date of a valid protocol inside the range of ``date``. Days stay unbounded, as they always were.
_LIMITS = {"weeks": 100 * 52, "months": 100 * 12}
_SINGULAR = {"days": "day", "weeks": "week", "months": "month"}


def days_in_month(year: int, month: int) -> int:
    """Return the number of days of a month (28 to 31)."""
    return calendar.monthrange(year, month)[1]


def add_months(day: date, months: int) -> date:
    """Add calendar months (negative = back), clamping to the last day of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"{day.isoformat()} + {months} months is outside the calendar.")
    month = month0 + 1
    return date(year, month, min(day.day, days_in_month(year, month)))


@dataclass(frozen=True)
class Offset:
    """How far a timepoint is due after its anchor: ``amount`` days, weeks or calendar months."""

    amount: int
    unit: str = "days"

    def __post_init__(self) -> None:
        if self.unit not in OFFSET_UNITS:
            raise ValueError(f"Unknown offset unit '{self.unit}': use days, weeks or months.")

    def apply(self, day: date) -> date:
        """Return the date this offset lands on, counted from the anchor's local date ``day``."""
        if self.unit == "months":
            return add_months(day, self.amount)
        return day + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))

    @property
    def days(self) -> int | None:
        """Length in days, or None for calendar months, which have no fixed length."""
        if self.unit == "months":
            return None
        return self.amount * (7 if self.unit == "weeks" else 1)

    @property
    def json_key(self) -> str:
        """The protocol setting that holds this offset, e.g. ``offset_months``."""
        return f"offset_{self.unit}"

    @property
    def label(self) -> str:
        """Short English wording for a coordinator, e.g. ``1 month`` or ``-2 days``."""
        unit = _SINGULAR[self.unit] if abs(self.amount) == 1 else self.unit
        return f"{self.amount} {unit}"

    def to_dict(self) -> dict:
        """Return the JSON form, e.g. ``{"offset_months": 3}``."""
        return {self.json_key: self.amount}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_offset(raw: dict, where: str, errors: list[str]) -> Offset | None:
    """Read the one offset setting of a timepoint, or record a coordinator-facing error."""
    # A null counts as absent, so a form that blanks the units it did not use still validates.
    given = [key for key in OFFSET_KEYS if raw.get(key) is not None]
    if len(given) > 1:
        errors.append(f"{where}: the offset is given more than once ({' and '.join(given)}): keep "
                      "exactly one of offset_days, offset_weeks or offset_months (a month is not "
                      "a fixed number of days).")
        return None
    if not given:
        errors.append(f"{where}: set how long after the anchor it is due with one of "
                      "offset_days, offset_weeks or offset_months.")
        return None
    key = given[0]
    unit, amount = key.removeprefix("offset_"), raw[key]
    limit = _LIMITS.get(unit)
    if not _is_int(amount):
        errors.append(f"{where}: {key} must be a whole number of {unit}.")
    elif limit is not None and abs(amount) > limit:
        errors.append(f"{where}: {key} must be between -{limit} and {limit} (100 years).")
    else:
        return Offset(amount, unit)
    return None
