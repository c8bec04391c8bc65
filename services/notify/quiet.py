"""Quiet hours: non-urgent messages wait until the quiet period ends (local time)."""
from datetime import datetime, time, timedelta

from services.common.events import TIMEZONE


def parse_quiet_hours(value):
    """'21:00-07:00' -> (time(21), time(7)); empty -> None (no quiet hours)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"QUIET_HOURS must look like 21:00-07:00, not {value!r}") from exc
    if start == end:
        raise ValueError("QUIET_HOURS start and end must differ")
    return start, end


def _inside(moment, start, end):
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # the period spans midnight


def earliest_send(now, quiet_hours, urgent):
    """When a message may go: now, or for a non-urgent one in quiet hours, their end."""
    if urgent or quiet_hours is None:
        return now
    local = now.astimezone(TIMEZONE)
    start, end = quiet_hours
    if not _inside(local.time(), start, end):
        return now
    ends = datetime.combine(local.date(), end, tzinfo=TIMEZONE)
    if ends <= local:
        ends += timedelta(days=1)
    return ends
