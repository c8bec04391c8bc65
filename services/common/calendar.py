"""Working-day calendar: Vietnam's public holidays and swapped Saturdays from `holidays`,
with the province's local overrides (extra days off, extra working days) on top."""
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path

import holidays
import yaml
from nameko.extensions import DependencyProvider

from .events import TIMEZONE

DEFAULT_OFFICE_CLOSE = time(17, 0)
DEFAULT_CALENDAR_FILE = Path(__file__).resolve().parents[2] / "config" / "calendar.yml"


class WorkingCalendar:
    def __init__(self, days_off=(), working_days=(), office_close=DEFAULT_OFFICE_CLOSE):
        overlap = set(days_off) & set(working_days)
        if overlap:
            raise ValueError(f"dates both off and working: {sorted(overlap)}")
        self._national = holidays.Vietnam()
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self.office_close = office_close
        # A calendar never changes once built, and a due date asks about every day up to it.
        self.is_working_day = lru_cache(maxsize=8192)(self._is_working_day)

    def _is_working_day(self, day):
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return self._national.is_working_day(day)

    def next_working_day(self, day):
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def reception_day(self, received_at):
        """The day a dossier counts as received: after office hours or on a day off, the next
        working day."""
        local = received_at.astimezone(TIMEZONE)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.office_close:
            return day
        return self.next_working_day(day)

    def add_working_days(self, day, count):
        """The date `count` working days after `day` (counting starts the day after)."""
        if count < 0:
            raise ValueError("count must not be negative")
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start, end):
        """Working days in (start, end]: how far the clock ran from one day to another."""
        days, day = 0, start
        while day < end:
            day += timedelta(days=1)
            days += self.is_working_day(day)
        return days

    def due_date(self, received_at, processing_days, day_kind="working"):
        start = self.reception_day(received_at)
        if day_kind == "working":
            return self.add_working_days(start, processing_days)
        if day_kind == "calendar":
            due = start + timedelta(days=processing_days)
            # a deadline that falls on a day off ends on the next working day (Civil Code art. 148)
            return due if self.is_working_day(due) else self.next_working_day(due)
        raise ValueError(f"unknown day kind {day_kind!r}")


def _parse_dates(values, field):
    result = []
    for value in values or ():
        if isinstance(value, date):
            result.append(value)
            continue
        try:
            result.append(date.fromisoformat(str(value)))
        except ValueError as exc:
            raise ValueError(f"calendar file: {field}: {value!r} is not a YYYY-MM-DD date") from exc
    return result


def load_calendar(path=None):
    """The calendar with the overrides of a YAML file (days_off, working_days, office_close)."""
    path = Path(path or DEFAULT_CALENDAR_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    close = data.get("office_close", DEFAULT_OFFICE_CLOSE.strftime("%H:%M"))
    try:
        office_close = datetime.strptime(str(close), "%H:%M").time()
    except ValueError as exc:
        raise ValueError(f"calendar file: office_close: {close!r} is not HH:MM") from exc
    return WorkingCalendar(
        days_off=_parse_dates(data.get("days_off"), "days_off"),
        working_days=_parse_dates(data.get("working_days"), "working_days"),
        office_close=office_close,
    )


@cache
def calendar_from_file(path):
    return load_calendar(path)


class Calendar(DependencyProvider):
    """Injects the WorkingCalendar; config CALENDAR_FILE (default config/calendar.yml)."""

    def setup(self):
        self.calendar = calendar_from_file(self.container.config.get("CALENDAR_FILE") or None)

    def get_dependency(self, worker_ctx):
        return self.calendar
