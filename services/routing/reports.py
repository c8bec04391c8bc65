"""The center's statistics: per period and department (with the evaluations given in it), the
monthly report in the words of the province's reports, the weekly report per department, and
the volumes by channel with, for the first six months of a year, the 500-dossier rule's
verdict (services/common/stationing.py). The statutory Biểu 06 is bieu06.py.

A dossier is late when it was ever overdue or its result came after its legal due date: the
end of its period, which restarts from zero when a supplement completes the dossier and which
an extension's new appointment never moves (Decree 118/2025 art. 19). A dossier awaiting its
supplement is not late meanwhile: its period starts again when the supplement comes."""
import csv
import io
from collections import defaultdict
from datetime import date, timedelta

from services.common.contracts import CHANNELS
from services.common.stationing import (
    STATION_THRESHOLD,
    is_first_half,
    judged_half_year,
    must_station_officers,
)

from . import evaluations, store
from .lifecycle import local_day, local_days

CHANNEL_WORDS = {"counter": "nhận trực tiếp", "online": "nhận trực tuyến",
                 "postal": "nhận qua dịch vụ bưu chính"}


def dossiers_for(cur, start, end, department=None):
    """Every dossier that was open at some time in [start, end] or got returned in it."""
    return store.dossiers_open_in(cur, *local_days(start, end), department)


def _day(value):
    return local_day(value) if value is not None else None


def period_stats(calendar, rows, start, end, today):
    """The figures of one period over the given dossiers."""
    ref = min(end, today)
    within = lambda day: day is not None and start <= day <= end  # noqa: E731
    stats = {"received": 0, "received_by_channel": dict.fromkeys(CHANNELS, 0),
             "carried_over": 0, "resolved_on_time": 0, "resolved_late": 0,
             "in_progress_on_time": 0, "in_progress_overdue": 0, "returned": 0,
             "refused": 0, "withdrawn": 0, "closed": 0}
    processing_days = []
    for row in rows:
        received = _day(row["received_at"])
        resolved = _day(row["resolved_at"])
        ended = min(filter(None, (resolved, _day(row["refused_at"]), _day(row["withdrawn_at"]),
                                  _day(row["closed_at"]))), default=None)
        if received > end:
            continue
        if within(received):
            stats["received"] += 1
            stats["received_by_channel"][row["channel"]] += 1
        elif ended is None or ended >= start:
            stats["carried_over"] += received < start
        if within(resolved):
            late = row["overdue_at"] is not None or resolved > row["legal_due_date"]
            stats["resolved_late" if late else "resolved_on_time"] += 1
            processing_days.append(calendar.working_days_between(
                calendar.reception_day(row["period_started_at"]), resolved))
        if ended is None or ended > end:
            awaiting = (row["awaiting_supplement_since"] is not None
                        and _day(row["awaiting_supplement_since"]) <= ref)
            overdue = (row["overdue_at"] is not None and _day(row["overdue_at"]) <= end) or (
                not awaiting and ref > row["legal_due_date"])
            stats["in_progress_overdue" if overdue else "in_progress_on_time"] += 1
        stats["returned"] += within(_day(row["returned_at"]))
        stats["refused"] += within(_day(row["refused_at"]))
        stats["withdrawn"] += within(_day(row["withdrawn_at"]))
        stats["closed"] += within(_day(row["closed_at"]))
    working_days = calendar.working_days_between(start - timedelta(days=1), end)
    stats["resolved"] = stats["resolved_on_time"] + stats["resolved_late"]
    stats["in_progress"] = stats["in_progress_on_time"] + stats["in_progress_overdue"]
    stats["average_processing_working_days"] = (
        round(sum(processing_days) / len(processing_days), 1) if processing_days else None)
    stats["working_days"] = working_days
    stats["received_per_day"] = round(stats["received"] / working_days, 1) if working_days else 0
    stats["returned_per_day"] = round(stats["returned"] / working_days, 1) if working_days else 0
    return stats


def period_report(cur, calendar, start, end, today, department=None):
    rows = dossiers_for(cur, start, end, department)
    by_department = defaultdict(list)
    for row in rows:
        by_department[row["department"]].append(row)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "department": department,
        "totals": period_stats(calendar, rows, start, end, today),
        "by_department": [{"department": code,
                           **period_stats(calendar, by_department[code], start, end, today)}
                          for code in sorted(by_department)],
        "evaluations": evaluations_of(cur, start, end, department),
        "late_consultations": late_consultations(cur, start, end, department),
    }


def late_consultations(cur, start, end, department=None):
    """Consultations found late in the period (unanswered past their reply date, or answered
    after it), per consulted department: what the one-stop unit's head is told of (Decree
    118/2025 art. 19(4)(c))."""
    rows = store.late_consultations(cur, *local_days(start, end), department)
    return {"total": sum(row["n"] for row in rows),
            "by_department": {row["department"]: row["n"] for row in rows}}


def evaluations_of(cur, start, end, department=None):
    """The evaluations given in the period (evaluations.py): in total and per officer."""
    found = evaluations.summary(cur, start, end, department)
    return {"totals": found["totals"], "by_officer": found["by_officer"]}


def month_bounds(month):
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def thousands(number):
    """7267 -> '7.267' (Vietnamese digit grouping)."""
    return f"{number:,}".replace(",", ".")


def monthly_sentence(month_start, stats):
    """The figures in the sentence the center's reports use (seed 001)."""
    channels = stats["received_by_channel"]
    parts = ", ".join(f"{CHANNEL_WORDS[c]} {thousands(channels[c])} hồ sơ" for c in CHANNELS)
    return (f"Tháng {month_start.month}-{month_start.year}, tiếp nhận "
            f"{thousands(stats['received'])} hồ sơ, trong đó {parts}. Tổng số hồ sơ đã trả "
            f"{thousands(stats['returned'])} hồ sơ; bình quân mỗi ngày, trung tâm trả "
            f"{thousands(round(stats['returned_per_day']))} hồ sơ.")


def monthly_report(cur, calendar, month, today, department=None):
    start, end = month_bounds(month)
    report = period_report(cur, calendar, start, end, today, department)
    report["month"] = month
    report["summary"] = monthly_sentence(start, report["totals"])
    return report


def weekly_report(cur, calendar, week_of, today):
    """Monday to Sunday of the week holding `week_of`, per department (the Friday report)."""
    monday = week_of - timedelta(days=week_of.weekday())
    return period_report(cur, calendar, monday, monday + timedelta(days=6), today)


def default_six_months(today):
    """The channel report's default period: the six months the 500-dossier rule judges today."""
    return judged_half_year(today)


def station_rule(total):
    if must_station_officers(total):
        return "must station officers at the center"
    return "may delegate reception to the post office"


def department_volumes(cur, since, until):
    """Dossiers received per department and channel in [since, until]. When the period is the
    first six months of a year, each department has the 500-dossier rule's verdict; for any
    other period `must_station_officers` is None, since the rule counts only those months."""
    counts = defaultdict(lambda: dict.fromkeys(CHANNELS, 0))
    for row in store.received_by_department_and_channel(cur, *local_days(since, until)):
        counts[row["department"]][row["channel"]] = row["n"]
    judged = is_first_half(since, until)
    volumes = []
    for department in sorted(counts):
        by_channel = counts[department]
        total = sum(by_channel.values())
        volumes.append({
            "department": department, "total": total, "by_channel": by_channel,
            "share": {c: round(100 * n / total, 1) for c, n in by_channel.items()},
            "must_station_officers": must_station_officers(total) if judged else None,
            "rule": station_rule(total) if judged
                    else "not judged: the rule counts January to June of a year",
        })
    return {"since": since.isoformat(), "until": until.isoformat(),
            "threshold": STATION_THRESHOLD, "departments": volumes}


# CSV -----------------------------------------------------------------------------------------
STAT_COLUMNS = ("received", *(f"received_{c}" for c in CHANNELS), "carried_over",
                "resolved_on_time", "resolved_late", "in_progress_on_time",
                "in_progress_overdue", "returned", "refused", "withdrawn", "closed",
                "average_processing_working_days", "received_per_day", "returned_per_day")


def _flat(stats):
    flat = dict(stats)
    for channel, n in stats["received_by_channel"].items():
        flat[f"received_{channel}"] = n
    return flat


def period_csv(report):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("department", *STAT_COLUMNS))
    for row in report["by_department"]:
        flat = _flat(row)
        writer.writerow((row["department"], *(flat[c] for c in STAT_COLUMNS)))
    flat = _flat(report["totals"])
    writer.writerow(("ALL", *(flat[c] for c in STAT_COLUMNS)))
    return out.getvalue()


def volumes_csv(volumes):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("department", "total", *CHANNELS, *(f"share_{c}" for c in CHANNELS),
                     "must_station_officers"))
    for row in volumes["departments"]:
        writer.writerow((row["department"], row["total"],
                         *(row["by_channel"][c] for c in CHANNELS),
                         *(row["share"][c] for c in CHANNELS), row["must_station_officers"]))
    return out.getvalue()


def step_durations(cur, calendar, start, end, department=None):
    """Per procedure, the average working days dossiers received in [start, end] spent in
    each status (finished steps only), for the weekly review of procedures (seed 002)."""
    spent = defaultdict(lambda: defaultdict(list))
    names, dossiers = {}, defaultdict(set)
    previous = None
    for row in store.history_of_received(cur, *local_days(start, end), department):
        names[row["procedure_code"]] = row["procedure_name"]
        dossiers[row["procedure_code"]].add(row["dossier_code"])
        if previous and previous["dossier_code"] == row["dossier_code"]:
            if previous["status"] == row["status"]:
                continue  # a line of history inside the same step
            days = calendar.working_days_between(local_day(previous["at"]), local_day(row["at"]))
            spent[row["procedure_code"]][previous["status"]].append(days)
        previous = row
    return {"start": start.isoformat(), "end": end.isoformat(), "department": department,
            "procedures": [
                {"procedure": code, "name": names[code], "dossiers": len(dossiers[code]),
                 "average_working_days": {status: round(sum(days) / len(days), 1)
                                          for status, days in spent[code].items()}}
                for code in sorted(names)]}
