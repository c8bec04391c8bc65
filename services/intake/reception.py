"""Reception of a dossier (Decree 118/2025 art. 17, 18): check it against the procedure,
number it, set its appointment date, and store dossier, receipt and `dossier.received`
together. The period runs from this reception: for an online dossier, its formal reception
by an officer (online.py)."""
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common import idempotency, lookup
from services.common.contracts import DossierReceived
from services.common.errors import Invalid, NotAllowed, NotFound
from services.common.events import TIMEZONE, event

from . import store
from .errors import CatalogueNotLoaded
from .receipt import build_receipt

SOURCE = "intake"
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
SECRET_LENGTH = 8
# The code's number until the statement that stores the dossier assigns it (store.py).
UNNUMBERED = "XXXX"
CENTER_NOT_LOADED = ("Chưa nạp đơn vị tiếp nhận của Trung tâm vào danh mục; xin báo quản trị "
                     "hệ thống.")


@dataclass(frozen=True)
class Reception:
    """What receiving needs beyond the dossier: the calendar as it is now, intake's settings
    (the lookup secret's keys, the cut-offs), the moment and the request's correlation id."""
    calendar: Any
    settings: Any
    at: datetime
    correlation_id: str


def procedure_and_units(cur, catalogue, code):
    """(procedure, its department's counter unit, the center's unit), kept by `catalogue`."""
    return catalogue.procedure_and_units(code, lambda: store.get_procedure_and_units(cur, code))


def receive(cur, ctx, catalogue, caller, request, claim):
    """A dossier handed in at the counter, stored: (dossier, False); or, when `claim`'s
    Idempotency-Key was used before by the same request, the dossier it stored: (dossier,
    True)."""
    procedure, unit, _ = procedure_and_units(cur, catalogue, request["procedure_code"])
    if procedure and procedure["department"] != caller.department:
        raise NotAllowed(f"Công chức một cửa của {caller.department} không được tiếp nhận hồ sơ "
                         f"của sở, ngành {procedure['department']}.")
    receiver = {"kind": caller.role, "id": caller.subject, "department": caller.department}
    try:
        return register(cur, ctx, request, procedure, "counter", unit, receiver, claim), False
    except store.KeyAlreadyUsed:
        return earlier_dossier(cur, claim), True


def receive_by_post(cur, ctx, request, receiver):
    """A dossier handed in at a post office that holds a delegation (postal checked it),
    numbered with the post office's receiving unit."""
    unit = {"code": receiver["receiving_unit"], "name": receiver["post_office"]}
    procedure = store.get_procedure(cur, request["procedure_code"])
    return register(cur, ctx, request, procedure, "postal", unit, receiver)


def earlier_dossier(cur, claim):
    """The dossier stored by the request that claimed the key first (the key's row exists:
    the kernel's claim finds it, and refuses it when it was claimed for another body)."""
    _, (_, answer) = idempotency.claim(cur, claim.schema, claim.principal, claim.key,
                                       claim.request_hash)
    return store.get_dossier(cur, answer["code"])


def check_against_procedure(procedure, request, channel):
    """Invalid naming every problem: the channel, delivery by post, each missing document."""
    if procedure is None:
        problem = f"Không có thủ tục mã {request['procedure_code']}."
        # `fields` given, never None: nameko sends None across RPC as the text "None"
        raise Invalid(problem, fields={"procedure_code": [problem]})
    problems = {}
    if channel not in procedure["channels"]:
        problems["procedure_code"] = [
            f"Thủ tục {procedure['code']} không nhận hồ sơ qua kênh {channel} (chỉ nhận qua: "
            f"{', '.join(procedure['channels'])})."
        ]
    if request["result_delivery"] == "post" and not procedure["postal_return"]:
        problems["result_delivery"] = [
            f"Kết quả của thủ tục {procedure['code']} không trả qua bưu chính được."
        ]
    document_problems = documents_problems(procedure, request)
    if document_problems:
        problems["documents"] = document_problems
    if problems:
        raise Invalid("Hồ sơ chưa đầy đủ hoặc không được tiếp nhận.", fields=problems)


def documents_problems(procedure, request):
    required = {d["key"] for d in procedure["documents"]}
    given = [d["key"] for d in request["documents"]]
    missing = [d for d in procedure["documents"] if d["mandatory"] and d["key"] not in given]
    problems = [f"Thiếu giấy tờ bắt buộc: {d['name']} ({d['key']})." for d in missing]
    problems += [f"'{k}' không phải thành phần hồ sơ của thủ tục {procedure['code']}."
                 for k in given if k not in required]
    if len(given) != len(set(given)):
        problems.append("Có giấy tờ được kê hai lần.")
    return problems


def snapshot(procedure):
    keys = ("code", "name", "department", "cooperating", "processing_days", "day_kind", "fee",
            "charge", "postal_return", "refund_on_refusal", "hold_result_until_paid")
    return {k: procedure[k] for k in keys}


def documents_received(procedure, request):
    names = {d["key"]: d["name"] for d in procedure["documents"]}
    return [{"key": d["key"], "name": names[d["key"]], "copies": d["copies"]}
            for d in request["documents"]]


def register(cur, ctx, request, procedure, channel, receiving_unit, receiver, claim=None,
             submission_id=None):
    """Store one dossier, received at `ctx.at`, and return it; `claim`
    (services.common.idempotency.Claim) is the request's Idempotency-Key, stored with it
    (store.KeyAlreadyUsed when it was before); `submission_id`, the online submission it was
    received from."""
    check_against_procedure(procedure, request, channel)
    if receiving_unit is None:
        raise CatalogueNotLoaded(CENTER_NOT_LOADED)
    received_at = ctx.at.astimezone(TIMEZONE)
    settings = ctx.settings
    dossier = {
        "code": store.code_prefix(receiving_unit["code"], received_at) + UNNUMBERED,
        "procedure_code": procedure["code"],
        "department": procedure["department"],
        "channel": channel,
        "receiving_unit": receiving_unit["code"],
        "received_at": received_at,
        "due_date": ctx.calendar.due_date(received_at, procedure["processing_days"],
                                          procedure["day_kind"], settings.same_day_cutoff),
        # the paper goes to the agency that day, or the next working day after the cut-off
        "paper_handover_on": None if channel == "online" else ctx.calendar.reception_day(
            received_at, settings.paper_handover_cutoff),
        "applicant": request["applicant"],
        "documents": documents_received(procedure, request),
        "result_delivery": request["result_delivery"],
        "delivery_address": request["delivery_address"],
        "lookup_secret": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
        "receiver": receiver,
    }
    dossier["receipt"] = build_receipt(dossier, procedure, receiving_unit)
    received = event(SOURCE, "dossier.received", DossierReceived,
                     {**received_event_data(dossier, procedure, settings),
                      "submission_id": submission_id}, ctx.correlation_id)
    code = store.insert_numbered_dossier(cur, dossier, received, claim)
    dossier["code"] = dossier["receipt"]["code"] = code
    return dossier


def received_event_data(dossier, procedure, settings):
    """dossier.received's data: the lookup secret only as routing's proof of it and encrypted
    for notify, and the citizen ID masked (no consumer needs it whole; the event stays in
    the event log)."""
    return {
        "code": dossier["code"],
        "procedure": snapshot(procedure),
        "channel": dossier["channel"],
        "receiving_unit": dossier["receiving_unit"],
        "received_at": dossier["received_at"],
        "due_date": dossier["due_date"],
        "applicant": {**dossier["applicant"],
                      "citizen_id": mask_citizen_id(dossier["applicant"]["citizen_id"])},
        "documents": dossier["documents"],
        "result_delivery": dossier["result_delivery"],
        "delivery_address": dossier["delivery_address"],
        "lookup_proof": lookup.proof(settings.lookup_pepper, dossier["lookup_secret"]),
        "lookup_secret_for_notify": lookup.seal(settings.notify_secret_key,
                                                dossier["lookup_secret"]),
        "receiver": dossier["receiver"],
        "paper_handover_on": dossier["paper_handover_on"],
    }


def mask_citizen_id(citizen_id):
    """'079301004567' -> '*********567', as the logs show it."""
    return "*" * (len(citizen_id) - 3) + citizen_id[-3:]


def receipt_for(cur, caller, code):
    """The receipt of dossier `code` as the caller may see it: a counter officer sees its own
    department's only (another's is as unknown to it as a code that does not exist)."""
    row = store.get_receipt(cur, code)
    if row is None or (caller.role == "counter_officer" and
                       row["department"] != caller.department):
        raise NotFound(f"Không tìm thấy giấy tiếp nhận của hồ sơ {code} (hoặc bạn không được xem).")
    return row["receipt"]


def created_response(dossier):
    return {
        "code": dossier["code"],
        "received_at": dossier["received_at"].isoformat(),
        "due_at": dossier["due_date"].isoformat(),
        "paper_handover_on": (dossier["paper_handover_on"].isoformat()
                              if dossier["paper_handover_on"] else None),
        "lookup_secret": dossier["lookup_secret"],
        "department": dossier["department"],
        "channel": dossier["channel"],
        "receipt_url": f"/api/v1/dossiers/{dossier['code']}/receipt",
    }
