"""routing's Prometheus metrics: the dossiers as they stand (refreshed by the deadline watch)
and how long they took. Labels are statuses and departments, never a dossier code."""
from prometheus_client import Gauge, Histogram

from . import store

DOSSIERS = Gauge("motcua_routing_dossiers", "Dossiers by status and lead department",
                 ["status", "department"])
OVERDUE = Gauge("motcua_routing_dossiers_overdue",
                "Open dossiers past their due date, by lead department", ["department"])
PROCESSING_DAYS = Histogram(
    "motcua_routing_processing_working_days",
    "Working days from reception to result (supplement pauses excluded)",
    ["department"], buckets=(1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60),
)


def refresh(cur):
    rows = store.count_by_status(cur)
    overdue = store.count_overdue(cur)
    DOSSIERS.clear()
    for row in rows:
        DOSSIERS.labels(row["status"], row["department"]).set(row["n"])
    OVERDUE.clear()
    for row in overdue:
        OVERDUE.labels(row["department"]).set(row["n"])


def observe_processing(department, working_days):
    PROCESSING_DAYS.labels(department).observe(working_days)
