"""Publication dates in batch inputs: ISO 8601, or a date that names its month; a numeric date
in another order is never guessed."""

import pytest

from service.batch.dates import iso_date


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2026-12-03", "2026-12-03"),
        ("20261203", "2026-12-03"),
        ("2026-12-03T14:05", "2026-12-03T14:05:00"),
        ("2026-12-03 14:05:00", "2026-12-03T14:05:00"),
        ("2026-12-03T14:05:00Z", "2026-12-03T14:05:00+00:00"),
        ("2026-12-03T14:05:00+01:00", "2026-12-03T14:05:00+01:00"),
        (" 2026-12-03 ", "2026-12-03"),
        ("3 Dec 2026", "2026-12-03"),
        ("December 3, 2026", "2026-12-03"),
        ("Thu, 03 Dec 2026 14:05:00 GMT", "2026-12-03T14:05:00+00:00"),
        ("Thu, 03 Dec 2026 14:05:00 +0100", "2026-12-03T14:05:00+01:00"),
    ],
)
def test_iso_8601_dates_and_dates_naming_their_month_are_read(value, iso):
    assert iso_date(value) == iso


@pytest.mark.parametrize(
    "value", ["03/12/2026", "12/03/2026", "13/12/2026", "03.12.2026", "3-12-26"]
)
def test_a_numeric_date_in_another_order_is_not_guessed(value):
    with pytest.raises(ValueError) as e:
        iso_date(value)
    assert str(e.value) == (
        f"{value!r} is not an ISO 8601 date (YYYY-MM-DD); numeric day and month orders are "
        "not guessed"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not a date", "'not a date' is not a date"),
        ("soon", "'soon' is not a date"),
        ("2026-13-45", "'2026-13-45' is not a date"),
        ("2026-02-30", "'2026-02-30' is not a date"),
        ("Dec 2026", "'Dec 2026' is not a whole date (year, month and day)"),
        ("3 December", "'3 December' is not a whole date (year, month and day)"),
    ],
)
def test_what_is_not_a_whole_date_is_refused(value, message):
    with pytest.raises(ValueError) as e:
        iso_date(value)
    assert str(e.value) == message
