"""What each action does beyond the status change, by Decree 118/2025 art. 19 and 21: the
supplement asked once in time and the period restarted with the complete dossier,
consultations on the cooperating departments' queues (a late answer reported), the result and
where it goes, refusals, the applicant's stop, returns, the one extension. Each function runs
inside the caller's transaction on a dossier row the caller has locked, and answers what the
HTTP caller sees."""
from services.common.contracts import (
    ConsultationLate,
    DossierClosed,
    DossierExtended,
    DossierRefused,
    DossierReturned,
    DossierWithdrawn,
    ResultReady,
    SupplementRequested,
)
from services.common.errors import Conflict, Invalid
from services.common.events import publish, to_department

from . import periods, results, store
from .lifecycle import (
    SOURCE,
    SYSTEM,
    Actor,
    InvalidTransition,
    check,
    local_day,
    record,
    transition,
)
from .schemas import (
    ConsultationAnsweredMessage,
    ConsultationLateMessage,
    ConsultationRequestedMessage,
    DossierClosedMessage,
    DossierResubmittedMessage,
    DossierWithdrawnMessage,
)

ROUTING = Actor("routing", SYSTEM)


def accept(ctx, dossier, actor, body):
    if body.get("processing_unit"):
        store.update_dossier(ctx.cur, dossier["code"], processing_unit=body["processing_unit"])
    transition(ctx.cur, dossier, "accept", actor, ctx.now, ctx.correlation_id,
               _with_unit("nhận giải quyết", body.get("processing_unit")))


def _with_unit(verb, unit):
    return f"{verb} phòng chuyên môn {unit}" if unit else verb


def request_supplement(ctx, dossier, actor, body):
    """Mẫu 02, asked once for everything missing, by the last day the law allows (art.
    19(5)); the applicant has until `complete_by` to hand in the complete dossier."""
    check(dossier, "request_supplement", actor)
    if store.count_supplements(ctx.cur, dossier["code"]):
        raise Conflict("Hồ sơ này đã được yêu cầu bổ sung: cơ quan giải quyết chỉ yêu cầu một "
                       "lần, nêu đủ mọi thứ còn thiếu.", "supplement_already_requested")
    last_day = periods.last_day_for_supplement(ctx.calendar, dossier, ctx.settings)
    if local_day(ctx.now) > last_day:
        raise Conflict(
            "Cơ quan giải quyết chỉ được yêu cầu bổ sung, hoàn thiện hồ sơ trong "
            f"{ctx.settings.supplement_request_working_days} ngày làm việc kể từ ngày tiếp nhận "
            f"(Nghị định 118/2025/NĐ-CP, điều 19 khoản 5): hạn cuối là ngày {last_day:%d/%m/%Y}.",
            "supplement_too_late")
    complete_by = periods.completion_deadline(ctx.calendar, ctx.now, ctx.settings)
    store.add_supplement(ctx.cur, dossier["code"], body["documents"], body["reason"], ctx.now,
                         actor.id, complete_by)
    store.update_dossier(ctx.cur, dossier["code"], awaiting_supplement_since=ctx.now)
    transition(ctx.cur, dossier, "request_supplement", actor, ctx.now, ctx.correlation_id,
               f"{body['reason']}; hạn nộp bổ sung đến hết ngày {complete_by:%d/%m/%Y}")
    publish(ctx.cur, SOURCE, "dossier.supplement_requested", SupplementRequested, {
        "code": dossier["code"], "department": dossier["department"],
        "procedure_name": dossier["procedure_name"], "documents": body["documents"],
        "reason": body["reason"], "requested_at": ctx.now, "complete_by": complete_by,
    }, ctx.correlation_id, dossier["code"])


def resubmit(ctx, dossier, actor, body):
    """The complete dossier is back: the period restarts from zero, the procedure's full
    time counted from now as from a reception (art. 19(5)); the appointment and the legal
    due date are that new date, watched afresh."""
    check(dossier, "resubmit", actor)
    supplement = store.open_supplement(ctx.cur, dossier["code"])
    due = periods.restarted_due_date(ctx.calendar, dossier, ctx.now)
    store.close_supplement(ctx.cur, supplement["id"], ctx.now, actor.id)
    store.update_dossier(ctx.cur, dossier["code"], awaiting_supplement_since=None,
                         due_date=due, legal_due_date=due,
                         due_soon_at=None, overdue_at=None)
    dossier["due_date"] = due
    note = (f"thời hạn giải quyết tính lại từ đầu; hẹn trả mới {due:%d/%m/%Y}"
            + (f"; {body['note']}" if body.get("note") else ""))
    transition(ctx.cur, dossier, "resubmit", actor, ctx.now, ctx.correlation_id, note)
    to_department(ctx.cur, SOURCE, dossier["department"], "dossier.resubmitted",
                  DossierResubmittedMessage, {
        "code": dossier["code"], "department": dossier["department"],
        "resubmitted_at": ctx.now.isoformat(), "due_date": due.isoformat(),
        "note": body.get("note"),
    }, ctx.correlation_id, dossier["code"])


def close(cur, dossier, at, correlation_id):
    """The deadline watch: the supplement was not handed in by its last day, so the
    one-stop unit closes the dossier (art. 19(5)). `dossier` carries its supplement's
    notice and last day (store.dossiers_to_close)."""
    complete_by = dossier["complete_by"]
    store.update_dossier(cur, dossier["code"], awaiting_supplement_since=None)
    transition(cur, dossier, "close", ROUTING, at, correlation_id,
               f"không nộp bổ sung đến hết ngày {complete_by:%d/%m/%Y}")
    data = {"code": dossier["code"], "department": dossier["department"],
            "procedure_name": dossier["procedure_name"],
            "supplement_requested_at": dossier["supplement_requested_at"],
            "complete_by": complete_by, "closed_at": at}
    publish(cur, SOURCE, "dossier.closed", DossierClosed, data, correlation_id,
            dossier["code"])
    to_department(cur, SOURCE, dossier["department"], "dossier.closed", DossierClosedMessage,
                  data, correlation_id, dossier["code"])


def consult(ctx, dossier, actor, body):
    """Ask cooperating departments (liên thông), each on its own queue, with a reply date
    inside the procedure's time."""
    check(dossier, "consult", actor)
    departments = body.get("departments") or list(dossier["cooperating"])
    strangers = sorted(set(departments) - set(dossier["cooperating"]))
    if not departments or strangers:
        raise Invalid("Chỉ lấy ý kiến các cơ quan phối hợp của thủ tục: "
                      f"{', '.join(dossier['cooperating']) or 'thủ tục này không có'}"
                      + (f" (không phải cơ quan phối hợp: {', '.join(strangers)})"
                         if strangers else "") + ".",
                      "departments")
    reply_due = body.get("reply_due_date") or min(
        ctx.calendar.add_working_days(local_day(ctx.now), ctx.settings.consultation_days),
        dossier["due_date"])
    if reply_due > dossier["due_date"] or reply_due < local_day(ctx.now):
        raise Invalid("Hạn trả lời phải từ hôm nay đến hạn giải quyết của hồ sơ "
                      f"({dossier['due_date']:%d/%m/%Y}).", "reply_due_date")
    for department in departments:
        request_id = store.add_consultation(ctx.cur, dossier["code"], department,
                                            body["question"], reply_due, ctx.now, actor.id)
        to_department(ctx.cur, SOURCE, department, "dossier.consultation_requested",
                      ConsultationRequestedMessage, {
            "code": dossier["code"], "consultation_id": request_id,
            "lead_department": dossier["department"], "department": department,
            "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
            "question": body["question"], "reply_due_date": reply_due.isoformat(),
            "requested_at": ctx.now.isoformat(),
        }, ctx.correlation_id, dossier["code"])
    transition(ctx.cur, dossier, "consult", actor, ctx.now, ctx.correlation_id,
               f"lấy ý kiến {', '.join(departments)}, hạn trả lời {reply_due:%d/%m/%Y}")


def reply_consultation(ctx, dossier, actor, body):
    """A cooperating department's written answer; the last answer resumes processing."""
    check(dossier, "reply_consultation", actor)
    answered = store.answer_consultation(ctx.cur, dossier["code"], actor.department,
                                         body["opinion"], body["agrees"], ctx.now, actor.id)
    if answered is None:
        raise Conflict(f"Cơ quan {actor.department} không có yêu cầu lấy ý kiến nào đang mở "
                       "về hồ sơ này.", "no_open_consultation")
    if answered["late_at"] is None and local_day(ctx.now) > answered["reply_due_date"]:
        store.flag_consultation_late(ctx.cur, answered["id"], ctx.now)
        consultation_late(ctx.cur, dossier, answered, ctx.now, ctx.correlation_id)
    still_open = store.open_consultations(ctx.cur, dossier["code"])
    verdict = "đồng ý" if body["agrees"] else "không đồng ý"
    transition(ctx.cur, dossier, "reply_consultation", actor, ctx.now, ctx.correlation_id,
               f"{actor.department} {verdict}: {body['opinion']}",
               to_status="consulting" if still_open else None)
    to_department(ctx.cur, SOURCE, dossier["department"], "dossier.consultation_answered",
                  ConsultationAnsweredMessage, {
        "code": dossier["code"], "consultation_id": answered["id"],
        "department": actor.department, "agrees": body["agrees"], "opinion": body["opinion"],
        "answered_at": ctx.now.isoformat(), "open_consultations": still_open,
    }, ctx.correlation_id, dossier["code"])


def refuse(ctx, dossier, actor, body):
    transition(ctx.cur, dossier, "refuse", actor, ctx.now, ctx.correlation_id, body["reason"])
    publish(ctx.cur, SOURCE, "dossier.refused", DossierRefused, {
        "code": dossier["code"], "department": dossier["department"],
        "reason": body["reason"], "refused_at": ctx.now,
    }, ctx.correlation_id, dossier["code"])


def consultation_late(cur, dossier, consultation, at, correlation_id):
    """A cooperating department's answer is late (art. 19(4)(c)): a line of history, the
    event for the one-stop unit's head, and the lead department told on its queue."""
    department, due = consultation["department"], consultation["reply_due_date"]
    replied = consultation["replied_at"]
    record(cur, dossier, "consultation_late", ROUTING, at,
           f"{department} {'trả lời' if replied else 'chưa trả lời'} ý kiến, hạn trả lời "
           f"{due:%d/%m/%Y}")
    data = {"code": dossier["code"], "department": dossier["department"],
            "consulted_department": department, "consultation_id": consultation["id"],
            "reply_due_date": due, "replied_at": replied, "detected_at": at}
    publish(cur, SOURCE, "dossier.consultation_late", ConsultationLate, data, correlation_id,
            dossier["code"])
    to_department(cur, SOURCE, dossier["department"], "dossier.consultation_late",
                  ConsultationLateMessage, data, correlation_id, dossier["code"])


def withdraw(ctx, dossier, actor, body):
    """The applicant asks to stop, at any time before the result (art. 21): processing
    stops, the stop notice (Mẫu 05) is issued to the applicant, the lead department told."""
    reason = body.get("reason") or "người nộp hồ sơ đề nghị dừng giải quyết"
    transition(ctx.cur, dossier, "withdraw", actor, ctx.now, ctx.correlation_id, reason)
    data = {"code": dossier["code"], "department": dossier["department"],
            "procedure_name": dossier["procedure_name"], "reason": reason,
            "withdrawn_at": ctx.now}
    publish(ctx.cur, SOURCE, "dossier.withdrawn", DossierWithdrawn, data, ctx.correlation_id,
            dossier["code"])
    to_department(ctx.cur, SOURCE, dossier["department"], "dossier.withdrawn",
                  DossierWithdrawnMessage, data, ctx.correlation_id, dossier["code"])


def complete(ctx, dossier, actor, body, action="complete"):
    """The result is ready (`action`: complete, or a leader's approve of a proposal)."""
    check(dossier, action, actor)
    document_id = body.get("result_document_id")
    if document_id:
        results.check(ctx.docstore, document_id, dossier)
    store.update_dossier(ctx.cur, dossier["code"], result_reference=body["result_reference"],
                         result_document_id=document_id)
    dossier.update(result_reference=body["result_reference"], result_document_id=document_id)
    transition(ctx.cur, dossier, action, actor, ctx.now, ctx.correlation_id,
               f"kết quả số {body['result_reference']}")
    dossier["resolved_at"] = ctx.now
    publish_result_ready(ctx.cur, dossier, ctx.correlation_id)
    started = store.period_started_at(ctx.cur, dossier["code"])
    ctx.completed.append((dossier["department"],
                          processing_working_days(ctx.calendar, started, dossier["resolved_at"])))


def releasable(dossier):
    """A result is held while fees are unpaid if the procedure says so."""
    procedure = dossier["procedure"] or {}
    owes = procedure.get("fee", 0) + procedure.get("charge", 0) > 0
    held = procedure.get("hold_result_until_paid", False) and owes
    return not held or dossier["fees_paid_at"] is not None


def publish_result_ready(cur, dossier, correlation_id):
    by_post = dossier["result_delivery"] == "post"
    publish(cur, SOURCE, "dossier.result_ready", ResultReady, {
        "code": dossier["code"], "department": dossier["department"],
        "procedure_name": dossier["procedure_name"],
        "result_reference": dossier["result_reference"], "ready_at": dossier["resolved_at"],
        "delivery": {"method": dossier["result_delivery"],
                     "recipient_name": dossier["recipient_name"] if by_post else None,
                     "phone": dossier["recipient_phone"] if by_post else None,
                     "address": dossier["delivery_address"] if by_post else None},
        "releasable": releasable(dossier),
        "result_document_id": dossier["result_document_id"],
    }, correlation_id, dossier["code"])


def return_result(ctx, dossier, actor, body):
    """At the counter, or handed to the post office for delivery."""
    check(dossier, "return", actor)
    method = body["method"]
    if not releasable(dossier):  # neither at the counter nor to the post office
        raise Conflict("Kết quả chỉ được trả khi đã nộp đủ phí, lệ phí.", "fees_unpaid")
    note = "trả tại Trung tâm" if method == "counter" else "giao bưu điện chuyển phát"
    returned(ctx.cur, dossier, actor, ctx.now, method, note, ctx.correlation_id)
    if method == "counter":
        store.add_result_handover(ctx.cur, result_handover(dossier, actor, ctx.now,
                                                           body["receiver"]))


def result_handover(dossier, actor, at, receiver):
    """The hand-over slip's record: the receiver given, or else the applicant; the identity
    paper's number masked."""
    receiver = receiver or {"full_name": dossier["applicant_name"], "relation": "applicant",
                            "id_type": None, "id_number": None}
    number = receiver["id_number"]
    return {"dossier_code": dossier["code"], "handed_at": at, "handed_by": actor.id,
            "receiver_name": receiver["full_name"], "relation": receiver["relation"],
            "id_type": receiver["id_type"],
            "id_number": "*" * (len(number) - 3) + number[-3:] if number else None}


def returned(cur, dossier, actor, at, method, note, correlation_id):
    store.update_dossier(cur, dossier["code"], return_method=method)
    transition(cur, dossier, "return", actor, at, correlation_id, note)
    publish(cur, SOURCE, "dossier.returned", DossierReturned, {
        "code": dossier["code"], "department": dossier["department"], "method": method,
        "returned_at": at,
    }, correlation_id, dossier["code"])


# What dossier.extended tells of Mẫu 04 (who signed it stays in routing).
EXTENSION_ANNOUNCED = ("letter_number", "code", "department", "reason", "previous_due_date",
                       "new_due_date", "issued_at")


def request_extension(ctx, dossier, actor, body):
    """Mẫu 04 (art. 19(6)): the department at fault notifies the one-stop unit in writing,
    at the latest on the last day the law allows before the due date and only once, with the
    reason and the new date; the one-stop unit moves the appointment and the applicant is
    told (dossier.extended). Statistics keep comparing with the legal due date, which does
    not move: a result after it is late."""
    check(dossier, "request_extension", actor)
    if store.extension_of(ctx.cur, dossier["code"]):
        raise Conflict("Hồ sơ này đã được gia hạn: thời gian giải quyết chỉ được gia hạn một "
                       "lần (Nghị định 118/2025/NĐ-CP, điều 19 khoản 6).",
                       "extension_already_granted")
    last_day = periods.last_day_for_extension(ctx.calendar, dossier["due_date"], ctx.settings)
    if local_day(ctx.now) > last_day:
        raise Conflict(
            "Đề nghị gia hạn phải gửi Bộ phận Một cửa chậm nhất ngày "
            f"{last_day:%d/%m/%Y}, trước hạn giải quyết {dossier['due_date']:%d/%m/%Y} "
            "(Nghị định 118/2025/NĐ-CP, điều 19 khoản 6); quá thời điểm đó không gia hạn được.",
            "extension_too_late")
    new_due = body["new_due_date"]
    if new_due <= dossier["due_date"]:
        raise Invalid("Ngày hẹn mới phải sau hạn giải quyết hiện tại "
                      f"({dossier['due_date']:%d/%m/%Y}).", "new_due_date")
    if not ctx.calendar.is_working_day(new_due):
        raise Invalid(f"Ngày {new_due:%d/%m/%Y} không phải ngày làm việc.", "new_due_date")
    letter = {
        "letter_number": store.next_letter_number(ctx.cur, dossier["department"],
                                                  local_day(ctx.now).year),
        "code": dossier["code"], "department": dossier["department"],
        "reason": body["reason"], "previous_due_date": dossier["due_date"],
        "new_due_date": new_due, "issued_at": ctx.now, "issued_by": actor.id,
    }
    store.add_extension(ctx.cur, letter)
    # the new date is watched afresh: due soon again before it (no second extension)
    store.update_dossier(ctx.cur, dossier["code"], due_date=new_due, due_soon_at=None)
    dossier["due_date"] = new_due
    transition(ctx.cur, dossier, "request_extension", actor, ctx.now, ctx.correlation_id,
               f"Mẫu 04 số {letter['letter_number']} gửi Bộ phận Một cửa: {body['reason']}; "
               f"hẹn trả mới {new_due:%d/%m/%Y}")
    publish(ctx.cur, SOURCE, "dossier.extended", DossierExtended, {
        **{key: letter[key] for key in EXTENSION_ANNOUNCED},
        "procedure_name": dossier["procedure_name"],
        "department_name": (dossier["procedure"] or {}).get("department_name"),
        "legal_due_date": dossier["legal_due_date"],
    }, ctx.correlation_id, dossier["code"])
    return letter


def fees_paid(cur, dossier, at, correlation_id):
    """payment.settled for the fees: a result held for them becomes releasable."""
    if dossier["fees_paid_at"] is not None:
        return
    store.update_dossier(cur, dossier["code"], fees_paid_at=at)
    was_held = not releasable(dossier)
    dossier["fees_paid_at"] = at
    record(cur, dossier, "fees_paid", ROUTING, at, "đã nộp phí, lệ phí")
    if was_held and dossier["status"] == "result_ready":
        publish_result_ready(cur, dossier, correlation_id)


def postal_delivered(cur, dossier, at, correlation_id):
    """postal.delivered: the result reached the applicant by post."""
    if dossier["status"] == "result_ready":
        returned(cur, dossier, ROUTING, at, "post", "bưu điện đã phát kết quả", correlation_id)
    elif dossier["status"] == "returned":
        record(cur, dossier, "postal_delivered", ROUTING, at, "bưu điện đã phát kết quả")
    else:
        raise InvalidTransition("return", dossier["status"])


def processing_working_days(calendar, started_at, resolved_at):
    """Working days of the period that ended with the result: from reception, or from the
    complete dossier's arrival when a supplement restarted it."""
    return calendar.working_days_between(calendar.reception_day(started_at),
                                         local_day(resolved_at))


ACTIONS = {
    "accept": accept,
    "request_supplement": request_supplement,
    "resubmit": resubmit,
    "consult": consult,
    "reply_consultation": reply_consultation,
    "refuse": refuse,
    "withdraw": withdraw,
    "complete": complete,
    "return": return_result,
    "request_extension": request_extension,
}
