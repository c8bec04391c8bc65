"""The deadline watch run by routing's timer, by Decree 118/2025 art. 19: dossiers near their
due date are flagged to their department once, while the one extension can still be asked;
dossiers past it become overdue once; a supplement not handed in by its last day closes the
dossier; a consultation unanswered past its reply date is reported. Each step takes its rows
with FOR UPDATE SKIP LOCKED, so two routing instances ticking together never act on one
dossier twice."""
import logging
import uuid

from services.common.contracts import DossierOverdue
from services.common.events import publish, to_department

from . import actions, periods, store
from .actions import ROUTING
from .lifecycle import RUNNING, SOURCE, local_day, record
from .schemas import DossierDueSoonMessage, DossierOverdueMessage

log = logging.getLogger("motcua.routing")

OVERDUE_ASKED = "decide the dossier without delay: past the due date it counts as late"


def watch(cur, calendar, now, settings):
    """Flags, closes and reports as of `now`; returns how many of each."""
    correlation_id = f"deadline-watch-{uuid.uuid4()}"
    today = local_day(now)
    overdue = store.flag_due(cur, "overdue_at", now, RUNNING, today)
    for dossier in overdue:
        announce_overdue(cur, dossier, now, correlation_id)
    # warned while the last day to ask for an extension is today or the next working day
    horizon = calendar.add_working_days(today, settings.extension_notice_working_days + 1)
    due_soon = store.flag_due(cur, "due_soon_at", now, RUNNING, today, horizon=horizon)
    for dossier in due_soon:
        announce_due_soon(cur, calendar, dossier, today, settings, correlation_id)
    closed = store.dossiers_to_close(cur, today)
    for dossier in closed:
        actions.close(cur, dossier, now, correlation_id)
    late = store.flag_unanswered_consultations(cur, now, today)
    for consultation in late:
        dossier = {"code": consultation["dossier_code"], "status": consultation["status"],
                   "department": consultation["lead_department"]}
        actions.consultation_late(cur, dossier, consultation, now, correlation_id)
    counts = {"due_soon": len(due_soon), "overdue": len(overdue), "closed": len(closed),
              "late_consultations": len(late)}
    if any(counts.values()):
        log.info("deadline watch", extra=counts)
    return counts


def announce_due_soon(cur, calendar, dossier, today, settings, correlation_id):
    """The department's warning, with the last day it may still ask for an extension."""
    last_day = periods.last_day_for_extension(calendar, dossier["due_date"], settings)
    extendable = dossier["due_date"] == dossier["legal_due_date"] and last_day >= today
    to_department(cur, SOURCE, dossier["department"], "dossier.due_soon", DossierDueSoonMessage, {
        "code": dossier["code"], "department": dossier["department"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "status": dossier["status"], "due_date": dossier["due_date"],
        "extension_deadline": last_day if extendable else None,
    }, correlation_id, dossier["code"])


def announce_overdue(cur, dossier, now, correlation_id):
    """The history line, dossier.overdue, and the department told that it is late."""
    record(cur, dossier, "overdue", ROUTING, now,
           f"quá hạn giải quyết (hẹn trả {dossier['due_date']:%d/%m/%Y})")
    data = {"code": dossier["code"], "department": dossier["department"],
            "due_date": dossier["due_date"], "detected_at": now}
    publish(cur, SOURCE, "dossier.overdue", DossierOverdue, data, correlation_id,
            dossier["code"])
    to_department(cur, SOURCE, dossier["department"], "dossier.overdue", DossierOverdueMessage,
                  {**data, "asked": OVERDUE_ASKED}, correlation_id, dossier["code"])
