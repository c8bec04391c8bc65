"""How the desk reads a date typed in a date field: dd/mm/yyyy, as the officers write it (the
browser's date input would show mm/dd/yyyy under an English locale); and a time of the day,
dd/mm/yyyy hh:mm, the center's local time (a tracking event the clerk enters by hand)."""
from datetime import date, datetime

import pytest

from services.common.events import TIMEZONE
from services.desk.formats import typed_day, typed_moment


@pytest.mark.parametrize("typed, read", [
    ("31/12/2026", date(2026, 12, 31)), (" 5/1/2027 ", date(2027, 1, 5)),
    ("29/02/2028", date(2028, 2, 29)),
    ("12/31/2026", None), ("31/02/2027", None), ("2027-01-15", None), ("15/01/27", None),
    ("15.01.2027", None), ("", None), (None, None)])
def test_a_date_is_read_day_month_year(typed, read):
    assert typed_day(typed) == read


@pytest.mark.parametrize("typed, read", [
    ("07/12/2026 14:30", datetime(2026, 12, 7, 14, 30, tzinfo=TIMEZONE)),
    (" 7/12/2026  9:05 ", datetime(2026, 12, 7, 9, 5, tzinfo=TIMEZONE)),
    ("07/12/2026 24:00", None), ("07/12/2026 14:60", None), ("31/02/2026 10:00", None),
    ("2026-12-07 14:30", None), ("07/12/2026", None), ("", None), (None, None)])
def test_a_time_is_read_day_month_year_hours_minutes_in_the_center_s_time(typed, read):
    assert typed_moment(typed) == read
