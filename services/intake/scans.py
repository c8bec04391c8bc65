"""The electronic copies a dossier is registered with (documents[].document_id): before the
dossier is stored, docstore says by RPC whether each may join it (services/docstore/
joining.py): known, scanned and clean, the competent agency's, in no other dossier. Another
agency's is refused with 403, any other problem with 409, each naming its field; docstore
unreachable or silent is a 503 and nothing is stored.

docstore learns that a scan joined a dossier only from dossier.received, later: two
receptions checked at once would both hear that it is free. So the statement that stores a
dossier also records its scans as its own (intake.dossier_scans, one dossier per scan), and
the reception that comes second is refused as taken (`taken`), with nothing stored."""
from services.common.errors import Conflict, NotAllowed, Unavailable
from services.common.rpc import asked

DOCSTORE_TIMEOUT_SECONDS = 5
UNREACHABLE = ("Chưa kiểm tra được tài liệu điện tử của hồ sơ (dịch vụ tài liệu tạm ngừng): "
               "hồ sơ chưa được tiếp nhận, xin thử lại sau ít phút.")


def named_scans(documents):
    """{field: document id} of the documents that name their electronic copy."""
    return {f"documents.{index}.document_id": document["document_id"]
            for index, document in enumerate(documents) if document.get("document_id")}


def check(docstore, documents, agency):
    """Nothing when every scan `documents` name may join a dossier of `agency`."""
    named = named_scans(documents)
    if not named:
        return
    verdicts = asked(lambda: docstore.check_reception_documents(sorted(set(named.values())),
                                                                agency),
                     DOCSTORE_TIMEOUT_SECONDS, Unavailable(UNREACHABLE, "docstore_unavailable"))
    refused = {field: verdicts.get(document_id) for field, document_id in named.items()
               if verdicts.get(document_id)}
    if not refused:
        return
    fields = {field: [found["problem"]] for field, found in refused.items()}
    strangers = [field for field, found in refused.items() if found["reason"] == "other_agency"]
    if strangers:
        raise NotAllowed(f"Tài liệu điện tử ({', '.join(strangers)}) do cơ quan khác số hóa: "
                         f"không dùng cho hồ sơ của {agency}.", "document_of_other_agency",
                         fields)
    raise Conflict(f"Tài liệu điện tử ({', '.join(refused)}) không dùng được cho hồ sơ này.",
                   "documents_not_usable", fields)


def taken(documents, scan):
    """The Conflict of a dossier naming a scan another dossier holds (store.ScanTaken)."""
    fields = {field: [f"Tài liệu điện tử {document_id} đã thuộc hồ sơ "
                      f"{scan.dossier_code or 'khác'}."]
              for field, document_id in named_scans(documents).items()
              if document_id == scan.document_id}
    return Conflict(f"Tài liệu điện tử ({', '.join(fields)}) không dùng được cho hồ sơ này.",
                    "documents_not_usable", fields)
