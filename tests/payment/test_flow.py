"""End to end over HTTP and queues: a dossier with a fee is submitted to intake, billed by
payment from `dossier.received`, paid online through a signed IPN, `payment.settled` is
published on payment.events, the receipt prints, and the day's statement reconciles."""
import pika
import pytest

from scripts.payment_gateway import ipn_params
from services.common.events import events_exchange, now
from services.intake.service import IntakeService
from services.payment import ledger
from services.payment.service import PaymentService
from tests.conftest import dossier_body, drain, query, token, wait_for
from tests.payment.test_service import GATEWAY, SECRET, fee_procedure

SETTLED_QUEUE = "test.payment.settled"


@pytest.fixture
def stack(container_factory, config_for, client_for, topology, relays):
    connection = pika.BlockingConnection(pika.URLParameters(topology))
    channel = connection.channel()
    channel.queue_declare(SETTLED_QUEUE, durable=True)
    channel.queue_bind(SETTLED_QUEUE, events_exchange("payment"), routing_key="payment.settled")
    connection.close()
    intake_config, payment_config = config_for("intake"), config_for("payment", **GATEWAY)
    container_factory(IntakeService, intake_config).start()
    container_factory(PaymentService, payment_config).start()
    relays("intake", "payment")
    return client_for(intake_config), client_for(payment_config), topology


def test_dossier_billed_paid_online_settled_receipted_and_reconciled(stack, db):
    intake, payment, amqp_uri = stack
    proc = fee_procedure()
    submitted = intake.post("/api/v1/dossiers", json=dossier_body(proc),
                            token=token("counter_officer", department=proc["department"]))
    assert submitted.status_code == 201, submitted.text
    code = submitted.json()["code"]
    portal = token("portal", subject="portal")

    def billed():
        bills = payment.get("/api/v1/bills", params={"dossier_code": code}, token=portal)
        return bills.json()["bills"]

    [bill] = wait_for(billed)
    assert bill["amount"] == proc["fee"] + proc["charge"] and bill["status"] == "open"

    started = payment.post(f"/api/v1/bills/{bill['id']}/payments", token=portal,
                           json={"channel": "online", "ip_addr": "113.161.0.10"},
                           headers={"Idempotency-Key": "pay-1"})
    assert started.status_code == 201, started.text
    notification = ipn_params(SECRET, started.json()["pay_url"])
    answer = payment.get("/api/v1/gateway/vnpay/ipn", params=notification)
    assert answer.json() == {"RspCode": "00", "Message": "Confirm Success"}

    [(_, settled)] = wait_for(lambda: drain(amqp_uri, SETTLED_QUEUE))
    assert settled["type"] == "payment.settled" and settled["dossier_code"] == code
    assert settled["data"]["paid"] == bill["amount"]

    view = payment.get(f"/api/v1/bills/{bill['id']}", token=portal).json()
    assert view["status"] == "paid"
    [receipt] = view["receipts"]
    printed = payment.get(receipt["url"] + "?format=html", token=portal)
    assert printed.status_code == 200 and code in printed.text
    assert printed.headers["Content-Type"].startswith("text/html")

    day = now().date().isoformat()
    line = f"{notification['vnp_TransactionNo']},{bill['amount']},{day},VNPAY settlement\n"
    imported = payment.post("/api/v1/statements", token=token("manager"),
                            params={"day": day, "channel": "online", "source": "gateway"},
                            data=f"reference,amount,value_date,description\n{line}".encode(),
                            headers={"Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.text
    [report] = imported.json()["channels"]
    assert report["summary"]["mismatches"] == 0
    assert report["summary"]["counts"]["matched"] == 1
    with db.cursor() as cur:
        assert ledger.verify(cur) == []
    assert query(db, "SELECT 1 FROM payment.outbox WHERE routing_key = 'payment.requested'"
                     " AND published_at IS NOT NULL")
