"""Delegated reception: a post office registers dossiers for the departments that handed it
reception, through intake, and only while a delegation is active; and what intake's
dossier.received tells postal (the departments' monthly volumes, its offices' receptions)."""
import logging

from prometheus_client import Counter

from services.common import idempotency
from services.common.errors import Conflict, NotAllowed
from services.common.events import TIMEZONE

from . import intake, store
from .errors import IntakeUnanswered, NoDelegation
from .volumes import month_start

log = logging.getLogger("motcua.postal")

RECEPTIONS = Counter("motcua_postal_receptions_total", "Dossiers registered by post offices",
                     ["post_office", "kind"])
# What the month's counts and the post office's receptions read of dossier.received: it is
# checked for these fields only.
RECEIVED_FIELDS = ("code", "channel", "received_at", "receiver", "procedure.code",
                   "procedure.department")


def clerk_office(cur, clerk):
    office = store.get_post_office(cur, clerk.post_office)
    if office is None:
        raise NotAllowed(f"Bưu điện {clerk.post_office} chưa được đăng ký.")
    return office


def check_delegation(cur, office_code, department, procedure_code, refused=NoDelegation):
    if store.active_delegation(cur, office_code, department, procedure_code) is None:
        raise refused(f"Bưu điện {office_code} không có ủy quyền còn hiệu lực để tiếp nhận hồ "
                      f"sơ của sở, ngành {department} (thủ tục {procedure_code}).")


def register(intake_rpc, body, office, clerk, correlation_id, kind):
    """The dossier as intake registered it (channel postal, the clerk and office receiving)."""
    receiver = {"kind": "postal_clerk", "id": clerk, "post_office": office["code"],
                "receiving_unit": office["receiving_unit"]}
    dossier = intake.register(intake_rpc, body, receiver, correlation_id)
    RECEPTIONS.labels(office["code"], kind).inc()
    return dossier


def receive(db, intake_rpc, clerk, body, key, correlation_id):
    """(receipt, replayed): a dossier the clerk received at the counter of its post office,
    registered once per Idempotency-Key `key`. The key is claimed in the transaction that
    waits for intake, so a retry waits for the first answer; when intake stays silent the
    bare claim commits, and a retry is told the reception is in progress instead of
    registering the dossier a second time."""
    department = intake.procedure_department(intake_rpc, body["procedure_code"],
                                             agency=body.get("agency"))
    unanswered = None
    with db.transaction() as cur:
        office = clerk_office(cur, clerk)
        check_delegation(cur, office["code"], department, body["procedure_code"])
        held = None
        if key:
            held, earlier = idempotency.claim(cur, store.SCHEMA, clerk.subject, key,
                                              idempotency.request_hash(body))
            if earlier:
                return replayed(earlier)
        try:
            dossier = register(intake_rpc, body, office, clerk.subject, correlation_id,
                               "counter")
        except IntakeUnanswered as silence:
            unanswered = silence
        else:
            receipt = {**dossier, "post_office": office["code"]}
            if held:
                idempotency.save(cur, held, 201, receipt)
    if unanswered:
        raise unanswered
    log.info("dossier received by post office",
             extra={"dossier_code": receipt["code"], "post_office": office["code"]})
    return receipt, False


def replayed(earlier):
    status, answer = earlier
    if status is None:
        raise Conflict("Hồ sơ này đang được đăng ký; xin chờ giây lát.", "in_progress")
    return answer, True


def receptions_today(cur, clerk):
    """The dossiers the clerk's post office registered today (local date)."""
    return store.receptions_today(cur, clerk.post_office)


def count_received(cur, envelope, dossier):
    """One more dossier in its department's month; one registered by a postal clerk is also
    its post office's reception. On a cursor or into a StatementBatch."""
    department = dossier["procedure"]["department"]
    received_at = dossier["received_at"].astimezone(TIMEZONE)
    store.count_received(cur, department, month_start(received_at))
    receiver = dossier["receiver"]
    if dossier["channel"] == "postal" and receiver.get("kind") == "postal_clerk":
        store.insert_reception(cur, {
            "dossier_code": dossier["code"], "post_office": receiver["post_office"],
            "department": department, "procedure_code": dossier["procedure"]["code"],
            "clerk": receiver["id"], "received_at": received_at,
        })
