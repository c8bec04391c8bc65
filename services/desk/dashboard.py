"""The manager's dashboard: today and this month by channel and agency, the dossiers in hand
within time and overdue per agency, those due soon, the month's evaluations and the
500-dossier rule per agency, from routing's statistics (and intake's agency names)."""
from datetime import datetime

from services.common.contracts import CHANNELS
from services.common.events import TIMEZONE

from .charts import bar_chart
from .web import render

CHANNEL_NAMES = {"counter": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính"}


def today():
    return datetime.now(TIMEZONE).date()


def dashboard_page(services, user):
    day = today()
    month_start = day.replace(day=1)
    routing = lambda path, **params: lambda: services.call(  # noqa: E731
        "routing", "GET", path, params=params).body
    found = services.together(
        today=routing("/api/v1/reports/period", start=day.isoformat(), end=day.isoformat()),
        month=routing("/api/v1/reports/monthly", month=f"{day:%Y-%m}"),
        evaluations=routing("/api/v1/reports/evaluations", start=month_start.isoformat(),
                            end=day.isoformat()),
        half_year=routing("/api/v1/reports/channels"),
        due_soon=routing("/api/v1/inbox", due_soon="true", per_page=100),
        agencies=lambda: services.call("intake", "GET", "/api/v1/agencies").body)
    names = {agency["code"]: agency["name"] for agency in found["agencies"]["agencies"]}
    rows = agency_rows(found)
    return render("dashboard.html", user=user, day=day, rows=rows, names=names,
                  channels=CHANNEL_NAMES, month=found["month"],
                  due_soon=found["due_soon"]["dossiers"], half_year=found["half_year"],
                  charts=charts(rows, names))


def agency_rows(found):
    """One row per agency met in any of the figures, by code."""
    today_by = {row["department"]: row for row in found["today"]["by_department"]}
    month_by = {row["department"]: row for row in found["month"]["by_department"]}
    rated_by = {row["department"]: row for row in found["evaluations"]["by_department"]}
    half_by = {row["department"]: row for row in found["half_year"]["departments"]}
    rows = []
    for code in sorted({*today_by, *month_by, *rated_by, *half_by}):
        month = month_by.get(code, {})
        rated = rated_by.get(code, {})
        half = half_by.get(code, {})
        rows.append({
            "department": code,
            "today": {c: today_by.get(code, {}).get("received_by_channel", {}).get(c, 0)
                      for c in CHANNELS},
            "month": {c: month.get("received_by_channel", {}).get(c, 0) for c in CHANNELS},
            "on_time": month.get("in_progress_on_time", 0),
            "overdue": month.get("in_progress_overdue", 0),
            "evaluations": rated.get("dossier_evaluations", 0),
            "counter_visits": rated.get("counter_visits", {}).get("total", 0),
            "satisfaction_rate": rated.get("satisfaction_rate"),
            "half_year": half.get("total", 0),
            "must_station": bool(half.get("must_station_officers")),
        })
    return rows


def charts(rows, names):
    labels = [names.get(row["department"], row["department"]) for row in rows]
    return {
        "month": bar_chart("Hồ sơ tiếp nhận trong tháng, theo kênh", labels, {
            CHANNEL_NAMES[c]: [row["month"][c] for row in rows] for c in CHANNELS}),
        "pending": bar_chart("Hồ sơ đang giải quyết: trong hạn và quá hạn", labels, {
            "Trong hạn": [row["on_time"] for row in rows],
            "Quá hạn": [row["overdue"] for row in rows]}),
    }
