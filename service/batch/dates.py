"""Publication dates as ISO 8601: the date alone, or date and time when the input has a time."""

from __future__ import annotations

from datetime import datetime

from dateutil import parser

_DEFAULTS = (datetime(2000, 1, 1, 0, 0, 0), datetime(2001, 2, 2, 1, 1, 1))


def iso_date(value: str) -> str:
    """``2026-11-03``, ``2026-11-03T10:15:00`` or ``2026-11-03T10:00:00+00:00``; ValueError
    when ``value`` is not a date or lacks the year, month or day."""
    try:
        a, b = (parser.parse(value, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r} is not a date") from None
    if a.date() != b.date():  # a part of the date came from the defaults
        raise ValueError(f"{value!r} is not a whole date (year, month and day)")
    if a.hour != b.hour:  # no time in the value
        return a.date().isoformat()
    return a.isoformat()
