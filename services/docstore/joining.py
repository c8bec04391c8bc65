"""Whether documents may join a dossier, asked by RPC before the dossier is stored: intake for
the scans a dossier is registered with (documents[].document_id), routing for the result its
`complete` action names. Each id gets a verdict, None when it may join or else
{"reason", "problem"}: the caller names its own field and chooses the status (another
agency's document is the caller's business: 403; the rest, 409)."""
import uuid

from . import store

# what a document handed in with a dossier may be: scanned and clean (being signed, or signed)
READY_FOR_RECEPTION = ("processing", "signed")
NOT_READY = {
    "awaiting_content": "chưa có tệp quét",
    "processing": "đang được chuyển đổi và ký số, xin đợi ít giây rồi thử lại",
    "awaiting_signature": "đang chờ ký số",
    "quarantined": "bị cách ly vì tệp có mã độc",
    "failed": "không chuyển đổi được tệp, hãy quét lại",
}


def verdict(reason, problem):
    return {"reason": reason, "problem": problem}


def _found(cur, document_ids):
    ids = []
    for document_id in document_ids:
        try:
            ids.append(uuid.UUID(str(document_id)))
        except ValueError:
            continue
    return {str(row["id"]): row for row in store.documents_by_ids(cur, ids)}


def _common(row, document_id, department, code=None):
    """The verdict every dossier document shares: known, the agency's, in no other dossier."""
    if row is None:
        return verdict("unknown", f"Không có tài liệu điện tử mã {document_id}.")
    if row["department"] != department:
        return verdict("other_agency", f"Tài liệu điện tử {document_id} do cơ quan khác số hóa "
                                       f"({row['department']}), không dùng cho hồ sơ của "
                                       f"{department}.")
    if row["dossier_code"] not in (None, code):
        return verdict("in_other_dossier", f"Tài liệu điện tử {document_id} đã thuộc hồ sơ "
                                           f"{row['dossier_code']}.")
    return None


def for_reception(cur, document_ids, department):
    """The scans a new dossier of `department` names: each the agency's, in no dossier yet, a
    document handed in (not a result), scanned and clean."""
    rows = _found(cur, document_ids)
    verdicts = {}
    for document_id in document_ids:
        row = rows.get(str(document_id))
        found = _common(row, document_id, department)
        if found is None and row["kind"] == "result":
            found = verdict("not_handed_in", f"Tài liệu điện tử {document_id} là kết quả giải "
                                             "quyết, không phải giấy tờ nộp kèm hồ sơ.")
        if found is None and row["status"] not in READY_FOR_RECEPTION:
            found = verdict("not_ready", f"Tài liệu điện tử {document_id} "
                                         f"{NOT_READY[row['status']]}.")
        verdicts[str(document_id)] = found
    return verdicts


def for_result(cur, document_id, code, department):
    """The result `complete` names for dossier `code` of `department`: the agency's result,
    of this dossier or none yet, signed."""
    row = _found(cur, [document_id]).get(str(document_id))
    found = _common(row, document_id, department, code)
    if found is None and row["kind"] != "result":
        found = verdict("not_a_result", f"Tài liệu điện tử {document_id} không phải kết quả "
                                        "giải quyết (hãy tạo tài liệu loại result).")
    if found is None and row["status"] != "signed":
        found = verdict("not_ready", f"Kết quả điện tử {document_id} "
                                     f"{NOT_READY[row['status']]}.")
    return found
