from datetime import date, datetime, time

import pytest

from services.common.calendar import WorkingCalendar, load_calendar
from services.common.events import TIMEZONE


def at(*args):
    return datetime(*args, tzinfo=TIMEZONE)


@pytest.fixture
def cal():
    return WorkingCalendar()


def test_one_working_day_over_vietnam_culture_day(cal):
    # Received Monday 23/11/2026; 24/11 is Ngày Văn hóa Việt Nam, a day off.
    assert cal.due_date(at(2026, 11, 23, 9, 30), 1) == date(2026, 11, 25)


def test_weekend_is_skipped(cal):
    # Friday 27/11/2026 + 1 working day is Monday 30/11.
    assert cal.due_date(at(2026, 11, 27, 10), 1) == date(2026, 11, 30)


def test_tet_2027_is_skipped(cal):
    # Tết Đinh Mùi: 4–10/02/2027 off. Received Wednesday 3/2/2027, 2 working days.
    assert cal.due_date(at(2027, 2, 3, 8), 2) == date(2027, 2, 12)


def test_swapped_saturday_26_april_2025_is_a_working_day(cal):
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))
    # Friday 25/4/2025 + 1 working day lands on that Saturday.
    assert cal.due_date(at(2025, 4, 25, 10), 1) == date(2025, 4, 26)


def test_after_office_hours_counts_from_next_working_day(cal):
    assert cal.reception_day(at(2026, 11, 23, 17, 5)) == date(2026, 11, 25)
    assert cal.due_date(at(2026, 11, 23, 17, 5), 1) == date(2026, 11, 26)


def test_received_on_saturday_counts_from_monday(cal):
    assert cal.due_date(at(2026, 11, 28, 9), 1) == date(2026, 12, 1)


def test_calendar_days_ending_on_a_day_off_move_to_next_working_day(cal):
    # Monday 16/11/2026 + 8 calendar days = 24/11 (holiday) -> 25/11.
    assert cal.due_date(at(2026, 11, 16, 9), 8, "calendar") == date(2026, 11, 25)


def test_local_override_day_off_and_working_saturday(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text("office_close: '16:30'\ndays_off: [2026-11-25]\nworking_days: [2026-11-28]\n")
    cal = load_calendar(path)
    assert cal.office_close == time(16, 30)
    assert not cal.is_working_day(date(2026, 11, 25))
    assert cal.is_working_day(date(2026, 11, 28))
    assert cal.due_date(at(2026, 11, 23, 9), 1) == date(2026, 11, 26)
    assert cal.due_date(at(2026, 11, 23, 9), 3) == date(2026, 11, 28)  # the working Saturday


def test_working_days_between_counts_the_paused_days(cal):
    # 23/11 -> 27/11/2026: 24 is off, so 25, 26, 27.
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 27)) == 3


def test_bad_override_file_names_the_field(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text("days_off: [31/12/2026]\n")
    with pytest.raises(ValueError, match="days_off"):
        load_calendar(path)
