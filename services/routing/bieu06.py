"""Biểu 06/VPCP/KSTT, the statutory report of how dossiers were resolved (Circular
01/2020/TT-VPCP): for any period, per lĩnh vực (sector) of each agency, per lĩnh vực across
agencies and in total.

- received: in the period online, and directly or by post; carried over: received before the
  period and not resolved at its start. Their sum is the total.
- resolved in the period (the result ready, or the dossier refused), judged against the legal
  due date (the end of the period the law gives, restarted by a supplement, never moved by
  an extension): early before it, on time that day, late after it.
- pending at the end of the period: within time, or overdue when its legal due date had
  passed on the period's last day (today, for a period not over yet). A dossier awaiting
  its supplement that day is within time: its period starts again when the supplement comes.
- withdrawn or closed in the period: neither resolved nor pending (not a column of the form),
  so that received = resolved + pending + withdrawn or closed."""
import csv
import io
from collections import defaultdict

from . import store
from .lifecycle import local_day, local_days

UNKNOWN_SECTOR = "Chưa xác định lĩnh vực"
TOTAL = "ALL"


def _figures():
    return {"received": {"total": 0, "online": 0, "direct_and_postal": 0, "carried_over": 0},
            "resolved": {"total": 0, "early": 0, "on_time": 0, "late": 0},
            "pending": {"total": 0, "within_time": 0, "overdue": 0},
            "withdrawn_or_closed": 0}


def _day(at):
    return local_day(at) if at is not None else None


def _awaiting_supplement(row, day):
    asked, completed = _day(row["supplement_requested_at"]), _day(row["supplement_resubmitted_at"])
    return asked is not None and asked <= day and (completed is None or completed > day)


def _timing(day, due):
    return "early" if day < due else "on_time" if day == due else "late"


def counts_of(row, start, end, today):
    """[(section, column)] the dossier adds 1 to, in a period from `start` to `end`."""
    judged_on = min(end, today)
    received = local_day(row["received_at"])
    if received < start:
        found = [("received", "carried_over")]
    else:
        found = [("received", "online" if row["channel"] == "online" else "direct_and_postal")]
    resolution = min(filter(None, (_day(row["resolved_at"]), _day(row["refused_at"]))),
                     default=None)
    stop = min(filter(None, (_day(row["withdrawn_at"]), _day(row["closed_at"]))), default=None)
    if resolution is not None and resolution <= end:
        found.append(("resolved", _timing(resolution, row["legal_due_date"])))
    elif stop is not None and stop <= end:
        found.append(("withdrawn_or_closed", None))
    elif _awaiting_supplement(row, judged_on) or judged_on <= row["legal_due_date"]:
        found.append(("pending", "within_time"))
    else:
        found.append(("pending", "overdue"))
    return found


def _count(figures, counts):
    for section, column in counts:
        if column is None:
            figures[section] += 1
        else:
            figures[section][column] += 1
            figures[section]["total"] += 1


def _sector(row):
    return row["sector_code"], row["sector_name"] or UNKNOWN_SECTOR


def _sector_rows(by_sector):
    ordered = sorted(by_sector.items(), key=lambda item: (item[0][0] is None, item[0]))
    return [{"sector_code": code, "sector_name": name, **figures}
            for (code, name), figures in ordered]


def report(cur, start, end, today, department=None):
    """Biểu 06 of [start, end], of one agency with `department`."""
    totals = _figures()
    agencies = defaultdict(_figures)
    agency_sectors = defaultdict(lambda: defaultdict(_figures))
    sectors = defaultdict(_figures)
    for row in store.bieu06_dossiers(cur, *local_days(start, end), department):
        counts = counts_of(row, start, end, today)
        for figures in (totals, agencies[row["department"]],
                        agency_sectors[row["department"]][_sector(row)], sectors[_sector(row)]):
            _count(figures, counts)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "department": department,
        "agencies": [{"department": code, **agencies[code],
                      "sectors": _sector_rows(agency_sectors[code])}
                     for code in sorted(agencies)],
        "sectors": _sector_rows(sectors),
        "totals": totals,
    }


# CSV -----------------------------------------------------------------------------------------
COLUMNS = ("received_total", "received_online", "received_direct_and_postal",
           "received_carried_over", "resolved_total", "resolved_early", "resolved_on_time",
           "resolved_late", "pending_total", "pending_within_time", "pending_overdue",
           "withdrawn_or_closed")


def _flat(figures):
    flat = {"withdrawn_or_closed": figures["withdrawn_or_closed"]}
    for section in ("received", "resolved", "pending"):
        flat.update({f"{section}_{column}": n for column, n in figures[section].items()})
    return [flat[column] for column in COLUMNS]


def to_csv(found):
    """The form's rows: each agency's lĩnh vực, then the agency's total (sector ALL), then
    the total of every agency (ALL, ALL)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("department", "sector_code", "sector_name", *COLUMNS))
    for agency in found["agencies"]:
        for sector in agency["sectors"]:
            writer.writerow((agency["department"], sector["sector_code"] or "",
                             sector["sector_name"], *_flat(sector)))
        writer.writerow((agency["department"], TOTAL, "Cộng", *_flat(agency)))
    writer.writerow((TOTAL, TOTAL, "Tổng cộng", *_flat(found["totals"])))
    return out.getvalue()
