"""Reception of a dossier (Decree 61/2018 art. 18, Decree 118/2025): check it against the
procedure, number it, set its appointment date, and store dossier, receipt and
`dossier.received` together."""
import secrets

from services.common import idempotency, lookup
from services.common.contracts import DossierReceived
from services.common.errors import Invalid, NotAllowed, NotFound
from services.common.events import event, now

from . import store
from .errors import CatalogueNotLoaded
from .receipt import build_receipt

SOURCE = "intake"
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
SECRET_LENGTH = 8
CHANNEL_BY_ROLE = {"counter_officer": "counter", "portal": "online"}
# The code's number until the statement that stores the dossier assigns it (store.py).
UNNUMBERED = "XXXX"


def receive(db, catalogue, calendar, settings, caller, request, claim, correlation_id):
    """A dossier handed in at the counter (counter officer) or online (portal), stored:
    (dossier, False); or, when `claim`'s Idempotency-Key was used before by the same request,
    the dossier it stored: (dossier, True). `settings` are intake's (the lookup secret's
    keys). A connection is taken only for each statement (autocommit: reading the catalogue
    when it is not kept takes no transaction, and registering is one statement), never while
    the dossier is checked and made."""
    channel = CHANNEL_BY_ROLE[caller.role]
    code = request["procedure_code"]
    procedure, counter_unit, center = catalogue.procedure_and_units(
        code, lambda: _read(db, store.get_procedure_and_units, code))
    if caller.role == "counter_officer" and procedure and \
            procedure["department"] != caller.department:
        raise NotAllowed(f"Công chức một cửa của {caller.department} không được tiếp nhận hồ sơ "
                         f"của sở, ngành {procedure['department']}.")
    unit = counter_unit if channel == "counter" else center
    if procedure is not None and unit is None:
        raise CatalogueNotLoaded("Chưa nạp đơn vị tiếp nhận của Trung tâm vào danh mục; xin "
                                 "báo quản trị hệ thống.")
    receiver = {"kind": caller.role, "id": caller.subject, "department": caller.department}
    dossier, received = made(calendar, settings, request, procedure, channel, unit, receiver,
                             correlation_id)
    try:
        return _read(db, stored, dossier, received, claim), False
    except store.KeyAlreadyUsed:
        return _read(db, earlier_dossier, claim), True


def _read(db, function, *args):
    with db.autocommit() as cur:
        return function(cur, *args)


def receive_by_post(cur, calendar, settings, request, receiver, correlation_id):
    """A dossier handed in at a post office that holds a delegation (postal checked it),
    numbered with the post office's receiving unit."""
    unit = {"code": receiver["receiving_unit"], "name": receiver["post_office"]}
    procedure = store.get_procedure(cur, request["procedure_code"])
    return register(cur, calendar, settings, request, procedure, "postal", unit, receiver,
                    correlation_id)


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


def register(cur, calendar, settings, request, procedure, channel, receiving_unit, receiver,
             correlation_id, claim=None):
    """Store one dossier and return it; `claim` (services.common.idempotency.Claim) is the
    request's Idempotency-Key, stored with it (store.KeyAlreadyUsed when it was before)."""
    dossier, received = made(calendar, settings, request, procedure, channel, receiving_unit,
                             receiver, correlation_id)
    return stored(cur, dossier, received, claim)


def made(calendar, settings, request, procedure, channel, receiving_unit, receiver,
         correlation_id):
    """The dossier checked against its procedure, with its receipt and its dossier.received,
    numbered when stored."""
    check_against_procedure(procedure, request, channel)
    received_at = now()
    dossier = {
        "code": store.code_prefix(receiving_unit["code"], received_at) + UNNUMBERED,
        "procedure_code": procedure["code"],
        "department": procedure["department"],
        "channel": channel,
        "receiving_unit": receiving_unit["code"],
        "received_at": received_at,
        "due_date": calendar.due_date(received_at, procedure["processing_days"],
                                      procedure["day_kind"]),
        "applicant": request["applicant"],
        "documents": documents_received(procedure, request),
        "result_delivery": request["result_delivery"],
        "delivery_address": request["delivery_address"],
        "lookup_secret": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
        "receiver": receiver,
    }
    dossier["receipt"] = build_receipt(dossier, procedure, receiving_unit)
    received = event(SOURCE, "dossier.received", DossierReceived,
                     received_event_data(dossier, procedure, settings), correlation_id)
    return dossier, received


def stored(cur, dossier, received, claim):
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
        "lookup_secret": dossier["lookup_secret"],
        "department": dossier["department"],
        "channel": dossier["channel"],
        "receipt_url": f"/api/v1/dossiers/{dossier['code']}/receipt",
    }
