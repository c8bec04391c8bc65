"""The redelivery contract (tests/redelivery.py) for every reliable handler of notify: the same
envelope delivered twice records its notifications once."""

import pytest

from services.notify.service import NotifyService
from tests.notify.events import (
    apology_event,
    bill_event,
    closed_event,
    extension_event,
    received_event,
    refused_event,
    result_issued_event,
    result_ready_event,
    shipment_created_event,
    shipment_delivered_event,
    supplement_event,
    withdrawn_event,
)
from tests.redelivery import delivered_twice

CODE = "000.00.31.H33-261206-0001"


def contact_known(db):
    """The dossier's contact, as its dossier.received leaves it: an event that follows it
    has someone to tell."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO notify.contacts (dossier_code, full_name, phone, email, department)"
                    " VALUES (%s, 'Trần Thị Bích Ngọc', '0912345678', 'ngoc@example.vn', 'sxd')",
                    (CODE,))


def after_reception(make):
    """A case for an event that follows dossier.received."""
    def case(db):
        contact_known(db)
        return make(CODE)
    return case


REDELIVERY_CASES = {
    "handle_dossier_received": lambda db: received_event(CODE),
    "handle_supplement_requested": after_reception(
        lambda code: supplement_event(code, ["Bản vẽ thiết kế"])),
    "handle_result_ready": after_reception(result_ready_event),
    "handle_result_issued": after_reception(result_issued_event),
    "handle_dossier_extended": after_reception(extension_event),
    "handle_apology_issued": after_reception(apology_event),
    "handle_dossier_refused": after_reception(refused_event),
    "handle_dossier_closed": after_reception(closed_event),
    "handle_dossier_withdrawn": after_reception(withdrawn_event),
    "handle_payment_requested": after_reception(bill_event),
    "handle_shipment_created": after_reception(shipment_created_event),
    "handle_shipment_delivered": after_reception(shipment_delivered_event),
}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_an_envelope_delivered_twice_has_its_effect_once(container_factory, config_for, db,
                                                        method):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, NotifyService, config_for("notify", QUIET_HOURS=""), db,
                    method, envelope)
