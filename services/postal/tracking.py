"""Shipment tracking: tracking numbers, the status machine, and the carrier's tracking file.

Pure functions, no database: store.py applies what these decide."""
import csv
import io
import json
from datetime import UTC, datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.common.db import unstorable_at
from services.common.http import json_problem
from services.common.uploads import NotUtf8, uploaded_text

STATUSES = ("created", "picked_up", "in_transit", "delivered", "delivery_failed",
            "returned_to_center")
# event → the statuses it may follow. A failed attempt may be retried (→ in_transit again,
# or straight to delivered / another failure); only a failed shipment goes back to the center.
TRANSITIONS = {
    "picked_up": {"created"},
    "in_transit": {"picked_up", "delivery_failed"},
    "delivered": {"picked_up", "in_transit", "delivery_failed"},
    "delivery_failed": {"picked_up", "in_transit", "delivery_failed"},
    "returned_to_center": {"delivery_failed"},
}
EVENTS = tuple(TRANSITIONS)
FINAL = {"delivered", "returned_to_center"}
CSV_COLUMNS = ("tracking_number", "event", "at", "reason")
MAX_ROWS = 10000
CLOCK_SKEW = timedelta(minutes=10)  # a carrier's clock may run a little ahead of ours
# Real time zones lie within UTC-12:00..UTC+14:00; PostgreSQL refuses offsets past ±15:59,
# which Python reads (up to ±23:59).
MAX_UTC_OFFSET = timedelta(hours=14)

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial):
    """UPU S10 check digit of an 8-digit serial."""
    total = sum(int(d) * w for d, w in zip(f"{serial:08d}", _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def tracking_number(prefix, serial):
    """An S10 item identifier: 2 letters, 8-digit serial, check digit, country (VN)."""
    return f"{prefix}{serial:08d}{s10_check_digit(serial)}VN"


def is_tracking_number(value):
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses
    return (len(value) == 13 and value.isascii() and value[:2].isalpha() and value[:2].isupper()
            and value[2:11].isdigit() and value[11:] == "VN"
            and s10_check_digit(int(value[2:10])) == int(value[10]))


def refusal(current, event):
    """Why `event` cannot follow `current`, or None when it can."""
    if current in FINAL:
        return f"Bưu gửi đã ở trạng thái cuối {current}."
    if current not in TRANSITIONS[event]:
        allowed = ", ".join(sorted(TRANSITIONS[event]))
        return f"{event} không thể đến sau {current} (chỉ sau: {allowed})."
    return None


class TrackingUpdateSchema(Schema):
    """One status update, from a clerk (HTTP) or a row of the carrier's file."""

    class Meta:
        unknown = RAISE

    tracking_number = fields.String(required=True)
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))
    at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=300))

    def load(self, data, **kwargs):
        if isinstance(data, dict):  # anything else gets marshmallow's "invalid input type"
            data = {k: (None if v == "" and k == "reason" else v) for k, v in data.items()}
        loaded = super().load(data, **kwargs)
        problems = {}
        if not is_tracking_number(loaded["tracking_number"]):
            problems["tracking_number"] = [
                f"Không phải số hiệu bưu gửi, hoặc gõ nhầm (ví dụ {tracking_number('RM', 1)})."]
        if abs(loaded["at"].utcoffset()) > MAX_UTC_OFFSET:
            problems["at"] = ["Múi giờ không có thật: độ lệch so với UTC tối đa là 14 giờ."]
        elif loaded["at"] > datetime.now(UTC) + CLOCK_SKEW:
            problems["at"] = ["Thời điểm ở tương lai."]
        if loaded["event"] in ("delivery_failed", "returned_to_center") and not loaded["reason"]:
            problems["reason"] = [f"Bắt buộc với sự kiện {loaded['event']}."]
        if problems:
            raise ValidationError(problems)
        return loaded


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not its rows)."""


def read_rows(raw, content_type):
    """The rows of a carrier file: CSV with a header line, or JSON (a list, or {"rows": [...]})."""
    try:
        text = uploaded_text(raw)
    except NotUtf8 as exc:
        raise UnreadableFile(f"Tệp không phải văn bản UTF-8 từ dòng {exc.line}.") from exc
    if "json" in (content_type or ""):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise UnreadableFile(json_problem(exc, "Tệp")) from exc
        rows = parsed.get("rows") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list):
            raise UnreadableFile('Tệp JSON phải là danh sách các dòng, hoặc {"rows": [...]}.')
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in CSV_COLUMNS[:3] if c not in (reader.fieldnames or [])]
        if missing:
            raise UnreadableFile(f"Dòng tiêu đề CSV thiếu cột: {', '.join(missing)} "
                               f"(cần có: {','.join(CSV_COLUMNS)}).")
        rows = [{k: v for k, v in row.items() if k in CSV_COLUMNS} for row in reader]
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(f"Mỗi tệp tối đa {MAX_ROWS} dòng.")
    return rows


def validate_rows(rows):
    """(valid updates with their row numbers, rejected rows with their errors). Rows are
    numbered from 1 as the carrier counts them (the CSV header is not a row)."""
    schema, valid, rejected = TrackingUpdateSchema(), [], []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            rejected.append({"row": number, "errors": {"_row": ["Dòng phải là một đối tượng JSON."]}})
            continue
        unstorable = unstorable_at(row)
        if unstorable is not None:
            rejected.append({"row": number, "tracking_number": None, "errors": {
                unstorable or "_row": ["Có ký tự không hợp lệ (NUL hoặc nửa cặp UTF-16)."]}})
            continue
        try:
            valid.append((number, schema.load(row)))
        except ValidationError as exc:
            given = row.get("tracking_number")  # echoed only as the text the answer documents
            rejected.append({"row": number,
                             "tracking_number": given if isinstance(given, str) else None,
                             "errors": exc.messages})
    # a carrier file is not always in time order: apply each shipment's events as they happened
    valid.sort(key=lambda item: (item[1]["at"], item[0]))
    return valid, rejected
