"""Publication dates as ISO 8601: the date alone, or date and time when the input has a time.

A date is read when it is ISO 8601 (``2026-12-03``, ``2026-12-03T14:05:00+01:00``) or names
its month (``3 Dec 2026``, RFC 822 dates as feeds and e-mail write them). A numeric date in
another order (``03/12/2026``: 3 December or March 12?) is refused, never guessed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from dateutil import parser

_DEFAULTS = (datetime(2000, 1, 1, 0, 0, 0), datetime(2001, 2, 2, 1, 1, 1))
_NUMERIC = re.compile(r"\d+[./-]\d+[./-]\d+")  # 03/12/2026, 03.12.2026, 3-12-26
_ISO_LAYOUT = re.compile(r"\d{4}-\d\d-\d\d")  # an ISO date that fromisoformat refused: 2026-13-45


def iso_date(value: str) -> str:
    """``2026-11-03``, ``2026-11-03T10:15:00`` or ``2026-11-03T10:00:00+00:00``; ValueError,
    saying why, when ``value`` is not such a date or lacks the year, month or day."""
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    if not _names_a_month(text):
        if _NUMERIC.fullmatch(text) and not _ISO_LAYOUT.match(text):
            raise ValueError(
                f"{value!r} is not an ISO 8601 date (YYYY-MM-DD); numeric day and month orders "
                "are not guessed"
            )
        raise ValueError(f"{value!r} is not a date")
    try:
        a, b = (parser.parse(text, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r} is not a date") from None
    if a.date() != b.date():  # a part of the date came from the defaults
        raise ValueError(f"{value!r} is not a whole date (year, month and day)")
    if a.hour != b.hour:  # no time in the value
        return a.date().isoformat()
    return a.isoformat()


def _names_a_month(text: str) -> bool:
    info = parser.parserinfo()
    return any(info.month(word) is not None for word in re.findall(r"[^\W\d_]+", text))


def published_date(value: object, where: str) -> tuple[str | None, list[str]]:
    """A document's ``published``: ``value`` as ISO 8601 (None when empty), or None and a
    warning saying why when ``value`` is not a date; ``where`` names the value (``column
    'date'``). A document is scored whether its date can be read or not."""
    if value is None or value == "":
        return None, []
    if not isinstance(value, str):
        problem = f"{json.dumps(value)} is not a string"
    else:
        try:
            return iso_date(value), []
        except ValueError as e:
            problem = str(e)
    return None, [f"{where}: {problem}; the document is scored without a date"]
