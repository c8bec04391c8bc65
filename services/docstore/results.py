"""The citizen's electronic result (Decree 118/2025 art. 22): routing's `complete` names the
agency's signed result document, and once routing says the result may be released
(dossier.result_ready, `releasable`: fees paid where the procedure holds it) the document is
the dossier's issued result, downloadable with the receipt's lookup secret, and
`result.issued` tells the citizen. A result on paper only names no document."""
import logging

from services.common.contracts import ResultIssued
from services.common.events import publish

from . import store

log = logging.getLogger("motcua.docstore")

SERVICE = "docstore"
READY_FIELDS = ("code", "department", "releasable", "result_document_id")


def ready(cur, envelope, data):
    document_id = data["result_document_id"]
    if document_id is None or not data["releasable"]:
        return
    row = store.issue_result(cur, document_id, data["code"], data["department"])
    if row is None:
        # routing checked it when the agency completed the dossier; issued before (a fee
        # paid after an earlier result_ready), or changed since
        log.warning("result document not issued",
                    extra={"dossier_code": data["code"], "document_id": str(document_id)})
        return
    publish(cur, SERVICE, "result.issued", ResultIssued, {
        "document_id": row["id"], "code": row["dossier_code"],
        "department": row["department"], "issued_at": row["issued_at"]},
        envelope["correlation_id"], row["dossier_code"])
