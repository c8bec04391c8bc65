"""The day's statement of one channel (bank, treasury or gateway settlement file, CSV)
against the money motcua recorded that day on that channel.

Each line is matched by reference: same amount → matched, another amount → amount_mismatch,
a reference seen earlier in the same statement → duplicate, unknown → missing_in_motcua.
Payments and refunds of the day the statement does not show → missing_in_statement.
Importing a day and channel again replaces its earlier report.
"""
import csv
import hashlib
import io
import logging
import re
import uuid
from datetime import date, datetime, time, timedelta

from prometheus_client import Counter

from services.common.errors import Invalid
from services.common.events import TIMEZONE
from services.common.uploads import NotUtf8, uploaded_text

from . import store
from .errors import InvalidStatement, NoReconciliation

log = logging.getLogger("motcua.payment")

REQUIRED_COLUMNS = ("reference", "amount", "value_date")
OUTCOMES = ("matched", "missing_in_statement", "missing_in_motcua", "amount_mismatch",
            "duplicate")
REPORT_COLUMNS = ("day", "channel", "outcome", "reference", "line", "statement_amount",
                  "motcua_amount", "movement")
_AMOUNT = re.compile(r"^-?\d{1,13}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,60}$")

MISMATCHES = Counter("motcua_reconciliation_mismatches_total",
                     "Statement lines and recorded movements that did not match",
                     ["channel", "outcome"])
RECONCILED = Counter("motcua_reconciliation_lines_total", "Statement lines matched",
                     ["channel"])


def statement_text(raw):
    """The file as text (any BOM and line ends); InvalidStatement names the first line that
    is not UTF-8."""
    try:
        return uploaded_text(raw)
    except NotUtf8 as exc:
        raise InvalidStatement("Tệp sao kê không phải văn bản UTF-8.", f"line {exc.line}", {
            f"line {exc.line}": ["Không phải văn bản UTF-8: hãy lưu tệp dạng CSV UTF-8."]}) from exc


def parse_statement(raw, day):
    """[(line number, reference, amount)] from the CSV; InvalidStatement names every bad line."""
    reader = csv.DictReader(io.StringIO(statement_text(raw)))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidStatement("Dòng tiêu đề của sao kê thiếu cột.", "header", {
            "header": [f"Thiếu cột '{c}' (dòng tiêu đề phải có: {', '.join(REQUIRED_COLUMNS)})."
                       for c in missing]})
    reader.fieldnames = header
    lines, problems = [], {}
    for number, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        reference = (row.get("reference") or "").strip()
        amount = (row.get("amount") or "").strip()
        value_date = (row.get("value_date") or "").strip()
        line_problems = []
        if not _REFERENCE.match(reference):
            line_problems.append(f"Mã tham chiếu '{reference}' để trống hoặc có ký tự ngoài chữ "
                                 "cái, chữ số, - và _.")
        if not _AMOUNT.match(amount):
            line_problems.append(f"Số tiền '{amount}' không phải số đồng nguyên (không dùng dấu "
                                 "phân cách; số âm cho tiền chi ra).")
        if value_date != day.isoformat():
            line_problems.append(f"Ngày giá trị (value_date) '{value_date}' không phải ngày "
                                 f"của sao kê {day.isoformat()}.")
        if line_problems:
            problems[f"line {number}"] = line_problems
        else:
            lines.append((number, reference, int(amount)))
    if problems:
        raise InvalidStatement("Một số dòng sao kê không hợp lệ; chưa nhập dòng nào.",
                               next(iter(problems)), problems)
    return lines


def movements_of_day(cur, day, channel):
    """The payments (+) and refunds (-) recorded on `day` (Asia/Ho_Chi_Minh) on `channel`."""
    start = datetime.combine(day, time(), TIMEZONE)
    return store.movements_of_day(cur, channel, start, start + timedelta(days=1))


def match(lines, movements):
    """The report items: one per statement line, plus one per movement it did not show."""
    by_reference = {}
    for movement in movements:
        by_reference[movement["reference"]] = movement
        if movement["alias"]:
            by_reference.setdefault(movement["alias"], movement)
    seen, used, items = set(), set(), []
    for number, reference, amount in lines:
        movement = by_reference.get(reference)
        item = {"reference": reference, "line": number, "statement_amount": amount,
                "motcua_amount": movement["amount"] if movement else None,
                "movement": movement["movement"] if movement else None,
                "movement_id": movement["id"] if movement else None}
        key = movement["id"] if movement else reference
        if key in seen:
            item["outcome"] = "duplicate"
        elif movement is None:
            item["outcome"] = "missing_in_motcua"
        else:
            item["outcome"] = "matched" if amount == movement["amount"] else "amount_mismatch"
            used.add(movement["id"])
        seen.add(key)
        items.append(item)
    for movement in movements:
        if movement["id"] not in used:
            items.append({"outcome": "missing_in_statement", "reference": movement["reference"],
                          "line": None, "statement_amount": None,
                          "motcua_amount": movement["amount"], "movement": movement["movement"],
                          "movement_id": movement["id"]})
    return items


def summarise(items):
    counts = {outcome: 0 for outcome in OUTCOMES}
    for item in items:
        counts[item["outcome"]] += 1
    return {
        "counts": counts,
        "mismatches": sum(n for outcome, n in counts.items() if outcome != "matched"),
        "statement_total": sum(i["statement_amount"] for i in items
                               if i["statement_amount"] is not None),
        "matched_total": sum(i["statement_amount"] for i in items if i["outcome"] == "matched"),
    }


def what_is_imported(query, raw):
    """What identifies an import for its Idempotency-Key: the day, channel and source it is
    for, and the file's hash."""
    return {**{key: str(value) for key, value in query.items()},
            "sha256": hashlib.sha256(raw).hexdigest()}


def import_statement(cur, raw, day, channel, source, imported_by):
    """The statement matched and its report kept (replacing the day and channel's earlier
    one); returns the day's report of that channel."""
    lines = parse_statement(raw, day)
    items = match(lines, movements_of_day(cur, day, channel))
    summary = summarise(items)
    store.replace_reconciliation(cur, {
        "id": uuid.uuid4(), "day": day, "channel": channel, "source": source,
        "file_sha256": hashlib.sha256(raw).hexdigest(), "imported_by": imported_by,
        "summary": summary}, items)
    for outcome, count in summary["counts"].items():
        if outcome == "matched":
            RECONCILED.labels(channel).inc(count)
        elif count:
            MISMATCHES.labels(channel, outcome).inc(count)
    log.info("statement imported", extra={"day": day.isoformat(), "channel": channel})
    return report(cur, day, channel)


def report_of_day(cur, day, channel=None):
    """The report of `day` as the URL gives it (YYYY-MM-DD)."""
    try:
        the_day = date.fromisoformat(day)
    except ValueError as exc:
        raise Invalid("Ngày không hợp lệ.", "day",
                               {"day": [f"'{day}' không phải ngày dạng năm-tháng-ngày "
                                        "(2026-03-02)."]}) from exc
    found = report(cur, the_day, channel)
    if not found["channels"]:
        raise NoReconciliation(f"Chưa nhập sao kê nào cho ngày {day}.")
    return found


def report(cur, day, channel=None):
    """The day's reconciliation per channel: summary and items (JSON-ready)."""
    channels = [{
        "channel": recon["channel"], "source": recon["source"],
        "imported_at": recon["imported_at"].isoformat(), "imported_by": recon["imported_by"],
        "file_sha256": recon["file_sha256"], "summary": recon["summary"],
        "items": [dict(item) for item in store.reconciliation_items(cur, recon["id"])],
    } for recon in store.reconciliations_of_day(cur, day, channel)]
    return {"day": day.isoformat(), "channels": channels}


def report_csv(report_json):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for channel in report_json["channels"]:
        for item in channel["items"]:
            writer.writerow([report_json["day"], channel["channel"], item["outcome"],
                             item["reference"], item["line"] or "",
                             "" if item["statement_amount"] is None else item["statement_amount"],
                             "" if item["motcua_amount"] is None else item["motcua_amount"],
                             item["movement"] or ""])
    return out.getvalue()
