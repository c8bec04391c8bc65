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


# --- the shipped overrides (config/calendar.yml) ----------------------------------------------
def test_the_shipped_file_swaps_2_january_2026_off_and_saturday_10_january_on():
    library, shipped = WorkingCalendar(), load_calendar()
    # holidays 0.109 has them the other way round (12729/VPCP-KGVX says otherwise)
    assert library.is_working_day(date(2026, 1, 2)) and not library.is_working_day(date(2026, 1, 10))
    assert not shipped.is_working_day(date(2026, 1, 2))
    assert shipped.is_working_day(date(2026, 1, 10))
    # Wednesday 31/12/2025 + 1 working day: Thursday 1/1 and Friday 2/1 are off -> Monday 5/1
    assert shipped.due_date(at(2025, 12, 31, 9), 1) == date(2026, 1, 5)
    # Friday 9/1/2026 + 1 working day is the worked Saturday 10/1
    assert shipped.due_date(at(2026, 1, 9, 9), 1) == date(2026, 1, 10)
    assert shipped.office_hours == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))


def test_other_overrides_keep_the_office_hours_and_say_their_revision():
    shipped = load_calendar()
    changed = shipped.with_overrides([date(2026, 12, 24)], [], 4)
    assert changed.revision == 4 and changed.office_hours == shipped.office_hours
    assert not changed.is_working_day(date(2026, 12, 24))
    assert changed.is_working_day(date(2026, 1, 2))  # the file's own are replaced, not added


# --- same-day procedures and the 15:00 cut-offs ------------------------------------------------
def test_a_same_day_procedure_is_due_the_same_day_before_the_cut_off_else_the_next_working_day():
    cal = load_calendar()
    three_pm = time(15, 0)
    # Friday 9/1/2026: before 15:00 the same day; at 15:30 the next working day, which is the
    # worked Saturday 10/1
    assert cal.due_date(at(2026, 1, 9, 14, 59), 0, same_day_cutoff=three_pm) == date(2026, 1, 9)
    assert cal.due_date(at(2026, 1, 9, 15, 30), 0, same_day_cutoff=three_pm) == date(2026, 1, 10)
    # handed in on a day off (Sunday 11/1): the next working day, Monday 12/1
    assert cal.due_date(at(2026, 1, 11, 9), 0, same_day_cutoff=three_pm) == date(2026, 1, 12)
    # without a cut-off (or one after it) office_close ends the day
    assert cal.due_date(at(2026, 1, 9, 16), 0) == date(2026, 1, 9)
    assert cal.due_date(at(2026, 1, 9, 17, 30), 0, same_day_cutoff=time(18)) == date(2026, 1, 10)


def test_a_cut_off_decides_the_paper_hand_over_day_but_not_the_period():
    cal = load_calendar()
    assert cal.reception_day(at(2026, 11, 23, 14, 59), time(15)) == date(2026, 11, 23)
    assert cal.reception_day(at(2026, 11, 23, 15, 0), time(15)) == date(2026, 11, 25)  # 24/11 off
    assert cal.due_date(at(2026, 11, 23, 15, 30), 1) == date(2026, 11, 25)


# --- office hours: the 8 working hours of an online reception ---------------------------------
def test_eight_office_hours_skip_evenings_lunch_breaks_and_days_off():
    cal = load_calendar()
    # Friday 9/1/2026 16:00: 1 h that day, then the worked Saturday 10/1: 07:30-11:30 (4 h),
    # 13:00-16:00 (3 h)
    assert cal.add_office_hours(at(2026, 1, 9, 16), 8) == at(2026, 1, 10, 16)
    # the library's calendar knows no worked Saturday: Monday 12/1 16:00
    assert WorkingCalendar().add_office_hours(at(2026, 1, 9, 16), 8) == at(2026, 1, 12, 16)
    # submitted during Monday's lunch break, the clock starts at 13:00: 4 h that afternoon,
    # 4 h on Tuesday morning
    assert cal.add_office_hours(at(2026, 1, 12, 12, 10), 8) == at(2026, 1, 13, 11, 30)
    # at night or on a day off it starts at the next session: Thursday 1/1 and Friday 2/1 are
    # off, Saturday 10/1 is not reached: Monday 5/1 07:30 + 8 h = Monday 17:00
    assert cal.add_office_hours(at(2025, 12, 31, 20), 8) == at(2026, 1, 5, 17)
    assert cal.add_office_hours(at(2026, 1, 5, 7, 30), 8) == at(2026, 1, 5, 17)


def test_office_hours_in_the_file_are_checked(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text("office_hours: ['08:00-12:00', '11:00-17:00']\n")
    with pytest.raises(ValueError, match="office_hours"):
        load_calendar(path)
    path.write_text("office_hours: ['08:00-12:00', '13:30-17:30']\n")
    assert load_calendar(path).add_office_hours(at(2026, 11, 23, 8), 8) == at(2026, 11, 23, 17, 30)
