"""The clock watch run by routing's timer: dossiers due within one working day are flagged to
their department once, dossiers past their due date become overdue once (store.flag_due:
two routing instances ticking together never flag one dossier twice)."""
import logging
import uuid

from services.common.contracts import DossierOverdue
from services.common.events import publish, to_department

from . import store
from .actions import ROUTING
from .lifecycle import SOURCE, WATCHED, local_day, record
from .schemas import DossierDueSoonMessage, DossierOverdueMessage

log = logging.getLogger("motcua.routing")


def watch(cur, calendar, now):
    """Flags due-soon and overdue dossiers as of `now`; returns (due_soon, overdue) codes."""
    correlation_id = f"deadline-watch-{uuid.uuid4()}"
    today = local_day(now)
    overdue = store.flag_due(cur, "overdue_at", now, WATCHED, today)
    for dossier in overdue:
        announce_overdue(cur, dossier, now, correlation_id)
    due_soon = store.flag_due(cur, "due_soon_at", now, WATCHED, today,
                              horizon=calendar.next_working_day(today))
    for dossier in due_soon:
        to_department(cur, SOURCE, dossier["department"], "dossier.due_soon",
                      DossierDueSoonMessage, {
                          "code": dossier["code"], "department": dossier["department"],
                          "procedure": {"code": dossier["procedure_code"],
                                        "name": dossier["procedure_name"]},
                          "status": dossier["status"], "due_date": dossier["due_date"],
                      }, correlation_id, dossier["code"])
    if due_soon or overdue:
        log.info("deadline watch", extra={"due_soon": len(due_soon), "overdue": len(overdue)})
    return [d["code"] for d in due_soon], [d["code"] for d in overdue]


def announce_overdue(cur, dossier, now, correlation_id):
    """The history line, dossier.overdue, and the department's request for an apology."""
    record(cur, dossier, "overdue", ROUTING, now,
           f"quá hạn giải quyết (hẹn trả {dossier['due_date']:%d/%m/%Y})")
    data = {"code": dossier["code"], "department": dossier["department"],
            "due_date": dossier["due_date"], "detected_at": now}
    publish(cur, SOURCE, "dossier.overdue", DossierOverdue, data, correlation_id,
            dossier["code"])
    to_department(cur, SOURCE, dossier["department"], "dossier.overdue", DossierOverdueMessage,
                  {**data, "asked": "issue an apology letter (Mẫu 04) with a new appointment "
                                    "date"}, correlation_id, dossier["code"])
