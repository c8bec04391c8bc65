"""The province's calendar overrides, which intake owns with the catalogue (DESIGN.md): days
off the national calendar does not have, and weekend days or holidays made working days.

config/calendar.yml holds the first ones; after that the center's manager adds and removes
days (`motcua calendar`, through this service's API). Every change is announced in its own
transaction with the whole set and a new revision (`calendar.changed`), and kept as intake's
own current set: every service that computes dates, intake included, follows it without a
restart (services.common.calendar)."""
import re
import uuid
from datetime import date

from services.common.calendar import WorkingCalendar, store_overrides
from services.common.contracts import CalendarChanged
from services.common.errors import Conflict, Invalid, NotFound
from services.common.events import now, publish

from . import store
from .reception import SOURCE

KIND_LABELS = {"day_off": "ngày nghỉ", "working_day": "ngày làm việc"}
FIRST_YEAR, LAST_YEAR = 2000, 2099
FROM_FILE = "config/calendar.yml"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NATIONAL = WorkingCalendar()  # holidays.Vietnam alone: what an override differs from


def seed(cur, file_calendar):
    """At start, when intake has no overrides yet: the file's become the first ones
    (revision 1), announced. Two instances starting together seed once."""
    overrides = {"revision": 1, "days_off": sorted(file_calendar.days_off),
                 "working_days": sorted(file_calendar.working_days), "changed_at": now()}
    if not store_overrides(cur, store.SCHEMA, overrides):
        return
    store.insert_calendar_days(
        cur, [(day, "day_off") for day in overrides["days_off"]]
        + [(day, "working_day") for day in overrides["working_days"]],
        None, FROM_FILE, overrides["changed_at"])
    publish(cur, SOURCE, "calendar.changed", CalendarChanged, overrides,
            f"calendar-seed-{uuid.uuid4()}")


def overrides(cur):
    """The current overrides with who set each and when."""
    days = {"day_off": [], "working_day": []}
    for row in store.calendar_days(cur):
        days[row["kind"]].append({"day": row["day"].isoformat(), "note": row["note"],
                                  "changed_by": row["changed_by"],
                                  "changed_at": row["changed_at"].isoformat()})
    return {"revision": store.calendar_revision(cur), "days_off": days["day_off"],
            "working_days": days["working_day"]}


def set_day(cur, ctx, caller, text, body):
    """Makes `text` (YYYY-MM-DD) a day off or a working day; a day whose override says so
    already only gets the new note. Conflict when the national calendar says so already."""
    day, kind = parse_day(text), body["kind"]
    revision = store.lock_calendar(cur)
    if NATIONAL.is_working_day(day) == (kind == "working_day"):
        raise Conflict(f"Theo lịch nhà nước, ngày {day:%d/%m/%Y} đã là {KIND_LABELS[kind]}: "
                       "không cần ghi thêm.", "same_as_national_calendar")
    changed = store.calendar_day(cur, day) is None
    store.save_calendar_day(cur, day, kind, body["note"], caller.subject, ctx.at)
    if changed:
        announce(cur, ctx, revision + 1)
    return overrides(cur)


def remove_day(cur, ctx, text):
    """The day follows the national calendar again."""
    day = parse_day(text)
    revision = store.lock_calendar(cur)
    if not store.delete_calendar_day(cur, day):
        raise NotFound(f"Ngày {day:%d/%m/%Y} không có trong danh sách ngày điều chỉnh.")
    announce(cur, ctx, revision + 1)
    return overrides(cur)


def announce(cur, ctx, revision):
    days = store.calendar_days(cur)
    changed = {"revision": revision, "changed_at": ctx.at,
               "days_off": [row["day"] for row in days if row["kind"] == "day_off"],
               "working_days": [row["day"] for row in days if row["kind"] == "working_day"]}
    store_overrides(cur, store.SCHEMA, changed)
    publish(cur, SOURCE, "calendar.changed", CalendarChanged, changed, ctx.correlation_id)


def parse_day(text):
    """A YYYY-MM-DD date of FIRST_YEAR to LAST_YEAR, or Invalid naming `day`."""
    try:
        day = date.fromisoformat(text) if ISO_DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"Ngày phải có dạng YYYY-MM-DD, từ năm {FIRST_YEAR} đến {LAST_YEAR} "
                      f"(nhận được: {text[:20]}).", "day")
    return day
