"""Online dossiers before their formal reception (Decree 118/2025 art. 17(2)(c)).

The portal hands a dossier in; intake keeps it as a submission named by its id (it has no
code yet) and announces it (`dossier.awaiting_reception`). Within RECEPTION_WORKING_HOURS
office hours a counter officer of the competent agency either receives it, which numbers it,
issues its receipt and starts its period (reception.register: `dossier.received`, as at the
counter), or asks for corrections instead (`dossier.corrections_requested`). The watch
announces each one still waiting past its deadline, once (`dossier.reception_overdue`)."""
import uuid

from services.common import idempotency
from services.common.contracts import (
    DossierAwaitingReception,
    DossierCorrectionsRequested,
    DossierReceptionOverdue,
)
from services.common.errors import Conflict, NotFound
from services.common.events import publish

from . import store
from .reception import (
    SOURCE,
    check_against_procedure,
    competent_agency,
    documents_received,
    may_receive,
    officer_center,
    procedure_of,
    receiver_of,
    register,
    unit_of,
)

STATUS_LABELS = {"awaiting_reception": "chờ tiếp nhận", "received": "đã tiếp nhận",
                 "corrections_requested": "đã yêu cầu bổ sung, hoàn thiện"}
LIST_LIMIT = 500


def submit(cur, ctx, catalogue, caller, request, key):
    """An online dossier kept awaiting its formal reception: (its view, False); or the view
    given before to the same request with this Idempotency-Key: (view, True)."""
    procedure = procedure_of(cur, catalogue, request["procedure_code"])
    check_against_procedure(procedure, request, "online")
    held = None
    if key:
        held, earlier = idempotency.claim(cur, store.SCHEMA, caller.subject, key,
                                          idempotency.request_hash(request))
        if earlier:
            return earlier[1], True
    submission = {
        "id": uuid.uuid4(), "procedure_code": procedure["code"],
        "department": competent_agency(procedure, request), "submitted_at": ctx.at,
        "receive_by": ctx.calendar.add_office_hours(
            ctx.at, ctx.settings.reception_working_hours),
        "request": {**request, "documents": documents_received(procedure, request)},
        "submitted_by": caller.subject,
    }
    store.insert_submission(cur, submission)
    publish(cur, SOURCE, "dossier.awaiting_reception", DossierAwaitingReception, {
        "submission_id": submission["id"],
        "procedure": {"code": procedure["code"], "name": procedure["name"]},
        "department": submission["department"], "channel": "online",
        "submitted_at": ctx.at, "receive_by": submission["receive_by"],
    }, ctx.correlation_id)
    answer = view(store.get_submission(cur, submission["id"]))
    if held:
        idempotency.save(cur, held, 201, answer)
    return answer, False


def receive(cur, ctx, catalogue, docstore, caller, submission_id, key):
    """The officer's formal reception: the dossier numbered and stored, its receipt issued,
    its period running from now: (dossier, False); or, for a retry with the same
    Idempotency-Key, the dossier it stored: (dossier, True)."""
    held = None
    if key:
        held, earlier = idempotency.claim(cur, store.SCHEMA, caller.subject, key,
                                          idempotency.request_hash("reception", submission_id))
        if earlier:
            return store.get_dossier(cur, earlier[1]["code"]), True
    submission = awaiting(cur, caller, submission_id)
    procedure = procedure_of(cur, catalogue, submission["procedure_code"])
    if procedure is None:
        raise Conflict(f"Thủ tục {submission['procedure_code']} không còn trong danh mục: hãy "
                       "yêu cầu bổ sung, hoàn thiện hồ sơ.", "procedure_withdrawn")
    receiver = receiver_of(caller)
    center = officer_center(cur, catalogue, caller)
    dossier = register(cur, ctx, catalogue, docstore, submission["request"], procedure, "online",
                       unit_of(center), receiver, submission_id=submission["id"],
                       center=center)
    store.mark_received(cur, submission["id"], dossier["code"], ctx.at, caller.subject)
    if held:
        idempotency.save(cur, held, 201, {"code": dossier["code"]})
    return dossier, False


def ask_for_corrections(cur, ctx, caller, submission_id, body):
    """Instead of receiving it: everything the dossier lacks, asked once and in writing
    (Mẫu 02); the submission ends there."""
    submission = awaiting(cur, caller, submission_id)
    store.mark_corrections_requested(cur, submission["id"], body, ctx.at, caller.subject)
    publish(cur, SOURCE, "dossier.corrections_requested", DossierCorrectionsRequested, {
        "submission_id": submission["id"],
        "procedure": {"code": submission["procedure_code"],
                      "name": submission["procedure_name"]},
        "department": submission["department"], "documents": body["documents"],
        "reason": body["reason"], "requested_at": ctx.at,
    }, ctx.correlation_id)
    return view(store.get_submission(cur, submission["id"]))


def awaiting(cur, caller, submission_id):
    """The submission, locked, while it awaits reception; NotFound when the caller may not
    see it, Conflict once it was decided."""
    submission = visible(cur, caller, submission_id, lock=True)
    if submission["status"] != "awaiting_reception":
        decided = submission["decided_at"]
        raise Conflict(f"Hồ sơ trực tuyến này {STATUS_LABELS[submission['status']]} lúc "
                       f"{decided:%H:%M ngày %d/%m/%Y}"
                       + (f" (mã hồ sơ {submission['dossier_code']})"
                          if submission["dossier_code"] else "") + ".", "already_decided")
    return submission


def visible(cur, caller, submission_id, lock=False):
    """The submission as the caller may see it: a counter officer stationed by an agency sees
    its agency's only (another's is as unknown to it as an id that does not exist), one of
    the center's staff any."""
    try:
        found = store.get_submission(cur, uuid.UUID(submission_id), lock)
    except ValueError:
        found = None
    if found is None or (caller.role == "counter_officer"
                         and not may_receive(caller, found["department"])):
        raise NotFound(f"Không có hồ sơ trực tuyến {submission_id} (hoặc bạn không được xem).")
    return found


def listing(cur, caller, query):
    """The submissions of a status, the nearest reception deadline first: those of the agency
    that stationed a counter officer; for others (the center's staff, a manager) of the
    department asked for (all without)."""
    stationed = caller.role == "counter_officer" and not caller.center_staff
    department = caller.department if stationed else query["department"]
    found = [view(row) for row in store.list_submissions(cur, query["status"], department,
                                                         LIST_LIMIT)]
    return {"submissions": found, "count": len(found)}


def watch(cur, now):
    """Announces each submission still awaiting reception past its deadline, once; returns
    how many."""
    correlation_id = f"reception-watch-{uuid.uuid4()}"
    overdue = store.flag_overdue_receptions(cur, now)
    for row in overdue:
        publish(cur, SOURCE, "dossier.reception_overdue", DossierReceptionOverdue, {
            "submission_id": row["id"], "department": row["department"],
            "submitted_at": row["submitted_at"], "receive_by": row["receive_by"],
            "detected_at": now,
        }, correlation_id)
    return len(overdue)


def view(row):
    """A submission as its API shows it."""
    request, code = row["request"], row["dossier_code"]
    return {
        "id": str(row["id"]), "status": row["status"], "channel": "online",
        "procedure": {"code": row["procedure_code"], "name": row["procedure_name"]},
        "department": row["department"],
        "submitted_at": row["submitted_at"].isoformat(),
        "receive_by": row["receive_by"].isoformat(),
        "reception_overdue": row["reception_overdue_at"] is not None,
        "applicant": request["applicant"], "documents": request["documents"],
        "result_delivery": request["result_delivery"],
        "delivery_address": request["delivery_address"],
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "decided_by": row["decided_by"], "corrections": row["corrections"],
        "dossier_code": code,
        "receipt_url": f"/api/v1/dossiers/{code}/receipt" if code else None,
    }
