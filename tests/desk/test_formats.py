"""How the desk reads a date typed in a date field: dd/mm/yyyy, as the officers write it (the
browser's date input would show mm/dd/yyyy under an English locale)."""
from datetime import date

import pytest

from services.desk.formats import typed_day


@pytest.mark.parametrize("typed, read", [
    ("31/12/2026", date(2026, 12, 31)), (" 5/1/2027 ", date(2027, 1, 5)),
    ("29/02/2028", date(2028, 2, 29)),
    ("12/31/2026", None), ("31/02/2027", None), ("2027-01-15", None), ("15/01/27", None),
    ("15.01.2027", None), ("", None), (None, None)])
def test_a_date_is_read_day_month_year(typed, read):
    assert typed_day(typed) == read
