"""The manager's reports for any period, from routing's statistics: Biểu 06/VPCP/KSTT (with
the sentence of the monthly report when the period is a month), the report per agency (the
Friday report, for a week), the time each step of each procedure took, and the channels with
the 500-dossier rule. Each is one table, shown, printed, or downloaded as CSV in UTF-8 with a
byte-order mark (without it Excel reads the Vietnamese as Windows-1258 and garbles it)."""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.common.contracts import CHANNELS

from .dashboard import CHANNEL_NAMES, today
from .formats import DAY_ERROR, typed_day
from .web import render

REPORTS = {
    "bieu06": "Biểu 06/VPCP/KSTT: tình hình, kết quả giải quyết thủ tục hành chính",
    "agencies": "Theo cơ quan (báo cáo tuần, tháng)",
    "steps": "Thời gian từng bước, theo thủ tục",
    "channels": "Theo kênh tiếp nhận, quy tắc 500 hồ sơ",
}
# routing's query fields, as the form names them
FORM_FIELDS = {"start": "start", "since": "start", "end": "end", "until": "end"}
LABELS = {"report": "Báo cáo", "start": "Từ ngày", "end": "Đến ngày"}
# the statuses a dossier passes through, in their order, for the steps report's columns
STEP_NAMES = {
    "received": "Tiếp nhận", "assigned": "Chuyển cơ quan chủ trì", "processing": "Giải quyết",
    "supplement_requested": "Chờ bổ sung", "resubmitted": "Đã bổ sung",
    "consulting": "Lấy ý kiến phối hợp", "awaiting_approval": "Chờ lãnh đạo duyệt",
    "result_ready": "Chờ trả kết quả"}
BIEU06_COLUMNS = (
    ("received", "total", "Tiếp nhận: tổng số"), ("received", "online", "Tiếp nhận: trực tuyến"),
    ("received", "direct_and_postal", "Tiếp nhận: trực tiếp và bưu chính"),
    ("received", "carried_over", "Tiếp nhận: từ kỳ trước chuyển sang"),
    ("resolved", "total", "Đã giải quyết: tổng số"), ("resolved", "early", "Đã giải quyết: trước hạn"),
    ("resolved", "on_time", "Đã giải quyết: đúng hạn"), ("resolved", "late", "Đã giải quyết: quá hạn"),
    ("pending", "total", "Đang giải quyết: tổng số"),
    ("pending", "within_time", "Đang giải quyết: trong hạn"),
    ("pending", "overdue", "Đang giải quyết: quá hạn"),
    ("withdrawn_or_closed", None, "Rút, dừng hoặc đóng hồ sơ"))
AGENCY_COLUMNS = (
    ("received", "Tiếp nhận"),
    *((f"received_{c}", f"Tiếp nhận: {CHANNEL_NAMES[c].lower()}") for c in CHANNELS),
    ("carried_over", "Kỳ trước chuyển sang"), ("resolved_on_time", "Giải quyết đúng hạn"),
    ("resolved_late", "Giải quyết quá hạn"), ("in_progress_on_time", "Đang giải quyết trong hạn"),
    ("in_progress_overdue", "Đang giải quyết quá hạn"), ("returned", "Đã trả kết quả"),
    ("refused", "Từ chối"), ("withdrawn", "Rút hồ sơ"), ("closed", "Đóng do không bổ sung"),
    ("average_processing_working_days", "Thời gian giải quyết bình quân (ngày làm việc)"))


@dataclass
class Table:
    title: str
    columns: list
    rows: list = field(default_factory=list)  # [(cells, is_total)]
    sentence: str | None = None


def report_page(services, user, request, output="html"):
    """The report the form asks for, as a page (`html`), a print view or a CSV file."""
    values, period, errors = read_form(request.args)
    table = None
    if not errors:
        table, errors = fetch(services, values["report"], *period)
    if errors or output == "html":
        return render("reports.html", 422 if errors else 200, user=user, values=values,
                      errors=errors, labels=LABELS, reports=REPORTS, table=table,
                      periods=quick_periods(today()), query=urlencode(values),
                      start=period[0], end=period[1])
    if output == "print":
        return render("report_print.html", user=user, table=table, start=period[0],
                      end=period[1])
    return csv_download(table, f"{values['report']}_{period[0]}_{period[1]}.csv")


def read_form(args):
    """(values as typed, (start, end), errors by field): a month to date by default."""
    day = today()
    values = {"report": args.get("report", "bieu06"),
              "start": args.get("start", "").strip() or f"{day.replace(day=1):%d/%m/%Y}",
              "end": args.get("end", "").strip() or f"{day:%d/%m/%Y}"}
    errors = {}
    if values["report"] not in REPORTS:
        errors["report"] = ["Chọn một báo cáo trong danh sách."]
    start, end = typed_day(values["start"]), typed_day(values["end"])
    for name, typed in (("start", start), ("end", end)):
        if typed is None:
            errors[name] = [DAY_ERROR]
    if start and end and start > end:
        errors["end"] = ["Ngày kết thúc không được trước ngày bắt đầu."]
    return values, (start, end), errors


def quick_periods(day):
    """The periods a manager asks for most: this and last week, this and last month."""
    monday = day - timedelta(days=day.weekday())
    month_start = day.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [("Tuần này", monday, monday + timedelta(days=6)),
            ("Tuần trước", monday - timedelta(days=7), monday - timedelta(days=1)),
            ("Tháng này", month_start, month_end(month_start)),
            ("Tháng trước", last_month_end.replace(day=1), last_month_end)]


def month_end(first):
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def fetch(services, report, start, end):
    """(the table, {}) or (None, routing's refusal by field)."""
    period = {"start": start.isoformat(), "end": end.isoformat()}
    calls = {"agencies": lambda: services.call("intake", "GET", "/api/v1/agencies")}
    path = {"bieu06": "/api/v1/reports/bieu06", "agencies": "/api/v1/reports/period",
            "steps": "/api/v1/reports/steps", "channels": "/api/v1/reports/channels"}[report]
    params = ({"since": period["start"], "until": period["end"]} if report == "channels"
              else period)
    calls["report"] = lambda: services.call("routing", "GET", path, params=params)
    whole_month = start.day == 1 and end == month_end(start)
    if report == "bieu06" and whole_month:
        calls["monthly"] = lambda: services.call("routing", "GET", "/api/v1/reports/monthly",
                                                 params={"month": f"{start:%Y-%m}"})
    found = services.together(**calls)
    if not found["report"].ok:
        fields = found["report"].fields
        return None, {FORM_FIELDS.get(name, "report"): messages for name, messages in fields.items()}
    names = {a["code"]: a["name"] for a in found["agencies"].body.get("agencies", [])}
    table = BUILDERS[report](REPORTS[report], found["report"].body, names)
    if "monthly" in found and found["monthly"].ok:
        table.sentence = found["monthly"].body["summary"]
    return table, {}


def _agency(code, names):
    return [code, names.get(code, code)]


def bieu06_table(title, report, names):
    def figures(row):
        return [row[section] if column is None else row[section][column]
                for section, column, _ in BIEU06_COLUMNS]
    table = Table(title, ["Mã cơ quan", "Cơ quan", "Mã lĩnh vực", "Lĩnh vực",
                          *(label for *_, label in BIEU06_COLUMNS)])
    for agency in report["agencies"]:
        for sector in agency["sectors"]:
            table.rows.append(([*_agency(agency["department"], names),
                                sector["sector_code"] or "", sector["sector_name"],
                                *figures(sector)], False))
        table.rows.append(([*_agency(agency["department"], names), "", "Cộng cơ quan",
                            *figures(agency)], True))
    table.rows.append((["", "Tổng cộng", "", "", *figures(report["totals"])], True))
    return table


def agencies_table(title, report, names):
    def figures(stats):
        by_channel = stats["received_by_channel"]
        return [by_channel[key[len("received_"):]] if key.startswith("received_")
                else stats[key] for key, _ in AGENCY_COLUMNS]
    table = Table(title, ["Mã cơ quan", "Cơ quan", *(label for _, label in AGENCY_COLUMNS)])
    for row in report["by_department"]:
        table.rows.append(([*_agency(row["department"], names), *figures(row)], False))
    table.rows.append((["", "Tổng cộng", *figures(report["totals"])], True))
    return table


def steps_table(title, report, names):
    seen = {status for p in report["procedures"] for status in p["average_working_days"]}
    steps = [s for s in STEP_NAMES if s in seen] + sorted(seen - set(STEP_NAMES))
    table = Table(title, ["Mã thủ tục", "Thủ tục", "Số hồ sơ",
                          *(f"{STEP_NAMES.get(s, s)} (ngày làm việc, bình quân)" for s in steps)])
    for p in report["procedures"]:
        table.rows.append(([p["procedure"], p["name"], p["dossiers"],
                            *(p["average_working_days"].get(s, "") for s in steps)], False))
    return table


def channels_table(title, report, names):
    verdicts = {True: "Phải cử cán bộ tại Trung tâm", False: "Được giao bưu điện tiếp nhận thay",
                None: "Không xét (quy tắc chỉ tính từ 01/01 đến 30/06)"}
    table = Table(title, ["Mã cơ quan", "Cơ quan", "Tổng số",
                          *(CHANNEL_NAMES[c] for c in CHANNELS),
                          *(f"Tỉ lệ {CHANNEL_NAMES[c].lower()} (%)" for c in CHANNELS),
                          f"Quy tắc {report['threshold']} hồ sơ"])
    for row in report["departments"]:
        table.rows.append(([*_agency(row["department"], names), row["total"],
                            *(row["by_channel"][c] for c in CHANNELS),
                            *(row["share"][c] for c in CHANNELS),
                            verdicts[row["must_station_officers"]]], False))
    return table


BUILDERS = {"bieu06": bieu06_table, "agencies": agencies_table, "steps": steps_table,
            "channels": channels_table}


def csv_download(table, filename):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for cells, _ in table.rows:
        writer.writerow(["" if cell is None else cell for cell in cells])
    return Response(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
