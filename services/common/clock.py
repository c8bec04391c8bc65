"""A service's idea of now, as a dependency: the local time (Asia/Ho_Chi_Minh), moved forward
by the CLOCK_SHIFT_DAYS setting for tests and demos of deadlines (never in production), or
pinned by a test setting `pinned` on the provider."""
from datetime import UTC, datetime, timedelta

from marshmallow import fields
from nameko.extensions import DependencyProvider

from .events import TIMEZONE
from .settings import InvalidSettings


class Clock(DependencyProvider):
    """Injects `now()`; config CLOCK_SHIFT_DAYS (days, 0 unless set)."""

    pinned = None

    def setup(self):
        shift = self.container.config.get("CLOCK_SHIFT_DAYS") or 0
        try:
            self.shift = timedelta(days=float(shift))
        except (TypeError, ValueError) as exc:
            raise InvalidSettings(f"invalid settings: CLOCK_SHIFT_DAYS: {shift!r} is not a "
                                  "number of days") from exc

    def now(self):
        return self.pinned or datetime.now(TIMEZONE) + self.shift

    def get_dependency(self, worker_ctx):
        return self.now


# PostgreSQL's timestamptz takes offsets up to 15:59 either way; Python's years end at 9999.
MAX_OFFSET = timedelta(hours=15, minutes=59)


class Moment(fields.AwareDateTime):
    """A moment with its time zone that the database can keep: an offset within ±15:59 and,
    in UTC, a year from 1 to 9999."""

    default_error_messages = {
        "out_of_range": "Thời điểm ngoài khoảng lưu được (múi giờ từ -15:59 đến +15:59, "
                        "năm từ 1 đến 9999)."}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise self.make_error("out_of_range") from exc
        if abs(moment.utcoffset()) > MAX_OFFSET:
            raise self.make_error("out_of_range")
        return moment
