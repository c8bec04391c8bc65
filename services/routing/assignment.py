"""Assignment of a received dossier to its lead department: the lifecycle record, its
history, the message on the department's queue and `dossier.assigned`, in one transaction."""
import hashlib
import hmac

from services.common import lookup
from services.common.contracts import (
    NOT_FOR_DEPARTMENTS,
    DossierAssigned,
    DossierAssignedMessage,
    DossierStatusChanged,
)
from services.common.events import publish, to_department
from services.common.phones import normalise_phone

from . import store
from .inbox import search_fields
from .lifecycle import SOURCE, SYSTEM

CHANNEL_LABELS = {"counter": "trực tiếp", "online": "trực tuyến", "postal": "qua bưu chính"}


def proof_hash(code, value):
    return hashlib.sha256(f"{code}:{value}".encode()).hexdigest()


def matches(code, expected_hash, value):
    return hmac.compare_digest(expected_hash, proof_hash(code, value))


def secret_matches(dossier, secret, pepper):
    """Whether `secret` is the dossier's lookup secret. Dossiers received before dossier.received
    version 2 keep the unsalted hash routing made of the secret then: it cannot be turned into
    a proof without the secret, so it is checked as it was."""
    stored = dossier["lookup_proof"]
    if stored.startswith(f"{lookup.PROOF_SCHEME}$"):
        return lookup.proves(pepper, stored, secret)
    return matches(dossier["code"], stored, secret)


def phone_matches(dossier, phone):
    normal = normalise_phone(phone)
    return normal is not None and matches(dossier["code"], dossier["phone_hash"], normal)


def departments_of(data):
    """The departments a received dossier goes to: its lead department, and the cooperating
    ones it may consult."""
    procedure = data["procedure"]
    return procedure["department"], *procedure["cooperating"]


def assign(cur, envelope, data):
    """Record the dossier as received and assigned to its lead department."""
    code, procedure = data["code"], data["procedure"]
    department = procedure["department"]
    store.insert_dossier(cur, {
        "code": code,
        "procedure_code": procedure["code"],
        "procedure_name": procedure["name"],
        "department": department,
        "cooperating": procedure["cooperating"],
        "channel": data["channel"],
        "status": "assigned",
        "received_at": data["received_at"],
        "due_date": data["due_date"],
        "result_delivery": data["result_delivery"],
        "lookup_proof": data["lookup_proof"],
        "phone_hash": proof_hash(code, data["applicant"]["phone"]),
        "procedure": envelope["data"]["procedure"],
        # none in a version 3 event
        "sector_code": procedure["sector_code"], "sector_name": procedure["sector_name"],
        **postal_recipient(data),
        **search_fields(code, data["applicant"]),
    })
    receiver = data["receiver"]
    store.add_history(cur, code, "received", str(receiver.get("id")),
                      f"kênh {CHANNEL_LABELS[data['channel']]}", at=data["received_at"],
                      actor_role=receiver.get("kind"), department=receiver.get("department"))
    cooperating = ", ".join(procedure["cooperating"]) or None
    store.add_history(cur, code, "assigned", "routing",
                      f"cơ quan chủ trì {department}"
                      + (f"; phối hợp {cooperating}" if cooperating else ""),
                      action="assign", from_status="received", actor_role=SYSTEM)
    correlation = envelope["correlation_id"]
    to_department(cur, SOURCE, department, "dossier.assigned", DossierAssignedMessage,
                  department_message(envelope["data"], department), correlation, code)
    publish(cur, SOURCE, "dossier.assigned", DossierAssigned, {
        "code": code, "department": department, "cooperating": procedure["cooperating"],
        "due_date": data["due_date"], "channel": data["channel"],
        "received_at": data["received_at"],
    }, correlation, code)
    publish(cur, SOURCE, "dossier.status_changed", DossierStatusChanged, {
        "code": code, "department": department, "from_status": "received",
        "to_status": "assigned", "public_status": "assigned", "actor": "routing", "reason": None,
        "at": data["received_at"], "due_date": data["due_date"],
    }, correlation, code)


def postal_recipient(data):
    """Who receives a result sent by post, and where; nothing for a result at the counter."""
    if data["result_delivery"] != "post":
        return {"recipient_name": None, "recipient_phone": None, "delivery_address": None}
    applicant = data["applicant"]
    return {"recipient_name": applicant["full_name"], "recipient_phone": applicant["phone"],
            "delivery_address": data["delivery_address"] or applicant["address"]}


# What routing forwards of dossier.received: the dossier, and nothing of the lookup secret
# (neither its proof nor notify's encrypted copy).
def department_message(received, department):
    """What the department needs to process the dossier: the dossier itself (the citizen ID
    masked, as intake sent it), without anything of the citizen's lookup secret."""
    message = {k: v for k, v in received.items() if k not in NOT_FOR_DEPARTMENTS}
    message["department"] = department
    message["role"] = "lead"
    return message
