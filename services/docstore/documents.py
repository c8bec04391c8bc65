"""Documents: who may make and see them, the upload pipeline (type, virus scan, storage, the
worker's job), reuse of a document already held, and the views. The heavy work (PDF/A, OCR,
signature) is the document worker's (worker.py)."""
import base64
import hashlib
import logging
import uuid
from datetime import date

from services.common.contracts import DocumentAccepted, DocumentSignatureReceived, DocumentSigned
from services.common.events import publish

from . import dossiers, errors, filetypes, scanning, store

log = logging.getLogger("motcua.docstore")

SERVICE = "docstore"
# who makes which kind: the counter officer scans what is handed in; the agency's officers
# make certified copies and results
MAKERS = {"reception": ("counter_officer", "manager"),
          "copy": ("department_officer", "leader", "manager"),
          "result": ("department_officer", "leader", "manager")}
DEPARTMENT_ROLES = ("department_officer", "leader")


def masked(owner_id):
    return None if owner_id is None else "*" * (len(owner_id) - 3) + owner_id[-3:]


def view(row):
    return {
        "id": str(row["id"]), "kind": row["kind"], "status": row["status"],
        "document_type": row["document_type"], "title": row["title"], "summary": row["summary"],
        "owner": {"id": masked(row["owner_id"]), "name": row["owner_name"],
                  "birth_year": row["owner_birth_year"]},
        "issued_on": row["issued_on"], "issuer": row["issuer"],
        "valid_from": row["valid_from"], "valid_until": row["valid_until"],
        "validity_scope": row["validity_scope"], "dossier_code": row["dossier_code"],
        "catalogue_key": row["catalogue_key"], "department": row["department"],
        "source": row["source"],
        "reused_from": str(row["reused_from"]) if row["reused_from"] else None,
        "sha256": row["sha256"], "size": row["size"], "pages": row["pages"],
        "digitised_by": row["digitised_by"], "digitised_at": row["digitised_at"],
        "signer": row["signer"], "signed_at": row["signed_at"],
    }


def may_see(caller, row):
    """Managers see every document; an agency's officers their agency's; a counter officer
    its agency's (when an agency stationed it) or its center's (the center's own staff)."""
    if caller.role == "manager":
        return True
    if caller.role in DEPARTMENT_ROLES:
        return row["department"] == caller.department
    if caller.role == "counter_officer":
        if caller.department:
            return row["department"] == caller.department
        return row["center"] == caller.center
    return False


def visible(cur, caller, document_id, lock=False):
    row = store.get_document(cur, document_id, lock)
    if row is None or not may_see(caller, row):
        raise errors.UnknownDocument()
    return row


def parse_id(document_id):
    try:
        return uuid.UUID(document_id)
    except ValueError as exc:
        raise errors.UnknownDocument() from exc


# making a document ----------------------------------------------------------------------------
def create(cur, caller, body):
    if caller.role not in MAKERS[body["kind"]]:
        raise errors.NotAllowed("Bản chụp khi tiếp nhận do công chức một cửa tạo; bản sao và kết "
                                "quả do cơ quan giải quyết tạo.", "kind_not_allowed")
    department = caller.department or body["department"]
    if caller.department and body["department"] not in (None, caller.department):
        raise errors.other_agency()
    if department is None:
        raise errors.Invalid("Cần mã cơ quan có thẩm quyền.", "department")
    owner = body["owner"]
    row = store.insert_document(cur, {
        **body, "id": uuid.uuid4(), "status": "awaiting_content", "department": department,
        "center": caller.center, "owner_id": owner["id"], "owner_name": owner["name"],
        "owner_birth_year": owner["birth_year"], "reused_from": None,
        "digitised_by": caller.subject,
        "source": "result" if body["kind"] == "result" else body["source"]})
    return view(row)


def receive_content(db, storage, settings, caller, document_id, upload, correlation_id):
    """The file of a document: its type from its first bytes, a virus scan through clamd,
    then stored and handed to the worker. Nothing is stored unscanned: clamd down is a 503."""
    document_id = parse_id(document_id)
    handle, size = upload.file, upload.size
    with db.transaction() as cur:
        _awaiting(visible(cur, caller, document_id))
    if size == 0:
        raise errors.empty_file()
    media_type = filetypes.media_type(handle.read(filetypes.HEAD_BYTES))
    if media_type is None:
        raise errors.not_allowed_type(filetypes.ALLOWED)
    handle.seek(0)
    try:
        found = scanning.scan(handle, settings.clamd, settings.clamd_timeout)
    except scanning.ScannerDown as exc:
        log.warning("virus scanner unavailable", extra={"reason": str(exc)[:200]})
        raise errors.ScannerUnavailable("Chưa quét được mã độc (máy quét tạm ngừng): tệp chưa "
                                        "được lưu, xin gửi lại sau ít phút.") from exc
    if found:
        with db.transaction() as cur:
            _awaiting(visible(cur, caller, document_id, lock=True))
            store.quarantined(cur, document_id, media_type, size, found)
        log.warning("upload quarantined", extra={"document_id": str(document_id),
                                                 "signature": found})
        raise errors.infected(found)
    handle.seek(0)
    data = handle.read()
    with db.transaction() as cur:
        row = _awaiting(visible(cur, caller, document_id, lock=True))
        key = storage.put(cur, data)
        row = store.content_received(cur, document_id, key, media_type, size)
        publish(cur, SERVICE, "document.accepted", DocumentAccepted,
                {"document_id": document_id, "kind": row["kind"], "media_type": media_type,
                 "department": row["department"]}, correlation_id, row["dossier_code"])
    return view(row)


def _awaiting(row):
    if row["status"] != "awaiting_content":
        raise errors.NotInPipelineState("Tài liệu đã có tệp; muốn thay thì tạo tài liệu mới.",
                                        "content_already_received")
    return row


# reuse ----------------------------------------------------------------------------------------
def reuse_offers(cur, caller, query):
    """Documents already held, signed and valid, of this owner and type: offered instead of
    a new scan (art. 22(1), 5(1)(i))."""
    rows = store.reusable(cur, query["owner_id"], query["document_type"], date.today())
    return [view(row) for row in rows]


def reuse(cur, caller, document_id, body, correlation_id):
    """A new document of the caller's dossier holding the same signed file (no copy of the
    bytes: the key is the same)."""
    original = store.get_document(cur, parse_id(document_id))
    # the owner's identifier, which the officer has from the citizen at the counter, is the
    # proof: a document of another person is answered as unknown
    if original is None or original["status"] != "signed" or original["kind"] == "result" \
            or original["owner_id"] != body["owner_id"]:
        raise errors.UnknownDocument()
    row = store.insert_document(cur, {
        **{name: original[name] for name in store.DOCUMENT_COLUMNS},
        "id": uuid.uuid4(), "status": "signed", "source": "reuse", "kind": "reception",
        "reused_from": original["id"], "dossier_code": body["dossier_code"],
        "catalogue_key": body["catalogue_key"] or original["catalogue_key"],
        "department": caller.department or original["department"], "center": caller.center,
        "digitised_by": caller.subject})
    row = store.signed(cur, row["id"], original["sha256"], original["size"], original["pages"],
                       original["signer"], original["signer_kind"])
    publish(cur, SERVICE, "document.stored", DocumentSigned, {
        "document_id": row["id"], "kind": row["kind"], "dossier_code": row["dossier_code"],
        "department": row["department"], "sha256": row["sha256"], "pages": row["pages"] or 0,
        "signer": row["signer"], "signed_at": row["signed_at"]}, correlation_id,
        row["dossier_code"])
    return view(row)


# two-phase signing by a remote service (DOCSTORE_SIGNER=external) ------------------------
# whose signature each signer's is: the counter officer's on scans, the agency's on the rest
SIGNING_ROLES = {"officer": ("counter_officer",), "agency": ("department_officer", "leader")}


def _awaiting_signature(cur, caller, document_id, lock=False):
    """The document and its signing request, for the caller whose signature it awaits."""
    row = visible(cur, caller, parse_id(document_id), lock)
    request = store.signing_request(cur, row["id"])
    if row["status"] != "awaiting_signature" or request is None:
        raise errors.NotInPipelineState("Tài liệu không chờ ký số.", "not_awaiting_signature")
    if caller.role not in SIGNING_ROLES[request["signer_kind"]]:
        raise errors.NotAllowed("Tài liệu này chờ chữ ký số của "
                                + ("công chức một cửa." if request["signer_kind"] == "officer"
                                   else "cơ quan giải quyết."), "not_the_signer")
    return row, request


def signing_request(cur, caller, document_id):
    """What the remote signer signs: the CMS signed attributes holding the file's digest."""
    row, request = _awaiting_signature(cur, caller, document_id)
    to_sign = bytes(request["to_sign"])
    return {"document_id": str(row["id"]), "signer": request["signer_kind"],
            "certificate": request["certificate"],
            "digest_algorithm": "sha256", "to_sign": base64.b64encode(to_sign).decode(),
            "to_sign_digest": hashlib.sha256(to_sign).hexdigest(),
            "requested_at": request["requested_at"],
            "signature_pending": request["signature"] is not None,
            "refused": request["refused"]}


def receive_signature(cur, caller, document_id, signature, correlation_id):
    """The remote signer's value, kept; the worker embeds it (document.signature_received)."""
    row, _ = _awaiting_signature(cur, caller, document_id, lock=True)
    if not store.signature_received(cur, row["id"], signature):
        raise errors.NotInPipelineState("Đã nhận một chữ ký cho tài liệu này, đang được gắn "
                                        "vào tệp.", "signature_pending")
    publish(cur, SERVICE, "document.signature_received", DocumentSignatureReceived,
            {"document_id": row["id"], "department": row["department"]}, correlation_id,
            row["dossier_code"])
    return view(row)


# files ----------------------------------------------------------------------------------------
def signed_file(cur, storage, caller, document_id, inline):
    """The signed PDF/A of a document the caller may see; the download is recorded."""
    row = visible(cur, caller, parse_id(document_id))
    data = stored_file(cur, storage, row)
    store.record_download(cur, row["id"], caller.subject, caller.role, inline)
    return row, data


def result_file(cur, storage, caller, code, secret, pepper):
    """The dossier's signed result: the citizen proves the lookup secret, staff their scope."""
    if caller is None:
        row = dossiers.citizen_result(cur, code, secret, pepper)
        who, role = "citizen", "citizen"
    else:
        row = store.dossier_result(cur, code)
        if row is None or not may_see(caller, row):
            raise errors.UnknownDocument("Hồ sơ chưa có kết quả điện tử.", "no_result")
        who, role = caller.subject, caller.role
    data = storage.get(cur, row["sha256"])
    store.record_download(cur, row["id"], who, role, False)
    return row, data


def stored_file(cur, storage, row):
    if row["status"] != "signed":
        raise errors.NotInPipelineState("Tài liệu chưa được ký số.", "not_signed")
    return storage.get(cur, row["sha256"])


def of_dossier(cur, caller, code):
    return [view(row) for row in store.dossier_documents(cur, code) if may_see(caller, row)]
