"""Working-day calendar: Vietnam's public holidays and swapped Saturdays from `holidays`,
the province's overrides on top (extra days off, extra working days), and the office hours.

intake owns the overrides (DESIGN.md): config/calendar.yml holds the first ones, and intake
announces every change with the whole set (`calendar.changed`). A service that computes
dates keeps the set it last learned in its own `<schema>.working_calendar`
(kernel_tables.sql), and each of its instances follows that row (`Calendar`): a change
reaches them without a restart, and an instance started later reads it at start."""
import logging
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path

import holidays
import psycopg2
import psycopg2.extras
import yaml
from nameko.extensions import DependencyProvider

from .events import TIMEZONE
from .listener import ChangeListener

DEFAULT_OFFICE_CLOSE = time(17, 0)
# Morning and afternoon sessions, the lunch break between them.
DEFAULT_OFFICE_HOURS = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
DEFAULT_CALENDAR_FILE = Path(__file__).resolve().parents[2] / "config" / "calendar.yml"

log = logging.getLogger("motcua.calendar")


class WorkingCalendar:
    """`revision`: of the overrides as intake announced them (0: the file's own)."""

    def __init__(self, days_off=(), working_days=(), office_close=DEFAULT_OFFICE_CLOSE,
                 office_hours=DEFAULT_OFFICE_HOURS, revision=0):
        overlap = set(days_off) & set(working_days)
        if overlap:
            raise ValueError(f"dates both off and working: {sorted(overlap)}")
        self._national = holidays.Vietnam()
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self.office_close = office_close
        self.office_hours = tuple(office_hours)
        self.revision = revision
        # A calendar never changes once built, and a due date asks about every day up to it.
        self.is_working_day = lru_cache(maxsize=8192)(self._is_working_day)

    def with_overrides(self, days_off, working_days, revision):
        """The same office hours with another set of overrides."""
        return WorkingCalendar(days_off, working_days, self.office_close, self.office_hours,
                               revision)

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

    def reception_day(self, received_at, cutoff=None):
        """The day a dossier counts as received: the day it was handed in, or the next working
        day when it was handed in on a day off or at or after `cutoff` (office_close unless
        given; a cut-off later than office_close is office_close)."""
        close = min(cutoff, self.office_close) if cutoff else self.office_close
        local = received_at.astimezone(TIMEZONE)
        day = local.date()
        if self.is_working_day(day) and local.time() < close:
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

    def due_date(self, received_at, processing_days, day_kind="working", same_day_cutoff=None):
        """The appointment date. A same-day procedure (0 days) is due the day it counts as
        received with `same_day_cutoff` ending that day: handed in at or after it, the next
        working day."""
        if processing_days == 0:
            return self.reception_day(received_at, same_day_cutoff)
        start = self.reception_day(received_at)
        if day_kind == "working":
            return self.add_working_days(start, processing_days)
        if day_kind == "calendar":
            due = start + timedelta(days=processing_days)
            # a deadline that falls on a day off ends on the next working day (Civil Code art. 148)
            return due if self.is_working_day(due) else self.next_working_day(due)
        raise ValueError(f"unknown day kind {day_kind!r}")

    def add_office_hours(self, start, hours):
        """The moment `hours` office hours after `start`: only the sessions of working days
        count (the lunch break, evenings and days off do not)."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(TIMEZONE)
        day = local.date()
        while True:
            if self.is_working_day(day):
                for opens, closes in self.office_hours:
                    begin = max(datetime.combine(day, opens, TIMEZONE), local)
                    end = datetime.combine(day, closes, TIMEZONE)
                    if begin < end:
                        if end - begin >= remaining:
                            return begin + remaining
                        remaining -= end - begin
            day += timedelta(days=1)


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


def _parse_time(value, field):
    try:
        return datetime.strptime(str(value), "%H:%M").time()
    except ValueError as exc:
        raise ValueError(f"calendar file: {field}: {value!r} is not HH:MM") from exc


def _parse_sessions(values):
    """["07:30-11:30", "13:00-17:00"] as ((07:30, 11:30), (13:00, 17:00)), in order."""
    sessions = []
    for value in values:
        opens, _, closes = str(value).partition("-")
        session = (_parse_time(opens, "office_hours"), _parse_time(closes, "office_hours"))
        if session[0] >= session[1] or (sessions and sessions[-1][1] > session[0]):
            raise ValueError(f"calendar file: office_hours: {value!r} must end after it "
                             "starts and after the session before it")
        sessions.append(session)
    if not sessions:
        raise ValueError("calendar file: office_hours: at least one session")
    return tuple(sessions)


def load_calendar(path=None):
    """The calendar of a YAML file: office_close, office_hours, and the overrides days_off
    and working_days (intake's first ones)."""
    path = Path(path or DEFAULT_CALENDAR_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sessions = data.get("office_hours")
    return WorkingCalendar(
        days_off=_parse_dates(data.get("days_off"), "days_off"),
        working_days=_parse_dates(data.get("working_days"), "working_days"),
        office_close=_parse_time(data.get("office_close", "17:00"), "office_close"),
        office_hours=_parse_sessions(sessions) if sessions is not None else DEFAULT_OFFICE_HOURS,
    )


@cache
def calendar_from_file(path):
    return load_calendar(path)


# --- the overrides as a service last learned them ----------------------------------------------
def overrides_channel(schema):
    return f"{schema}_calendar"


def read_overrides(cur, schema):
    """{revision, days_off, working_days} as the service keeps them, or None before any."""
    cur.execute(f"SELECT revision, days_off, working_days FROM {schema}.working_calendar")
    return cur.fetchone()


def store_overrides(cur, schema, overrides):
    """Keeps `overrides` (calendar.changed's data: revision, days_off, working_days,
    changed_at) when they are newer than those the service has, and tells every instance at
    the commit; True when they were kept (an older or repeated announcement is not)."""
    cur.execute(
        f"""INSERT INTO {schema}.working_calendar (revision, days_off, working_days, changed_at)
            VALUES (%(revision)s, %(days_off)s::date[], %(working_days)s::date[],
                    %(changed_at)s)
            ON CONFLICT (singleton) DO UPDATE SET revision = EXCLUDED.revision,
                days_off = EXCLUDED.days_off, working_days = EXCLUDED.working_days,
                changed_at = EXCLUDED.changed_at
            WHERE {schema}.working_calendar.revision < EXCLUDED.revision""",
        {key: list(value) if isinstance(value, list | tuple | frozenset) else value
         for key, value in overrides.items()})
    if cur.rowcount != 1:
        return False
    cur.execute("SELECT pg_notify(%s, '')", (overrides_channel(schema),))
    return True


class Calendar(DependencyProvider):
    """Injects the WorkingCalendar as it is now: config/calendar.yml's office hours (config
    CALENDAR_FILE, default config/calendar.yml) with the overrides the service keeps, the
    file's own until it keeps any. `seed(cur, file_calendar)`, when given, runs in a
    transaction of its own whenever the service has no overrides yet (intake: the file's
    become the first announced ones), at start or, when the database was not ready then
    (migrations still running), once the listener reads them."""

    changes = ChangeListener()

    def __init__(self, seed=None):
        self.seed = seed

    def setup(self):
        config = self.container.config
        self.file_calendar = calendar_from_file(config.get("CALENDAR_FILE") or None)
        self.current = self.file_calendar
        self.schema = self.container.service_name
        self.dsn = config["DB_URL"]
        self.changes.follow(overrides_channel(self.schema), self._learn)

    def start(self):
        try:  # once before serving, so that the first requests compute with the kept set
            conn = self._connect()
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    self._learn(cur)
            finally:
                conn.close()
        except psycopg2.Error as exc:
            log.warning("calendar overrides not read at start; the listener reads them when "
                        "it connects", extra={"error": type(exc).__name__})

    def _connect(self):
        return psycopg2.connect(self.dsn, cursor_factory=psycopg2.extras.RealDictCursor)

    def _learn(self, cur):
        found = read_overrides(cur, self.schema)
        if found is None and self.seed is not None:
            conn = self._connect()
            try:
                with conn, conn.cursor() as seeding:
                    self.seed(seeding, self.file_calendar)
            finally:
                conn.close()
            found = read_overrides(cur, self.schema)
        if found is None:
            self.current = self.file_calendar
        elif found["revision"] != self.current.revision:
            self.current = self.file_calendar.with_overrides(
                found["days_off"], found["working_days"], found["revision"])

    def get_dependency(self, worker_ctx):
        return self.current
