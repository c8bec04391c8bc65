"""What docstore learns of a dossier from intake's dossier.received: the agency and month it
counts in, the documents the counter scanned for it (their ids in the dossier's documents),
and routing's proof of the citizen's lookup secret, so the citizen can download the signed
electronic result with the secret printed on the receipt (art. 22)."""
import logging
import uuid

from services.common.lookup import proves

from . import errors, store

log = logging.getLogger("motcua.docstore")

RECEIVED_FIELDS = ("code", "channel", "received_at", "documents", "lookup_proof", "center",
                   "procedure.department")


def received(cur, envelope, data):
    department = data["procedure"]["department"]
    store.insert_dossier(cur, {"code": data["code"], "department": department,
                               "center": data["center"], "channel": data["channel"],
                               "received_at": data["received_at"],
                               "lookup_proof": data["lookup_proof"]})
    named = [str(found) for found in map(_document_id, data["documents"]) if found]
    if named:
        attached = store.attach_to_dossier(cur, named, data["code"], department)
        if len(attached) != len(set(named)):
            # intake checked them and stored each with this dossier alone
            # (intake.dossier_scans): one that does not join was changed here since
            log.warning("documents not attached to their dossier",
                        extra={"dossier_code": data["code"],
                               "missing": len(set(named)) - len(attached)})


def _document_id(document):
    """The id of a scanned document the dossier names (None: paper only, or not an id)."""
    try:
        return uuid.UUID(str(document["document_id"])) if document.get("document_id") else None
    except ValueError:
        return None


def citizen_result(cur, code, secret, pepper):
    """The dossier's signed electronic result, for the citizen holding its lookup secret; an
    unknown code and a wrong secret are answered alike."""
    dossier = store.get_dossier(cur, code)
    if dossier is None or not proves(pepper, dossier["lookup_proof"], secret):
        raise errors.UnknownDocument("Không tìm thấy hồ sơ với mã và mã tra cứu này.")
    result = store.dossier_result(cur, code)
    if result is None:
        raise errors.UnknownDocument("Hồ sơ chưa có kết quả điện tử.", "no_result")
    return result
