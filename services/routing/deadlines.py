"""The clock watch run by routing's timer: dossiers due within one working day are flagged to
their department once, dossiers past their due date become overdue once. Both are single
UPDATE ... WHERE <flag> IS NULL RETURNING statements over rows taken with FOR UPDATE SKIP
LOCKED, so two routing instances ticking together never flag one dossier twice."""
from services.common.contracts import DossierOverdue

from .actions import ROUTING
from .lifecycle import local_day, publish, record, to_department

# A paused dossier (supplement requested) is not watched: its clock is stopped.
WATCHED = ("assigned", "processing", "resubmitted", "consulting")
BATCH = 500


def watch(cur, calendar, now, correlation_id):
    """Flags due-soon and overdue dossiers as of `now`; returns (due_soon, overdue) codes."""
    today = local_day(now)
    overdue = _flag(cur, "overdue_at", "due_date < %(today)s", now, today)
    for dossier in overdue:
        record(cur, dossier, "overdue", ROUTING, now,
               f"quá hạn giải quyết (hẹn trả {dossier['due_date']:%d/%m/%Y})")
        data = {"code": dossier["code"], "department": dossier["department"],
                "due_date": dossier["due_date"], "detected_at": now}
        publish(cur, "dossier.overdue", DossierOverdue, data, correlation_id, dossier["code"])
        to_department(cur, dossier["department"], "overdue", {
            "code": dossier["code"], "department": dossier["department"],
            "due_date": dossier["due_date"].isoformat(), "detected_at": now.isoformat(),
            "asked": "issue an apology letter (Mẫu 04) with a new appointment date",
        }, correlation_id, dossier["code"])
    due_soon = _flag(cur, "due_soon_at", "due_date BETWEEN %(today)s AND %(horizon)s", now,
                     today, horizon=calendar.next_working_day(today))
    for dossier in due_soon:
        to_department(cur, dossier["department"], "due_soon", {
            "code": dossier["code"], "department": dossier["department"],
            "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
            "status": dossier["status"], "due_date": dossier["due_date"].isoformat(),
        }, correlation_id, dossier["code"])
    return [d["code"] for d in due_soon], [d["code"] for d in overdue]


def _flag(cur, flag, due_condition, now, today, horizon=None):
    cur.execute(
        f"""UPDATE routing.dossiers SET {flag} = %(now)s
            WHERE code IN (SELECT code FROM routing.dossiers
                           WHERE {flag} IS NULL AND status = ANY(%(watched)s)
                             AND {due_condition}
                           ORDER BY due_date LIMIT %(batch)s FOR UPDATE SKIP LOCKED)
              AND {flag} IS NULL
            RETURNING code, department, status, due_date, procedure_code, procedure_name""",
        {"now": now, "today": today, "horizon": horizon, "watched": list(WATCHED),
         "batch": BATCH},
    )
    return cur.fetchall()
