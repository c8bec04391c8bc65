"""The redelivery contract for each of payment's reliable handlers: the same envelope
delivered twice has its effect once, and its delivery is recorded under the handler's name
(payment's effects are guarded by its own constraints too: one bill per source, a closed
bill stays closed)."""
import pytest

from services.common.db import Pool
from services.common.events import new_envelope, now
from services.payment import billing, store
from services.payment.service import PaymentService
from tests.payment.test_service import GATEWAY, fee_procedure, payment_settings, received
from tests.redelivery import delivered_twice


class Payment:
    """payment's own functions on the test database, to prepare what a handler needs."""

    def __init__(self, pool):
        self.pool = pool
        self.settings = payment_settings()

    def billed(self, envelope):
        """The bill of a dossier received, made as its handler makes it."""
        billing.bill_received_dossiers(self.pool, self.settings, "handle_dossier_received",
                                       [(envelope, envelope["data"])])
        with self.pool.transaction() as cur:
            [bill] = store.bills_of_dossier(cur, envelope["data"]["code"])
        return bill

    def paid_in_cash(self, bill, amount):
        with self.pool.transaction() as cur:
            bill = billing.payable_bill(cur, bill["id"])
            billing.record_counter_payment(cur, self.settings, bill, "cash", amount, "officer-lan",
                                           "corr-cash")


def dossier_received(payment):
    return received(fee_procedure())


def shipment_created(payment):
    return new_envelope("postal.shipment_created", "postal", {
        "shipment_id": "SH-REDELIVERY", "tracking_number": "EV987654321VN",
        "code": "000.00.31.H33-261123-9001", "post_office": "BD-TRUNGTAM", "fee": 32_000,
        "created_at": now().isoformat()}, "corr-shipment")


def dossier_refused(payment):
    """A dossier part paid, whose procedure refunds on refusal: the refusal refunds it."""
    dossier = received(fee_procedure(refund_on_refusal=True))
    bill = payment.billed(dossier)
    payment.paid_in_cash(bill, bill["amount"] - 1000)
    code = dossier["data"]["code"]
    return new_envelope("dossier.refused", "routing", {
        "code": code, "department": bill["department"], "reason": "không đủ điều kiện",
        "refused_at": now().isoformat()}, "corr-refused", dossier_code=code)


REDELIVERY_CASES = {
    "handle_dossier_received": dossier_received,
    "handle_shipment_created": shipment_created,
    "handle_dossier_refused": dossier_refused,
}


@pytest.fixture
def payment(db, db_url):
    pool = Pool(db_url, 2)
    yield Payment(pool)
    pool.close()


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_a_redelivered_event_has_its_effect_once(method, payment, container_factory, config_for,
                                                 db):
    delivered_twice(container_factory, PaymentService, config_for("payment", **GATEWAY), db,
                    method, REDELIVERY_CASES[method](payment))
