"""Work inside the lead agency: a leader (lãnh đạo), or the officer who receives the agency's
dossiers, assigns a dossier to an officer (chuyên viên), who examines it and proposes the
result; a leader approves it (the result is ready, as `complete` makes it) or sends it back
to the officer with a reason; a dossier moves between processing units (phòng chuyên môn).
Every hand-over is kept with who gave, who took, when, why, and whether the step it ends kept
its deadline (the officer's own, else the dossier's legal due date): the rows of the control
slip (Mẫu 06), also sent to the department's queue as `dossier.handed_over`.

While an officer holds a dossier, the department's officer actions on it are theirs, and its
result goes through a leader. An agency that never assigns (a department's own system, say)
keeps the direct flow: accept, then complete. The applicant sees none of this: a dossier
awaiting approval is `processing` to them, and their history leaves these steps out."""
from services.common.errors import Conflict, Invalid, NotAllowed, NotFound
from services.common.events import to_department

from . import actions, store
from .lifecycle import (
    ACTION_LABELS,
    ACTIVE,
    LEAD,
    LEADER,
    SOURCE,
    STATUS_LABELS,
    TRANSITIONS,
    check,
    local_day,
    relation_of,
    transition,
)
from .schemas import DossierHandedOverMessage

# What the applicant's history leaves out (an approval shows as the result, like `complete`).
INTERNAL_ACTIONS = ("assign_officer", "propose", "send_back")
GIVER_ROLES = {LEAD: "officer", LEADER: "leader"}
TIMING_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
# Where a leader is asked to act: dossiers to assign, and proposals to decide.
LEADER_STATUSES = tuple(sorted({t.from_status for t in TRANSITIONS
                                if t.action in ("assign_officer", "approve")}))


def check_holder(actor, dossier):
    """While an officer holds an open dossier, its lead-officer actions are that officer's."""
    holder = dossier["officer"]
    if (actor.relation == LEAD and holder and holder != actor.id
            and dossier["status"] in ACTIVE):
        raise NotAllowed(f"Hồ sơ {dossier['code']} đang được giao cho chuyên viên {holder}: "
                         "chỉ chuyên viên này xử lý, hoặc lãnh đạo giao cho người khác.")


def assign_officer(ctx, dossier, actor, body):
    check(dossier, "assign_officer", actor)
    officer, due = body["officer"], body["due_date"]
    if officer == dossier["officer"]:
        raise Conflict(f"Hồ sơ đã được giao cho chuyên viên {officer}.", "already_assigned")
    if due is not None and not local_day(ctx.now) <= due <= dossier["due_date"]:
        raise Invalid("Hạn của chuyên viên phải từ hôm nay đến hạn giải quyết của hồ sơ "
                      f"({dossier['due_date']:%d/%m/%Y}).", "due_date")
    transition(ctx.cur, dossier, "assign_officer", actor, ctx.now, ctx.correlation_id,
               f"giao chuyên viên {officer}" + (f": {body['note']}" if body["note"] else ""))
    hand_over(ctx, dossier, actor, "assign_officer", (officer, "officer",
                                                      dossier["processing_unit"]), body["note"])
    _hold(ctx, dossier, officer, due)


def transfer(ctx, dossier, actor, body):
    """To another processing unit: to its officer named here, else to the unit, whose leader
    then assigns it."""
    check(dossier, "transfer", actor)
    unit, officer = body["processing_unit"], body["officer"]
    transition(ctx.cur, dossier, "transfer", actor, ctx.now, ctx.correlation_id,
               f"chuyển phòng chuyên môn {unit}"
               + (f": {body['reason']}" if body["reason"] else ""))
    hand_over(ctx, dossier, actor, "transfer",
              (officer, "officer" if officer else "unit", unit), body["reason"])
    store.update_dossier(ctx.cur, dossier["code"], processing_unit=unit)
    _hold(ctx, dossier, officer, None)


def propose(ctx, dossier, actor, body):
    """The officer holding the dossier puts the result to the agency's leaders."""
    check(dossier, "propose", actor)
    if dossier["officer"] is None:
        raise Conflict("Hồ sơ chưa được giao cho chuyên viên nào: lãnh đạo (hoặc người tiếp "
                       "nhận) giao hồ sơ trước khi trình kết quả.", "no_officer_assigned")
    store.add_proposal(ctx.cur, dossier["code"], body["result_reference"], body["note"],
                       ctx.now, actor.id)
    transition(ctx.cur, dossier, "propose", actor, ctx.now, ctx.correlation_id,
               f"trình kết quả số {body['result_reference']}"
               + (f": {body['note']}" if body["note"] else ""))
    hand_over(ctx, dossier, actor, "propose", (None, "leader", None), body["note"])


def approve(ctx, dossier, actor, body):
    """The leader approves the proposed result: it is ready, as `complete` makes it, and goes
    to the one-stop unit to be returned."""
    check(dossier, "approve", actor)
    proposal = store.open_proposal(ctx.cur, dossier["code"])
    store.decide_proposal(ctx.cur, proposal["id"], "approved", ctx.now, actor.id, body["note"])
    actions.complete(ctx, dossier, actor, {"result_reference": proposal["result_reference"]},
                     action="approve")
    hand_over(ctx, dossier, actor, "approve", (None, "one_stop_unit", None), body["note"])


def send_back(ctx, dossier, actor, body):
    """The leader returns the proposal to the officer who made it, saying why."""
    check(dossier, "send_back", actor)
    proposal = store.open_proposal(ctx.cur, dossier["code"])
    store.decide_proposal(ctx.cur, proposal["id"], "sent_back", ctx.now, actor.id,
                          body["reason"])
    transition(ctx.cur, dossier, "send_back", actor, ctx.now, ctx.correlation_id,
               body["reason"])
    hand_over(ctx, dossier, actor, "send_back",
              (dossier["officer"], "officer", dossier["processing_unit"]), body["reason"])


def complete(ctx, dossier, actor, body):
    """The direct result, for an agency that does not assign its dossiers."""
    check(dossier, "complete", actor)
    if dossier["officer"] is not None:
        raise Conflict(f"Hồ sơ đã giao chuyên viên {dossier['officer']}: kết quả phải được "
                       "trình (propose) và lãnh đạo duyệt (approve).", "approval_required")
    actions.complete(ctx, dossier, actor, body)
    hand_over(ctx, dossier, actor, "complete", (None, "one_stop_unit", None), None)


def _hold(ctx, dossier, officer, due):
    store.update_dossier(ctx.cur, dossier["code"], officer=officer, officer_due_date=due,
                         officer_since=ctx.now if officer else None)
    dossier.update(officer=officer, officer_due_date=due)


def hand_over(ctx, dossier, giver, step, taker, reason):
    """Keeps the hand-over (`taker`: id or None, role, unit) and tells the department. The
    step the giver ends is judged against the holder's own deadline when the holder gives,
    else against the dossier's legal due date."""
    taker_id, taker_role, taker_unit = taker
    own = dossier["officer_due_date"] if giver.id == dossier["officer"] else None
    due = own or dossier["legal_due_date"]
    handover = {"code": dossier["code"], "at": ctx.now, "step": step, "giver": giver.id,
                "giver_role": GIVER_ROLES[giver.relation], "giver_unit": dossier["processing_unit"],
                "taker": taker_id, "taker_role": taker_role, "taker_unit": taker_unit,
                "reason": reason, "due_date": due, "timing": timing(local_day(ctx.now), due)}
    store.add_handover(ctx.cur, handover)
    to_department(ctx.cur, SOURCE, dossier["department"], "dossier.handed_over",
                  DossierHandedOverMessage, {**_sides(handover), "code": dossier["code"],
                                             "department": dossier["department"],
                                             "status": dossier["status"]},
                  ctx.correlation_id, dossier["code"])


def timing(day, due):
    return "early" if day < due else "on_time" if day == due else "late"


def _sides(row):
    return {"step": row["step"], "at": row["at"],
            "giver": {"id": row["giver"], "role": row["giver_role"], "unit": row["giver_unit"]},
            "taker": {"id": row["taker"], "role": row["taker_role"], "unit": row["taker_unit"]},
            "reason": row["reason"], "due_date": row["due_date"], "timing": row["timing"]}


ACTIONS = {
    **actions.ACTIONS,
    "transfer": transfer,
    "complete": complete,
    "assign_officer": assign_officer,
    "propose": propose,
    "approve": approve,
    "send_back": send_back,
}


# what the agency's staff read ----------------------------------------------------------------
def handovers_view(cur, code, caller):
    """The dossier's hand-overs, for its departments' staff and managers."""
    dossier = store.get_dossier(cur, code)
    if dossier is None:
        raise NotFound(f"Không có hồ sơ {code}.")
    if caller.role != "manager" and relation_of(caller, dossier) is None:
        raise NotAllowed(f"Cơ quan {caller.department} không tham gia giải quyết hồ sơ {code}.")
    return {"code": code, "department": dossier["department"], "handovers": [
        {**_sides(row), "step_label": ACTION_LABELS[row["step"]],
         "timing_label": TIMING_LABELS[row["timing"]]}
        for row in store.handovers(cur, code)]}


def worklist(cur, calendar, caller, today, limit):
    """An officer's open dossiers, or those waiting for a leader; nearest due date first."""
    if caller.role == "leader":
        rows = store.leader_worklist(cur, caller.department, LEADER_STATUSES, limit)
    else:
        rows = store.officer_worklist(cur, caller.department, caller.subject, ACTIVE, limit)
    return {"department": caller.department, "role": caller.role,
            "dossiers": [_work_item(calendar, today, row) for row in rows]}


def _work_item(calendar, today, row):
    status = row["status"]
    return {
        "code": row["code"],
        "procedure": {"code": row["procedure_code"], "name": row["procedure_name"]},
        "status": status, "status_label": STATUS_LABELS[status],
        "processing_unit": row["processing_unit"], "officer": row["officer"],
        "officer_due_date": row["officer_due_date"], "received_at": row["received_at"],
        "due_date": row["due_date"],
        "days_left": None if row["awaiting_supplement_since"] else days_left(calendar, today,
                                                                row["due_date"]),
        "overdue": row["overdue_at"] is not None,
        "proposal": ({key: row[key] for key in ("result_reference", "note", "proposed_at",
                                                 "proposed_by")}
                     if status == "awaiting_approval" else None),
        "sent_back": ({"reason": row["reason"], "at": row["decided_at"], "by": row["decided_by"]}
                      if row["decision"] == "sent_back" else None),
    }


def days_left(calendar, today, due):
    """Working days from today to the due date; negative once it has passed."""
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)
