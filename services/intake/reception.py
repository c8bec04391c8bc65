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

from . import scans, store
from .errors import CatalogueNotLoaded
from .receipt import build_receipt, receipt_view

SOURCE = "intake"
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
SECRET_LENGTH = 8
# The code's number until the statement that stores the dossier assigns it (store.py).
UNNUMBERED = "XXXX"
# A document the catalogue does not say more of is expected as the original.
DEFAULT_DOCUMENT_FORM = "original"
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


def procedure_of(cur, catalogue, code):
    """The active procedure `code`, or None; kept by `catalogue`."""
    return catalogue.kept(("procedure", code), lambda: store.get_procedure(cur, code))


def agency_of(cur, catalogue, code):
    return catalogue.kept(("agency", code), lambda: store.get_agency(cur, code))


def center_of(cur, catalogue, code=None):
    """The center `code`, or the provincial center without one; None when not loaded."""
    return catalogue.kept(("center", code), lambda: store.get_center(cur, code))


def unit_of(center):
    """A center as the receiving unit of a dossier: its identifier and name."""
    return None if center is None else {"code": center["identifier"], "name": center["name"]}


def competent_agency(procedure, request):
    """The code of the agency that decides the dossier: the procedure's department, or, for a
    commune-level procedure, the one of its competent agencies the request names; None when
    it names none of them (check_against_procedure says so)."""
    if procedure.get("department"):
        return procedure["department"]
    chosen = request.get("agency")
    return chosen if chosen in (procedure.get("competent_agencies") or []) else None


def may_receive(caller, agency):
    """Whether a counter officer receives the dossiers of `agency` (Decree 118/2025 art. 20):
    the center's own staff receive any procedure of the province, an officer an agency
    stationed there its agency's only."""
    return caller.center_staff or agency == caller.department


def officer_center(cur, catalogue, caller):
    """The center of a counter officer (the provincial one when the token names none)."""
    center = center_of(cur, catalogue, caller.center)
    if caller.center and center is None:
        raise NotAllowed(f"Trung tâm {caller.center} không có trong danh mục.")
    return center


def receiver_of(caller):
    return {"kind": caller.role, "id": caller.subject, "department": caller.department,
            "center": caller.center}


def receive(db, ctx, catalogue, docstore, caller, request, claim):
    """A dossier handed in at the counter, stored: (dossier, False); or, when `claim`'s
    Idempotency-Key was used before by the same request, the dossier it stored: (dossier,
    True). A connection of the pool `db` is taken for the statements only (autocommit: the
    catalogue's reads, when not kept, need no transaction, and storing is one statement),
    not while the dossier is checked and made, nor while docstore checks its scans: the
    other requests' statements use it then."""
    with db.autocommit() as cur:
        if claim and store.key_claimed(cur, claim):  # its scans joined the dossier it stored
            return earlier_dossier(cur, claim), True
        procedure = procedure_of(cur, catalogue, request["procedure_code"])
        agency_code = procedure and competent_agency(procedure, request)
        if agency_code and not may_receive(caller, agency_code):
            raise NotAllowed(f"Công chức một cửa do {caller.department} cử chỉ tiếp nhận hồ sơ "
                             f"của cơ quan mình; hồ sơ này do {agency_code} giải quyết.")
        center = officer_center(cur, catalogue, caller)
        agency = agency_code and agency_of(cur, catalogue, agency_code)
    dossier, received = made(ctx, request, procedure, agency, "counter", unit_of(center),
                             receiver_of(caller), center=center)
    scans.check(docstore, request["documents"], agency["code"])
    try:
        with db.autocommit() as cur:
            return stored(cur, dossier, received, claim), False
    except store.KeyAlreadyUsed:
        with db.autocommit() as cur:
            return earlier_dossier(cur, claim), True
    except store.ScanTaken as exc:
        # a retry of a stored request may meet its own dossier's scan before its key
        with db.autocommit() as cur:
            if claim and store.key_claimed(cur, claim):
                return earlier_dossier(cur, claim), True
        raise scans.taken(request["documents"], exc) from exc


def receive_by_post(cur, ctx, catalogue, docstore, request, receiver):
    """A dossier handed in at a post office that holds a delegation (postal checked it): the
    post office is its receiving unit."""
    unit = {"code": receiver["receiving_unit"], "name": receiver["post_office"]}
    procedure = procedure_of(cur, catalogue, request["procedure_code"])
    return register(cur, ctx, catalogue, docstore, request, procedure, "postal", unit, receiver)


def earlier_dossier(cur, claim):
    """The dossier stored by the request that claimed the key first (the key's row exists:
    the kernel's claim finds it, and refuses it when it was claimed for another body)."""
    _, (_, answer) = idempotency.claim(cur, claim.schema, claim.principal, claim.key,
                                       claim.request_hash)
    return store.get_dossier(cur, answer["code"])


def check_against_procedure(procedure, request, channel):
    """Invalid naming every problem: the competent agency, the channel, delivery by post, each
    missing document."""
    if procedure is None:
        problem = f"Không có thủ tục mã {request['procedure_code']}."
        # `fields` given, never None: nameko sends None across RPC as the text "None"
        raise Invalid(problem, fields={"procedure_code": [problem]})
    problems = {}
    agency_problem = agency_problems(procedure, request)
    if agency_problem:
        problems["agency"] = agency_problem
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


def agency_problems(procedure, request):
    chosen = request.get("agency")
    if procedure.get("department"):
        if chosen not in (None, procedure["department"]):
            return [f"Thủ tục {procedure['code']} do {procedure['department']} giải quyết, "
                    f"không phải {chosen}."]
        return []
    if competent_agency(procedure, request) is None:
        return [f"Hãy chọn cơ quan giải quyết hồ sơ, một trong: "
                f"{', '.join(procedure.get('competent_agencies') or [])}."]
    return []


def documents_problems(procedure, request):
    required = {d["key"] for d in procedure["documents"]}
    given = [d["key"] for d in request["documents"]]
    missing = [d for d in procedure["documents"] if d["mandatory"] and d["key"] not in given]
    problems = [f"Thiếu giấy tờ bắt buộc: {d['name']} ({d['key']})." for d in missing]
    problems += [f"'{k}' không phải thành phần hồ sơ của thủ tục {procedure['code']}."
                 for k in given if k not in required]
    if len(given) != len(set(given)):
        problems.append("Có giấy tờ được kê hai lần.")
    scanned = [d["document_id"] for d in request["documents"] if d.get("document_id")]
    if len(scanned) != len(set(scanned)):
        problems.append("Một tài liệu điện tử (document_id) được kê cho hai giấy tờ.")
    return problems


def snapshot(procedure, agency):
    """The procedure as `agency`, the competent one, decides it."""
    keys = ("code", "name", "cooperating", "processing_days", "day_kind", "fee",
            "charge", "postal_return", "refund_on_refusal", "hold_result_until_paid")
    # a procedure loaded before the catalogue had sectors has none until the next load
    sector = {k: procedure.get(k) for k in ("sector_code", "sector_name")}
    return {**{k: procedure[k] for k in keys}, **sector, "department": agency["code"],
            "department_name": agency["name"]}


def code_identifier(procedure, agency, channel, receiving_unit, settings):
    """The identifier a dossier's code starts with (Decree 118/2025 art. 28(2)): the
    competent agency's; for an inter-agency group, the receiving unit's (the center, or the
    post office that received it for the center), or DVCQG's when filed online."""
    if not procedure.get("inter_agency"):
        return agency["identifier"]
    return settings.dvcqg_identifier if channel == "online" else receiving_unit["code"]


def documents_received(procedure, request):
    """Each document handed in with its name, number of copies and form (original, certified
    copy or copy: as the catalogue expects it unless the officer says otherwise), and the id
    of its electronic copy when the counter scanned it (docstore)."""
    expected = {d["key"]: d for d in procedure["documents"]}
    return [{"key": d["key"], "name": expected[d["key"]]["name"], "copies": d["copies"],
             "form": d.get("form") or expected[d["key"]].get("form", DEFAULT_DOCUMENT_FORM),
             **({"document_id": d["document_id"]} if d.get("document_id") else {})}
            for d in request["documents"]]


def register(cur, ctx, catalogue, docstore, request, procedure, channel, receiving_unit,
             receiver, claim=None, submission_id=None, center=None):
    """Store one dossier, received at `ctx.at` by `receiving_unit` (of `center`, none by
    post), and return it; `claim` (services.common.idempotency.Claim) is the request's
    Idempotency-Key, stored with it (store.KeyAlreadyUsed when it was before);
    `submission_id`, the online submission it was received from; `docstore`, what checks the
    scans the dossier names."""
    agency_code = procedure and competent_agency(procedure, request)
    agency = agency_code and agency_of(cur, catalogue, agency_code)
    dossier, received = made(ctx, request, procedure, agency, channel, receiving_unit, receiver,
                             submission_id, center)
    scans.check(docstore, request["documents"], agency["code"])
    try:
        return stored(cur, dossier, received, claim)
    except store.ScanTaken as exc:
        raise scans.taken(request["documents"], exc) from exc


def made(ctx, request, procedure, agency, channel, receiving_unit, receiver,
         submission_id=None, center=None):
    """The dossier checked against its procedure, with its receipt and its
    `dossier.received`: numbered when stored. `agency` is the competent agency."""
    check_against_procedure(procedure, request, channel)
    if receiving_unit is None:
        raise CatalogueNotLoaded(CENTER_NOT_LOADED)
    received_at = ctx.at.astimezone(TIMEZONE)
    settings = ctx.settings
    identifier = code_identifier(procedure, agency, channel, receiving_unit, settings)
    dossier = {
        "code": store.code_prefix(identifier, received_at) + UNNUMBERED,
        "procedure_code": procedure["code"],
        "department": agency["code"],
        "agency": agency,
        "channel": channel,
        "receiving_unit": receiving_unit["code"],
        "identifier": identifier,
        "center": center["code"] if center else None,
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
    dossier["receipt"] = build_receipt(dossier, procedure, receiving_unit, agency, ctx.calendar)
    received = event(SOURCE, "dossier.received", DossierReceived,
                     {**received_event_data(dossier, procedure, agency, settings),
                      "submission_id": submission_id}, ctx.correlation_id)
    return dossier, received


def stored(cur, dossier, received, claim=None):
    code = store.insert_numbered_dossier(cur, dossier, received, claim)
    dossier["code"] = dossier["receipt"]["code"] = code
    return dossier


def received_event_data(dossier, procedure, agency, settings):
    """dossier.received's data: the lookup secret only as routing's proof of it and encrypted
    for notify, and the citizen ID masked (no consumer needs it whole; the event stays in
    the event log)."""
    return {
        "code": dossier["code"],
        "procedure": snapshot(procedure, dossier["agency"]),
        "channel": dossier["channel"],
        "receiving_unit": dossier["receiving_unit"],
        "center": dossier["center"],
        "received_at": dossier["received_at"],
        "due_date": dossier["due_date"],
        "applicant": masked_applicant(dossier["applicant"]),
        "documents": dossier["documents"],
        "result_delivery": dossier["result_delivery"],
        "delivery_address": dossier["delivery_address"],
        "lookup_proof": lookup.proof(settings.lookup_pepper, dossier["lookup_secret"]),
        "lookup_secret_for_notify": lookup.seal(settings.notify_secret_key,
                                                dossier["lookup_secret"]),
        "receiver": dossier["receiver"],
        "paper_handover_on": dossier["paper_handover_on"],
    }


def masked_applicant(applicant):
    """The applicant with every citizen ID masked: its own (the citizen's, or the
    organisation's representative's) and its authorised person's."""
    masked = {**applicant, "citizen_id": mask_citizen_id(applicant["citizen_id"])}
    if applicant.get("authorised_person"):
        person = applicant["authorised_person"]
        masked["authorised_person"] = {**person,
                                       "citizen_id": mask_citizen_id(person["citizen_id"])}
    return masked


def mask_citizen_id(citizen_id):
    """'079301004567' -> '*********567', as the logs show it."""
    return "*" * (len(citizen_id) - 3) + citizen_id[-3:]


def receipt_for(cur, caller, code):
    """The receipt of dossier `code` as the caller may see it: a counter officer stationed by
    an agency sees its agency's only (another's is as unknown to it as a code that does not
    exist), one of the center's staff any; a post-office clerk those its post office
    received (to print them for the applicant at its counter)."""
    row = store.get_receipt(cur, code)
    if row is None or not may_print(caller, row):
        raise NotFound(f"Không tìm thấy giấy tiếp nhận của hồ sơ {code} (hoặc bạn không được xem).")
    return receipt_view(row)


def may_print(caller, receipt_row):
    if caller.role == "counter_officer":
        return may_receive(caller, receipt_row["department"])
    if caller.role == "postal_clerk":
        return (receipt_row["receiver"] or {}).get("post_office") == caller.post_office
    return True


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


RECEPTION_DATA = ("code", "procedure", "applicant", "documents", "channel", "received_at",
                  "due_date", "result_delivery", "delivery_address", "sets")


def reception_data(cur, caller, code):
    """What was received with dossier `code` (the applicant, the documents), for whoever may
    see it: as the receipt (a counter officer of its agency or the center's own staff, the
    portal, a manager), and the officers and leaders of the agency that decides it."""
    row = store.get_receipt(cur, code)
    if row is None or not _may_see(caller, row["department"]):
        raise NotFound(f"Không có hồ sơ {code} (hoặc bạn không được xem).")
    receipt = receipt_view(row)
    return {"agency": receipt["agency"], **{key: receipt.get(key) for key in RECEPTION_DATA}}


def _may_see(caller, agency):
    if caller.role == "counter_officer":
        return may_receive(caller, agency)
    if caller.role in ("department_officer", "leader"):
        return caller.department == agency
    return True
