"""The redelivery contract for postal's reliable handlers (tests/redelivery.py): each
envelope delivered twice has its effect once."""
from datetime import datetime

import pytest

from services.common.contracts import DossierReceived, ResultReady
from services.common.events import TIMEZONE, event
from services.postal import store
from services.postal.service import PostalService
from tests.conftest import lookup_fields, query
from tests.postal.test_reception import OFFICE
from tests.redelivery import delivered_twice

CODE = "000.00.41.H33-261204-0001"


def result_ready(db):
    """A result to deliver by post, for a center with one post office to deliver it."""
    with db.cursor() as cur:
        store.insert_post_office(cur, OFFICE)
    return event("routing", "dossier.result_ready", ResultReady, {
        "code": CODE, "department": "stp", "procedure_name": "Cấp Phiếu lý lịch tư pháp",
        "result_reference": "123/QĐ-STP", "ready_at": datetime.now(TIMEZONE),
        "delivery": {"method": "post", "recipient_name": "Trần Thị Bích Ngọc",
                     "phone": "0912345678", "address": "12 Hai Bà Trưng, phường Sài Gòn"},
        "releasable": True}, "corr-redelivery", CODE)


def dossier_received(db):
    """A dossier a postal clerk received: counted in its month and as its office's reception."""
    return event("intake", "dossier.received", DossierReceived, {
        "code": CODE,
        "procedure": {"code": "1.001639", "name": "Cấp phiếu lý lịch tư pháp",
                      "department": "stp", "cooperating": [], "processing_days": 10,
                      "day_kind": "working", "fee": 0, "charge": 0, "postal_return": True,
                      "refund_on_refusal": False, "hold_result_until_paid": False},
        "channel": "postal", "receiving_unit": OFFICE["receiving_unit"],
        "received_at": datetime.now(TIMEZONE), "due_date": "2026-12-18",
        "applicant": {"full_name": "Nguyễn Văn An", "citizen_id": "*********345",
                      "phone": "0912345678", "email": None, "address": "12 Lê Lợi, Huế"},
        "documents": [{"key": "to_khai", "name": "Tờ khai", "copies": 1}],
        "result_delivery": "post", "delivery_address": "12 Lê Lợi, Huế",
        **lookup_fields("ABCDEFGH"),
        "receiver": {"kind": "postal_clerk", "id": "clerk-lan", "post_office": OFFICE["code"]},
    }, "corr-redelivery", CODE)


REDELIVERY_CASES = {
    "handle_result_ready": result_ready,
    "handle_dossier_received": dossier_received,
}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_a_redelivered_envelope_has_its_effect_once(method, container_factory, config_for, db):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, PostalService, config_for("postal"), db, method, envelope)
    # recorded under the handler's name, as the deliveries recorded before it were: a shipment
    # is unique per dossier anyway, so only the record shows the kernel recognised the copy
    assert query(db, "SELECT consumer FROM postal.processed_messages WHERE message_id = %s",
                 (envelope["id"],)) == [{"consumer": method}]
