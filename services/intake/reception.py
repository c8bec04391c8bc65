"""Reception of a dossier (Decree 61/2018 art. 18, Decree 118/2025): check it against the
procedure, number it, set its appointment date, and write dossier, receipt and
`dossier.received` in one transaction."""
import hashlib
import json
import secrets

from services.common.events import events_exchange, new_envelope, now
from services.common.http import ApiError

from . import store
from .receipt import build_receipt

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
SECRET_LENGTH = 8


def request_hash(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def check_against_procedure(procedure, request, channel):
    """422 naming every problem: the channel, delivery by post, and each missing document."""
    if procedure is None:
        raise ApiError(
            422, "validation_failed", "unknown procedure",
            {"procedure_code": [f"no procedure with code {request['procedure_code']}"]},
        )
    problems = {}
    if channel not in procedure["channels"]:
        problems["procedure_code"] = [
            f"thủ tục {procedure['code']} does not accept dossiers through channel {channel}"
            f" (accepted: {', '.join(procedure['channels'])})"
        ]
    if request["result_delivery"] == "post" and not procedure["postal_return"]:
        problems["result_delivery"] = [
            f"the result of thủ tục {procedure['code']} cannot be delivered by post"
        ]
    required = {d["key"]: d for d in procedure["documents"]}
    given = [d["key"] for d in request["documents"]]
    unknown = [k for k in given if k not in required]
    missing = [d for d in procedure["documents"] if d["mandatory"] and d["key"] not in given]
    doc_problems = [f"missing mandatory document: {d['name']} ({d['key']})" for d in missing]
    doc_problems += [f"{k!r} is not a document of thủ tục {procedure['code']}" for k in unknown]
    if len(given) != len(set(given)):
        doc_problems.append("a document is listed twice")
    if doc_problems:
        problems["documents"] = doc_problems
    if problems:
        raise ApiError(422, "validation_failed", "the dossier is incomplete or not admissible",
                       problems)


def snapshot(procedure):
    keys = ("code", "name", "department", "cooperating", "processing_days", "day_kind", "fee",
            "charge", "postal_return", "refund_on_refusal", "hold_result_until_paid")
    return {k: procedure[k] for k in keys}


def documents_received(procedure, request):
    names = {d["key"]: d["name"] for d in procedure["documents"]}
    return [{"key": d["key"], "name": names[d["key"]], "copies": d["copies"]}
            for d in request["documents"]]


class Replay(Exception):
    """The Idempotency-Key was used before: the transaction is abandoned, `earlier` answers."""

    def __init__(self, earlier):
        super().__init__("idempotent replay")
        self.earlier = earlier


def register(cur, calendar, request, procedure, channel, receiving_unit, receiver, correlation_id,
             idempotency=None):
    """Store one dossier and return it. `idempotency` is (principal, key, request hash)."""
    check_against_procedure(procedure, request, channel)
    if idempotency:
        earlier = store.find_idempotency_key(cur, *idempotency[:2])
        if earlier:
            raise Replay(earlier)
    received_at = now()
    due = calendar.due_date(received_at, procedure["processing_days"], procedure["day_kind"])
    dossier = {
        "code": None,  # numbered by the database as it is stored
        "procedure_code": procedure["code"],
        "department": procedure["department"],
        "channel": channel,
        "receiving_unit": receiving_unit["code"],
        "received_at": received_at,
        "due_date": due,
        "applicant": request["applicant"],
        "documents": documents_received(procedure, request),
        "result_delivery": request["result_delivery"],
        "delivery_address": request["delivery_address"],
        "lookup_secret": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)),
        "receiver": receiver,
    }
    dossier["receipt"] = build_receipt(dossier, procedure, receiving_unit)
    event = new_envelope("dossier.received", "intake", received_event_data(dossier, procedure),
                         correlation_id)
    try:
        code = store.insert_numbered_dossier(cur, dossier, event, events_exchange("intake"),
                                             "dossier.received", idempotency)
    except store.SequenceExhausted as exc:
        raise ApiError(503, "numbers_exhausted", str(exc)) from exc
    except store.KeyAlreadyUsed as exc:  # a concurrent request with the same key won
        raise Replay(store.find_idempotency_key(cur, *idempotency[:2])) from exc
    dossier["code"] = dossier["receipt"]["code"] = code
    return dossier


def received_event_data(dossier, procedure):
    return {
        "code": dossier["code"],
        "procedure": snapshot(procedure),
        "channel": dossier["channel"],
        "receiving_unit": dossier["receiving_unit"],
        "received_at": dossier["received_at"].isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "applicant": dossier["applicant"],
        "documents": dossier["documents"],
        "result_delivery": dossier["result_delivery"],
        "delivery_address": dossier["delivery_address"],
        "lookup_secret": dossier["lookup_secret"],
        "receiver": dossier["receiver"],
    }


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
