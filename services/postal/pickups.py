"""Pick-up at home: a citizen asks (through the portal) a post office to collect a dossier at
an address; a clerk collects it, then registers it (channel postal) at the post office."""
import uuid

from services.common.db import json_param
from services.common.errors import Conflict, NotFound

from . import intake, reception, store
from .errors import NotDelegatedOffice, unknown_post_office


def request(db, intake_rpc, body, requester, fee):
    code = body["dossier"]["procedure_code"]
    department = intake.procedure_department(intake_rpc, code, "dossier.procedure_code",
                                             channel="postal",
                                             agency=body["dossier"].get("agency"))
    with db.transaction() as cur:
        if store.get_post_office(cur, body["post_office"]) is None:
            raise unknown_post_office(body["post_office"])
        reception.check_delegation(cur, body["post_office"], department, code,
                                   refused=NotDelegatedOffice)
        pickup = store.insert_pickup(cur, {
            "id": uuid.uuid4(), "post_office": body["post_office"], "department": department,
            "procedure_code": code, "address": body["pickup_address"],
            "dossier": json_param(body["dossier"]), "fee": fee,
            "requested_by": requester.subject,
        })
    return pickup_view(pickup)


def listed(cur, clerk, status):
    """The orders of the clerk's post office, with the addresses the clerk collects at."""
    return [pickup_view(pickup, with_address=True)
            for pickup in store.list_pickups(cur, clerk.post_office, status)]


def collected(cur, clerk, pickup_id):
    pickup = clerk_pickup(cur, clerk, pickup_id, "requested")
    return pickup_view(store.mark_pickup_collected(cur, pickup["id"], clerk.subject))


def received(db, intake_rpc, clerk, pickup_id, correlation_id):
    """The collected dossier, checked at the post office, registered (channel postal): the
    dossier as intake answers it, with the order. The order stays locked while intake
    registers it, so it is registered once."""
    with db.transaction() as cur:
        pickup = clerk_pickup(cur, clerk, pickup_id, "collected")
        office = reception.clerk_office(cur, clerk)
        reception.check_delegation(cur, office["code"], pickup["department"],
                                   pickup["procedure_code"])
        dossier = reception.register(intake_rpc, pickup["dossier"], office, clerk.subject,
                                     correlation_id, "pickup")
        pickup = store.mark_pickup_received(cur, pickup["id"], dossier["code"])
    return {**dossier, "pickup": pickup_view(pickup)}


def clerk_pickup(cur, clerk, pickup_id, expected_status):
    """The order, locked, when it is the clerk's office's and in `expected_status`."""
    try:
        pickup = store.get_pickup(cur, uuid.UUID(pickup_id), lock=True)
    except ValueError:
        pickup = None
    if pickup is None or pickup["post_office"] != clerk.post_office:
        raise NotFound(f"Bưu điện này không có yêu cầu thu gom {pickup_id}.")
    if pickup["status"] != expected_status:
        raise Conflict(f"Yêu cầu thu gom đang ở trạng thái {pickup['status']}, không phải "
                       f"{expected_status}.")
    return pickup


def pickup_view(pickup, with_address=False):
    view = {
        "id": str(pickup["id"]),
        "post_office": pickup["post_office"],
        "department": pickup["department"],
        "procedure_code": pickup["procedure_code"],
        "fee": pickup["fee"],
        "status": pickup["status"],
        "dossier_code": pickup["dossier_code"],
        "requested_at": pickup["requested_at"].isoformat(),
    }
    if with_address:  # the clerk who collects needs it; nobody else sees it back
        view["address"] = pickup["address"]
    return view
