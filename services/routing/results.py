"""The electronic result `complete` names (result_document_id): docstore says by RPC whether
it is the lead agency's signed result for this dossier (services/docstore/joining.py).
Another agency's is refused with 403, any other problem with 409, naming the field; docstore
unreachable or silent is a 503 and the dossier stays as it was. docstore issues it to the
citizen from dossier.result_ready once the result may be released."""
from services.common.errors import Conflict, NotAllowed, Unavailable
from services.common.rpc import asked

DOCSTORE_TIMEOUT_SECONDS = 5
FIELD = "result_document_id"
UNREACHABLE = ("Chưa kiểm tra được kết quả điện tử (dịch vụ tài liệu tạm ngừng): hồ sơ chưa "
               "được cập nhật, xin thử lại sau ít phút.")


def check(docstore, document_id, dossier):
    """Nothing when `document_id` is the signed result of `dossier`'s lead agency."""
    found = asked(lambda: docstore.check_result_document(str(document_id), dossier["code"],
                                                         dossier["department"]),
                  DOCSTORE_TIMEOUT_SECONDS, Unavailable(UNREACHABLE, "docstore_unavailable"))
    if found is None:
        return
    fields = {FIELD: [found["problem"]]}
    if found["reason"] == "other_agency":
        raise NotAllowed(f"{FIELD}: {found['problem']}", "document_of_other_agency", fields)
    raise Conflict(f"{FIELD}: {found['problem']}", "result_document_not_usable", fields)
