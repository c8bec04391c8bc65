"""routing's Prometheus metrics: the dossiers as they stand (refreshed by the deadline watch)
and how long they took. Labels are statuses and departments, never a dossier code."""
import json
import time
from datetime import datetime

from prometheus_client import Gauge, Histogram

from services.common.events import DEPARTMENTS_EXCHANGE

from . import store

DOSSIERS = Gauge("motcua_routing_dossiers", "Dossiers by status and lead department",
                 ["status", "department"])
OVERDUE = Gauge("motcua_routing_dossiers_overdue",
                "Open dossiers past their due date, by lead department", ["department"])
LATE_CONSULTATIONS = Gauge(
    "motcua_routing_consultations_late",
    "Consultations still unanswered past their reply date, by consulted department",
    ["department"])
PROCESSING_DAYS = Histogram(
    "motcua_routing_processing_working_days",
    "Working days of the period that ended with the result (from reception, or from the "
    "complete dossier when a supplement restarted it)",
    ["department"], buckets=(1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60),
)
# From the dossier's reception (`received_at`, committed by intake) to the broker's confirm of
# the message on the department's queue: the whole pipeline a citizen's dossier goes through
# before a department can see it. Observed by routing's outbox relay.
RECEPTION_TO_DEPARTMENT = Histogram(
    "motcua_dossier_reception_to_department_seconds",
    "Time from a dossier's reception to its confirmed delivery to the department queue",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
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
    late = store.count_late_consultations(cur)
    LATE_CONSULTATIONS.clear()
    for row in late:
        LATE_CONSULTATIONS.labels(row["department"]).set(row["n"])


def observe_processing(department, working_days):
    PROCESSING_DAYS.labels(department).observe(working_days)


def observe_department_message(exchange, body):
    """The observer routing's outbox relay calls with each event the broker confirmed."""
    if exchange != DEPARTMENTS_EXCHANGE:
        return
    received_at = json.loads(body)["data"].get("received_at")
    if received_at is None:
        return  # a message about a dossier the department already has, not the dossier itself
    received = datetime.fromisoformat(received_at)
    RECEPTION_TO_DEPARTMENT.observe(max(0.0, time.time() - received.timestamp()))
