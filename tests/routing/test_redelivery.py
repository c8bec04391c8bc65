"""The redelivery contract for routing's reliable handlers: the same envelope delivered twice
has its effect once (tests/redelivery.py)."""

import pytest

from services.common.consumer import validate_data
from services.common.contracts import (
    CalendarChanged,
    DossierReceived,
    PaymentSettled,
    ShipmentDelivered,
)
from services.common.events import event
from services.routing.assignment import assign
from services.routing.service import RoutingService
from tests.redelivery import delivered_twice
from tests.routing.lifecycle_helpers import at, dossier_received

PROCEDURE = "1.002861"  # sxd, 2 working days


def received(db, **kwargs):
    """The code of a dossier routing has assigned (its dossier.received applied directly)."""
    envelope = dossier_received(PROCEDURE, at("2026-11-18", 9), "2026-11-20", **kwargs)
    with db.cursor() as cur:
        assign(cur, envelope, validate_data(DossierReceived, envelope))
    return envelope["dossier_code"]


def a_new_dossier(db):
    return dossier_received(PROCEDURE, at("2026-11-18", 9), "2026-11-20")


def its_fee_paid(db):
    code = received(db)
    return event("payment", "payment.settled", PaymentSettled, {
        "bill_id": "bill-1", "code": code, "kind": "fee", "amount": 50000, "paid": 50000,
        "settled_at": at("2026-11-19", 10)}, "corr-redelivery", code)


def its_result_delivered_by_post(db):
    code = received(db, result_delivery="post")
    with db.cursor() as cur:
        cur.execute("UPDATE routing.dossiers SET status = 'result_ready', resolved_at = %s"
                    " WHERE code = %s", (at("2026-11-19", 10), code))
    return event("postal", "postal.delivered", ShipmentDelivered, {
        "shipment_id": "shipment-1", "tracking_number": "EB000000001VN", "code": code,
        "delivered_at": at("2026-11-20", 15)}, "corr-redelivery", code)


def a_calendar_change(db):
    return event("intake", "calendar.changed", CalendarChanged, {
        "revision": 2, "days_off": ["2026-01-02", "2026-12-31"], "working_days": ["2026-01-10"],
        "changed_at": at("2026-11-18", 9)}, "corr-redelivery")


REDELIVERY_CASES = {
    "handle_calendar_changed": a_calendar_change,
    "handle_dossier_received": a_new_dossier,
    "handle_payment_settled": its_fee_paid,
    "handle_postal_delivered": its_result_delivered_by_post,
}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_an_envelope_delivered_twice_has_its_effect_once(method, container_factory, config_for,
                                                          db):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, RoutingService, config_for("routing"), db, method,
                    envelope)
