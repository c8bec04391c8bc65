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
import re
import uuid
from datetime import datetime, time, timedelta

from prometheus_client import Counter

from services.common.events import TIMEZONE
from services.common.http import ApiError
from services.common.uploads import NotUtf8, uploaded_text

from .store import json_param

REQUIRED_COLUMNS = ("reference", "amount", "value_date")
MAX_LINES = 100_000
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
    """The file as text (any BOM and line ends), or a 422 naming the first line that is not
    UTF-8."""
    try:
        return uploaded_text(raw)
    except NotUtf8 as exc:
        raise ApiError(422, "validation_failed", "the statement is not UTF-8 text",
                       {f"line {exc.line}": ["not UTF-8 text: save the file as CSV UTF-8"]}
                       ) from exc


def parse_statement(raw, day):
    """[(line number, reference, amount)] from the CSV, or a 422 naming every bad line."""
    reader = csv.DictReader(io.StringIO(statement_text(raw)))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ApiError(422, "validation_failed", "the statement's header is incomplete",
                       {"header": [f"missing column {c!r} (header must name "
                                   f"{', '.join(REQUIRED_COLUMNS)})" for c in missing]})
    reader.fieldnames = header
    lines, problems = [], {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_LINES:
            raise ApiError(413, "statement_too_large", f"more than {MAX_LINES} lines")
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        reference = (row.get("reference") or "").strip()
        amount = (row.get("amount") or "").strip()
        value_date = (row.get("value_date") or "").strip()
        line_problems = []
        if not _REFERENCE.match(reference):
            line_problems.append(f"reference {reference!r} is empty or has characters other "
                                 "than letters, digits, - and _")
        if not _AMOUNT.match(amount):
            line_problems.append(f"amount {amount!r} is not a whole number of VND "
                                 "(no separators; negative for money paid out)")
        if value_date != day.isoformat():
            line_problems.append(f"value_date {value_date!r} is not the statement day "
                                 f"{day.isoformat()}")
        if line_problems:
            problems[f"line {number}"] = line_problems
        else:
            lines.append((number, reference, int(amount)))
    if problems:
        raise ApiError(422, "validation_failed", "some statement lines are invalid; nothing "
                       "was imported", problems)
    return lines


def movements_of_day(cur, day, channel):
    """The payments (+) and refunds (-) recorded on `day` (Asia/Ho_Chi_Minh) on `channel`."""
    start = datetime.combine(day, time(), TIMEZONE)
    end = start + timedelta(days=1)
    cur.execute(
        """SELECT 'payment' AS movement, id, reference, gateway_transaction_no AS alias, amount
             FROM payment.payments
            WHERE status = 'succeeded' AND channel = %(channel)s
              AND completed_at >= %(start)s AND completed_at < %(end)s
           UNION ALL
           SELECT 'refund', id, reference, NULL, -amount FROM payment.refunds
            WHERE channel = %(channel)s AND completed_at >= %(start)s AND completed_at < %(end)s""",
        {"channel": channel, "start": start, "end": end},
    )
    return cur.fetchall()


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


def import_statement(cur, raw, day, channel, source, imported_by):
    lines = parse_statement(raw, day)
    items = match(lines, movements_of_day(cur, day, channel))
    summary = summarise(items)
    cur.execute("DELETE FROM payment.reconciliations WHERE day = %s AND channel = %s",
                (day, channel))
    recon_id = uuid.uuid4()
    cur.execute(
        """INSERT INTO payment.reconciliations (id, day, channel, source, file_sha256,
               imported_by, summary) VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (recon_id, day, channel, source, hashlib.sha256(raw).hexdigest(), imported_by,
         json_param(summary)),
    )
    for item in items:
        cur.execute(
            """INSERT INTO payment.reconciliation_items (reconciliation_id, outcome, reference,
                   line, statement_amount, motcua_amount, movement, movement_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (recon_id, item["outcome"], item["reference"], item["line"],
             item["statement_amount"], item["motcua_amount"], item["movement"],
             item["movement_id"]),
        )
    for outcome, count in summary["counts"].items():
        if outcome == "matched":
            RECONCILED.labels(channel).inc(count)
        elif count:
            MISMATCHES.labels(channel, outcome).inc(count)
    return report(cur, day, channel)


def report(cur, day, channel=None):
    """The day's reconciliation per channel: summary and items (JSON-ready)."""
    cur.execute(
        """SELECT * FROM payment.reconciliations WHERE day = %s
             AND (%s::text IS NULL OR channel = %s) ORDER BY channel""",
        (day, channel, channel),
    )
    channels = []
    for recon in cur.fetchall():
        cur.execute(
            """SELECT outcome, reference, line, statement_amount, motcua_amount, movement
                 FROM payment.reconciliation_items WHERE reconciliation_id = %s ORDER BY id""",
            (recon["id"],),
        )
        channels.append({
            "channel": recon["channel"], "source": recon["source"],
            "imported_at": recon["imported_at"].isoformat(), "imported_by": recon["imported_by"],
            "file_sha256": recon["file_sha256"], "summary": recon["summary"],
            "items": [dict(item) for item in cur.fetchall()],
        })
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
