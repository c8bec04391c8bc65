"""payment in a nameko container on the real broker and database: bills from events, the
three channels, the gateway's IPN, partial and over-payment, refunds, receipts, statements,
the ledger and the scheduled checks against a gateway played by a real HTTP server."""
import csv
import io
import itertools
import json
import logging
import re
import uuid
from datetime import timedelta

import eventlet
import eventlet.wsgi
import psycopg2
import pytest
from prometheus_client import REGISTRY

from scripts.payment_gateway import ipn_params, redirect_params
from services.common.config import load_config
from services.common.consumer import DEAD_LETTER_QUEUE, is_repeated_delivery
from services.common.db import Pool
from services.common.events import events_exchange, new_envelope, now
from services.common.settings import read_settings
from services.payment import billing, ledger, online, store
from services.payment.gateway import (
    QUERY_REQUEST_FIELDS,
    Vnpay,
    hmac_sha512,
    query_response_signature,
)
from services.payment.service import PaymentService
from services.payment.settings import PaymentSettings
from tests.conftest import (
    CATALOGUE,
    drain,
    lookup_fields,
    publish_all,
    publish_envelope,
    query,
    token,
    wait_for,
)
from tooling import cli

SECRET = "gateway-secret-for-tests-0123456789"
GATEWAY = {"VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": SECRET}


_DOSSIER_NUMBERS = itertools.count(1)


def fee_procedure(refund_on_refusal=None, free=False):
    for proc in CATALOGUE["procedures"].values():
        total = proc["fee"] + proc["charge"]
        if (total == 0) != free or "counter" not in proc["channels"]:
            continue
        if refund_on_refusal is not None and proc["refund_on_refusal"] != refund_on_refusal:
            continue
        return proc
    raise LookupError("no such procedure")


def received(proc, code=None):
    code = code or f"000.00.31.H33-261123-{next(_DOSSIER_NUMBERS):04d}"
    keys = ("code", "name", "department", "cooperating", "processing_days", "day_kind", "fee",
            "charge", "postal_return", "refund_on_refusal", "hold_result_until_paid")
    data = {
        "code": code, "procedure": {k: proc[k] for k in keys}, "channel": "counter",
        "receiving_unit": "000.00.31.H33", "received_at": now().isoformat(),
        "due_date": "2026-12-01",
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "citizen_id": "*********234",
                      "phone": "0912345678", "email": None, "address": "25 Nguyễn Huệ"},
        "documents": [], "result_delivery": "counter", "delivery_address": None,
        **lookup_fields("ABCDEFGH"), "receiver": {"kind": "counter_officer", "id": "o1"},
    }
    return new_envelope("dossier.received", "intake", data, "corr-pay", dossier_code=code)


def payment_settings(**overrides):
    """payment's settings as the service reads them, with the test gateway's."""
    return read_settings(PaymentSettings, {**load_config("payment"), **GATEWAY, **overrides})


def publish(amqp_uri, source, envelope):
    publish_envelope(amqp_uri, envelope, events_exchange(source))


@pytest.fixture
def start_payment(container_factory, config_for, client_for, topology):
    def start(**overrides):
        config = config_for("payment", **{**GATEWAY, **overrides})
        container_factory(PaymentService, config).start()
        return client_for(config)

    return start


@pytest.fixture
def payment(start_payment):
    return start_payment()


@pytest.fixture
def bill_for(payment, topology, db):
    """A fee bill made the way production makes it: dossier.received on the broker."""

    def make(proc=None):
        envelope = received(proc or fee_procedure())
        publish(topology, "intake", envelope)
        [bill] = wait_for(lambda: query(db, "SELECT * FROM payment.bills WHERE dossier_code = %s",
                                        (envelope["data"]["code"],)))
        return bill

    return make


def officer(bill):
    return token("counter_officer", department=bill["department"], subject="officer-lan")


def pay(client, bill, channel="cash", **body):
    role = token("portal") if channel == "online" else officer(bill)
    headers = body.pop("headers", {})
    return client.post(f"/api/v1/bills/{bill['id']}/payments", token=role, headers=headers,
                       json={"channel": channel, **body})


def outbox(db, event_type):
    return [row["body"]["data"] for row in
            query(db, "SELECT body FROM payment.outbox WHERE routing_key = %s ORDER BY seq",
                  (event_type,))]


# --- bills ---------------------------------------------------------------------------------
def test_a_bill_per_dossier_never_two_and_none_without_fee(payment, topology, db):
    proc = fee_procedure()
    envelope = received(proc)
    publish(topology, "intake", envelope)
    publish(topology, "intake", envelope)  # a redelivery
    again = new_envelope("dossier.received", "intake", envelope["data"], "corr-2",
                         dossier_code=envelope["dossier_code"])  # same dossier, new event id
    publish(topology, "intake", again)
    publish(topology, "intake", received(fee_procedure(free=True)))
    wait_for(lambda: len(query(db, "SELECT 1 FROM payment.processed_messages")) == 3)
    [bill] = query(db, "SELECT * FROM payment.bills")
    assert bill["amount"] == proc["fee"] + proc["charge"] and bill["status"] == "open"
    [requested] = outbox(db, "payment.requested")
    assert requested == {"bill_id": str(bill["id"]), "code": envelope["data"]["code"],
                         "kind": "fee", "amount": bill["amount"],
                         "description": bill["description"], "pay_url": None}


def test_a_batch_bills_each_dossier_once_whatever_the_form_of_its_event_id(payment, topology,
                                                                          db):
    """Dossiers that arrive together are billed in one statement; an envelope id written in
    capitals (a valid UUID all the same) is billed like any other, and counted."""
    def bills_counted():  # motcua_bills_total, what managers watch
        return REGISTRY.get_sample_value("motcua_bills_total", {"kind": "fee", "status": "open"}) or 0

    before = bills_counted()
    envelopes = [received(fee_procedure()) for _ in range(12)]
    envelopes[5]["id"] = envelopes[5]["id"].upper()
    publish_all(topology, envelopes)
    wait_for(lambda: len(query(db, "SELECT 1 FROM payment.processed_messages")) == 12)
    eventlet.sleep(0.3)
    assert bills_counted() - before == 12
    assert sorted(row["dossier_code"] for row in query(db, "SELECT * FROM payment.bills")) == \
        sorted(e["data"]["code"] for e in envelopes)
    assert len(outbox(db, "payment.requested")) == 12
    assert drain(topology, DEAD_LETTER_QUEUE, wait=0.2) == []


def test_postal_shipment_is_billed_once(payment, topology, db):
    data = {"shipment_id": "SH-1", "tracking_number": "EV123456789VN", "code": "X-261123-0001",
            "post_office": "bd-tt", "fee": 32000, "created_at": now().isoformat()}
    envelope = new_envelope("postal.shipment_created", "postal", data, "corr-3")
    publish(topology, "postal", envelope)
    publish(topology, "postal", envelope)  # a redelivery
    publish(topology, "postal", new_envelope("postal.shipment_created", "postal", data, "corr-4"))
    wait_for(lambda: len(query(db, "SELECT 1 FROM payment.processed_messages"
                                   " WHERE consumer = 'handle_shipment_created'")) == 2)
    eventlet.sleep(0.3)
    [bill] = query(db, "SELECT * FROM payment.bills")
    assert (bill["kind"], bill["amount"], bill["source_ref"]) == ("postal", 32000, "SH-1")
    [requested] = outbox(db, "payment.requested")
    assert requested["bill_id"] == str(bill["id"]) and requested["kind"] == "postal"


def test_the_billing_statement_writes_all_or_nothing(db_url, db):
    """The deliveries, the bills and their payment.requested commit together or not at all."""
    envelope, other = received(fee_procedure()), received(fee_procedure())
    bill, other_bill = (billing.dossier_bill(e, e["data"]) for e in (envelope, other))
    event, other_event = (billing.payment_requested(payment_settings(), b, "corr")
                          for b in (bill, other_bill))
    query(db, "INSERT INTO payment.outbox (id, exchange, routing_key, body)"
              " VALUES (%s, 'x', 'y', '{}') RETURNING id", (other_event["id"],))

    def delivery(envelope, bill, event):
        return {"message_id": envelope["id"], "consumer": "test", "bill": bill, "event": event}

    pool = Pool(db_url, 1)
    try:
        with pool.autocommit() as cur:
            with pytest.raises(psycopg2.errors.UniqueViolation):  # one outbox insert fails ...
                store.insert_bills_once(cur, [delivery(envelope, bill, event),
                                              delivery(other, other_bill, other_event)])
            assert not query(db, "SELECT 1 FROM payment.bills")  # ... and so does all of it
            assert not query(db, "SELECT 1 FROM payment.processed_messages")
            other_event = {**other_event, "id": str(uuid.uuid4())}
            assert store.insert_bills_once(cur, [
                delivery(envelope, bill, event), delivery(other, other_bill, other_event),
            ]) == [{"billed": True, "refused": False}, {"billed": True, "refused": False}]
            again = {**bill, "id": uuid.uuid4()}
            with pytest.raises(psycopg2.Error) as repeated:
                store.insert_bills_once(cur, [
                    delivery(envelope, again, {**event, "id": str(uuid.uuid4())})])
            assert is_repeated_delivery(repeated.value)
    finally:
        pool.close()
    assert len(query(db, "SELECT 1 FROM payment.bills")) == 2
    assert len(query(db, "SELECT 1 FROM payment.outbox WHERE routing_key = 'payment.requested'")) == 2


# --- counter channels ----------------------------------------------------------------------
def test_cash_partial_then_the_rest_settles_with_sequential_receipts(payment, bill_for, db):
    bill = bill_for()
    first = pay(payment, bill, amount=bill["amount"] - 50_000)
    assert first.status_code == 201, first.text
    assert first.json()["bill"]["status"] == "partially_paid"
    assert first.json()["bill"]["outstanding"] == 50_000
    too_much = pay(payment, bill, amount=60_000)
    assert too_much.status_code == 422 and "amount" in too_much.json()["error"]["fields"]
    assert not outbox(db, "payment.settled")
    rest = pay(payment, bill, headers={"Idempotency-Key": "k-1"})  # the outstanding 50.000
    assert rest.status_code == 201 and rest.json()["bill"]["status"] == "paid"
    replay = pay(payment, bill, headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == rest.json()
    year = now().year
    assert [first.json()["receipt"]["receipt_no"], rest.json()["receipt"]["receipt_no"]] == \
        [f"PL-{year}-0000001", f"PL-{year}-0000002"]
    [settled] = outbox(db, "payment.settled")
    assert (settled["bill_id"], settled["paid"]) == (str(bill["id"]), bill["amount"])
    html = payment.get(rest.json()["receipt"]["url"] + "?format=html", token=officer(bill))
    assert html.status_code == 200 and "BIÊN LAI THU PHÍ, LỆ PHÍ" in html.text
    assert "Năm mươi nghìn đồng" in html.text and "0000002" in html.text
    assert "079190001234" not in html.text
    assert pay(payment, bill).status_code == 409  # nothing outstanding


def test_card_payment_keeps_the_terminal_reference_once(payment, bill_for, db):
    bill, other = bill_for(), bill_for()
    done = pay(payment, bill, "card", terminal_id="POS-03", terminal_reference="A1B2C3D4")
    assert done.status_code == 201, done.text
    assert done.json()["payment"]["reference"] == "A1B2C3D4"
    assert done.json()["bill"]["status"] == "paid"
    again = pay(payment, other, "card", terminal_id="POS-03", terminal_reference="A1B2C3D4")
    assert again.status_code == 409
    missing = pay(payment, other, "card")
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"terminal_id", "terminal_reference"}
    portal_cash = payment.post(f"/api/v1/bills/{other['id']}/payments", token=token("portal"),
                               json={"channel": "cash"})
    assert portal_cash.status_code == 403
    elsewhere = payment.post(f"/api/v1/bills/{other['id']}/payments", json={"channel": "cash"},
                             token=token("counter_officer", department="nobody"))
    assert elsewhere.status_code == 404


# --- online --------------------------------------------------------------------------------
def start_online(client, bill, **body):
    started = pay(client, bill, "online", ip_addr="113.161.0.10", **body)
    assert started.status_code == 201, started.text
    return started.json()


def ipn(client, params):
    response = client.get("/api/v1/gateway/vnpay/ipn", params=params)
    assert response.status_code == 200
    return response.json()["RspCode"]


def test_ipn_valid_tampered_wrong_secret_and_replay(payment, bill_for, db):
    bill = bill_for()
    started = start_online(payment, bill)
    asked = redirect_params(started["pay_url"])
    assert asked["vnp_Amount"] == str(bill["amount"] * 100)
    assert asked["vnp_TxnRef"] == started["payment"]["reference"]
    valid = ipn_params(SECRET, started["pay_url"])
    tampered = {**valid, "vnp_Amount": "100"}
    assert ipn(payment, tampered) == "97"
    assert ipn(payment, ipn_params("not-our-secret-xxxxxxxxxxxxxxxxxxx", started["pay_url"])) == "97"
    assert ipn(payment, ipn_params(SECRET, started["pay_url"], amount=1000)) == "04"
    assert ipn(payment, {**ipn_params(SECRET, started["pay_url"]), "vnp_TxnRef": "NOPE"}) == "97"
    assert not outbox(db, "payment.settled")
    assert ipn(payment, valid) == "00"
    assert ipn(payment, valid) == "02"  # the same notification again: confirmed once
    [settled] = outbox(db, "payment.settled")
    assert settled["bill_id"] == str(bill["id"])
    assert len(query(db, "SELECT 1 FROM payment.ledger")) == 1
    assert [r["outcome"] for r in query(db, "SELECT outcome FROM payment.gateway_notifications"
                                            " ORDER BY id")] == \
        ["invalid_signature", "invalid_signature", "amount_mismatch", "invalid_signature",
         "confirmed", "replay"]
    view = payment.get(f"/api/v1/bills/{bill['id']}", token=token("portal")).json()
    assert view["status"] == "paid" and view["payments"][0]["status"] == "succeeded"
    returned = payment.get("/api/v1/gateway/vnpay/return", params=valid)
    assert returned.status_code == 200 and returned.json()["payment_status"] == "succeeded"
    assert payment.get("/api/v1/gateway/vnpay/return", params=tampered).status_code == 400


def test_a_citizens_token_opens_its_one_dossiers_bills_and_pays_them_online_only(
        payment, bill_for, db):
    bill, other = bill_for(), bill_for()
    citizen = token("citizen", dossier=bill["dossier_code"])
    seen = payment.get("/api/v1/bills", params={"dossier_code": bill["dossier_code"]},
                       token=citizen).json()
    assert [b["id"] for b in seen["bills"]] == [str(bill["id"])]
    # another dossier's bills do not exist for it, whichever way they are asked
    assert payment.get("/api/v1/bills", params={"dossier_code": other["dossier_code"]},
                       token=citizen).json()["bills"] == []
    assert payment.get(f"/api/v1/bills/{other['id']}", token=citizen).status_code == 404
    assert payment.post(f"/api/v1/bills/{other['id']}/payments", token=citizen,
                        json={"channel": "online"}).status_code == 404
    cash = payment.post(f"/api/v1/bills/{bill['id']}/payments", token=citizen,
                        json={"channel": "cash"})
    assert cash.status_code == 403 and "người nộp hồ sơ" in cash.json()["error"]["message"]
    started = payment.post(f"/api/v1/bills/{bill['id']}/payments", token=citizen,
                           json={"channel": "online", "ip_addr": "113.161.0.10"})
    assert started.status_code == 201, started.text
    assert ipn(payment, ipn_params(SECRET, started.json()["pay_url"])) == "00"
    [receipt] = payment.get(f"/api/v1/bills/{bill['id']}", token=citizen).json()["receipts"]
    assert payment.get(receipt["url"], token=citizen).status_code == 200
    assert payment.get(receipt["url"], token=token("citizen", dossier=other["dossier_code"])
                       ).status_code == 404


def test_a_non_ascii_signature_is_a_bad_signature_not_an_error(payment, bill_for, db):
    started = start_online(payment, bill_for())
    forged = {**ipn_params(SECRET, started["pay_url"]), "vnp_SecureHash": "chữ ký"}
    assert ipn(payment, forged) == "97"  # bad signature: the gateway does not retry it
    assert payment.get("/api/v1/gateway/vnpay/return", params=forged).status_code == 400
    assert not outbox(db, "payment.settled")


def test_a_statement_saved_with_bare_cr_line_ends_is_read(payment, db):
    day = now().date().isoformat()
    body = f"reference,amount,value_date,description\rPL-X,1000,{day},Nop tien\r".encode()
    response = import_statement(payment, body, day)
    assert response.status_code == 201, response.text
    [report] = response.json()["channels"]
    assert report["summary"]["counts"]["missing_in_motcua"] == 1


def test_declined_online_payment_leaves_the_bill_open(payment, bill_for, db):
    bill = bill_for()
    started = start_online(payment, bill)
    assert ipn(payment, ipn_params(SECRET, started["pay_url"], paid=False)) == "00"
    view = payment.get(f"/api/v1/bills/{bill['id']}", token=token("portal")).json()
    assert view["status"] == "open" and view["payments"][0]["status"] == "failed"
    assert not query(db, "SELECT 1 FROM payment.ledger")
    assert ipn(payment, ipn_params(SECRET, started["pay_url"], paid=False)) == "02"


def test_money_confirmed_after_we_gave_up_is_still_taken(payment, bill_for, db):
    bill = bill_for()
    started = start_online(payment, bill)
    with db.cursor() as cur:  # the scheduled check cancelled it when the link expired
        cur.execute("UPDATE payment.payments SET status = 'cancelled'")
    assert ipn(payment, ipn_params(SECRET, started["pay_url"])) == "00"
    view = payment.get(f"/api/v1/bills/{bill['id']}", token=token("portal")).json()
    assert view["status"] == "paid" and view["payments"][0]["status"] == "succeeded"
    assert len(query(db, "SELECT 1 FROM payment.ledger")) == 1


def test_online_without_gateway_settings_is_503(start_payment, topology, db):
    client = start_payment(VNPAY_HASH_SECRET="")
    envelope = received(fee_procedure())
    publish(topology, "intake", envelope)
    [bill] = wait_for(lambda: query(db, "SELECT * FROM payment.bills"))
    assert pay(client, bill, "online").status_code == 503


def test_overpayment_is_kept_and_refunded_explicitly(payment, bill_for, db):
    """An online payment started, then the citizen also pays cash; the gateway's confirmation
    arrives last: the money is accepted and the bill shows the refund due."""
    bill = bill_for()
    started = start_online(payment, bill)
    assert pay(payment, bill).status_code == 201
    assert ipn(payment, ipn_params(SECRET, started["pay_url"])) == "00"
    view = payment.get(f"/api/v1/bills/{bill['id']}", token=token("manager")).json()
    assert view["status"] == "overpaid" and view["refund_due"] == bill["amount"]
    assert len(outbox(db, "payment.settled")) == 1
    too_much = payment.post(f"/api/v1/bills/{bill['id']}/refunds", token=token("manager"),
                            json={"amount": bill["amount"] + 1, "channel": "online"})
    assert too_much.status_code == 422
    refunded = payment.post(f"/api/v1/bills/{bill['id']}/refunds", token=token("manager"),
                            json={"amount": bill["amount"], "channel": "online"})
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["bill"]["status"] == "paid"
    assert refunded.json()["bill"]["refund_due"] == 0
    assert [r["amount"] for r in outbox(db, "payment.refunded")] == [bill["amount"]]
    [net] = query(db, "SELECT sum(amount) AS net FROM payment.ledger")
    assert net["net"] == bill["amount"]


# --- refusal -------------------------------------------------------------------------------
def test_refused_dossier_refunds_what_was_paid_or_cancels_the_bill(payment, bill_for, topology,
                                                                  db):
    paid = bill_for(fee_procedure(refund_on_refusal=True))
    unpaid = bill_for(fee_procedure())
    assert pay(payment, paid, amount=paid["amount"] - 1000).status_code == 201
    for bill in (paid, unpaid):
        refusal = new_envelope("dossier.refused", "routing", {
            "code": bill["dossier_code"], "department": bill["department"],
            "reason": "không đủ điều kiện", "refused_at": now().isoformat()}, "corr-r")
        publish(topology, "routing", refusal)
        publish(topology, "routing", refusal)
    wait_for(lambda: len(query(db, "SELECT 1 FROM payment.processed_messages"
                                   " WHERE consumer = 'handle_dossier_refused'")) == 2)
    statuses = {r["id"]: r for r in query(db, "SELECT id, status, refunded FROM payment.bills")}
    assert statuses[paid["id"]]["status"] == "refunded"
    assert statuses[paid["id"]]["refunded"] == paid["amount"] - 1000
    assert statuses[unpaid["id"]]["status"] == "cancelled"
    [refunded] = outbox(db, "payment.refunded")
    assert refunded == {"bill_id": str(paid["id"]), "code": paid["dossier_code"],
                        "amount": paid["amount"] - 1000, "refunded_at": refunded["refunded_at"]}
    assert pay(payment, unpaid).status_code == 409


def test_a_refusal_that_overtakes_the_reception_event_still_cancels_the_bill(payment, topology,
                                                                           db):
    envelope = received(fee_procedure())
    code = envelope["data"]["code"]
    publish(topology, "routing", new_envelope("dossier.refused", "routing", {
        "code": code, "department": "stp", "reason": "không đủ điều kiện",
        "refused_at": now().isoformat()}, "corr-r"))
    wait_for(lambda: query(db, "SELECT 1 FROM payment.refused_dossiers"))
    publish(topology, "intake", envelope)
    publish(topology, "intake", envelope)  # a redelivery
    wait_for(lambda: query(db, "SELECT 1 FROM payment.processed_messages"
                               " WHERE consumer = 'handle_dossier_received'"))
    eventlet.sleep(0.3)
    [bill] = query(db, "SELECT * FROM payment.bills")
    assert (bill["status"], bill["void"]) == ("cancelled", True)
    [requested] = outbox(db, "payment.requested")  # announced, then cancelled: as ever
    assert requested["bill_id"] == str(bill["id"])
    assert outbox(db, "payment.refunded") == []
    assert len(query(db, "SELECT 1 FROM payment.processed_messages")) == 2


# --- receipts under concurrency ------------------------------------------------------------
def test_receipt_numbers_have_no_gaps_or_duplicates_under_concurrency(payment, bill_for, db):
    """Cash at the counters and gateway notifications at the same moment."""
    cash = [bill_for() for _ in range(5)]
    urls = [start_online(payment, bill_for())["pay_url"] for _ in range(5)]
    jobs = [lambda b=b: pay(payment, b).status_code for b in cash] + \
        [lambda u=u: ipn(payment, ipn_params(SECRET, u)) for u in urls]
    outcomes = list(eventlet.GreenPool(10).imap(lambda job: job(), jobs))
    assert outcomes == [201] * 5 + ["00"] * 5
    numbers = sorted(r["number"] for r in query(db, "SELECT number FROM payment.receipts"))
    assert numbers == list(range(1, 11))
    assert verify(db) == []


# --- reconciliation ------------------------------------------------------------------------
def statement(day, *lines):
    return ("reference,amount,value_date,description\n" + "".join(
        f"{ref},{amount},{day},nop tien\n" for ref, amount in lines)).encode()


def import_statement(client, body, day, channel="cash", source="treasury"):
    return client.post("/api/v1/statements", token=token("manager"), data=body,
                       params={"day": day, "channel": channel, "source": source},
                       headers={"Content-Type": "text/csv"})


def test_statement_with_every_kind_of_mismatch(payment, bill_for, db):
    refs = []
    for bill in (bill_for(), bill_for(), bill_for()):
        refs.append((pay(payment, bill).json()["payment"]["reference"], bill["amount"]))
    day = now().date().isoformat()
    body = statement(day, refs[0], (refs[1][0], refs[1][1] - 1), refs[0], ("TM-UNKNOWN", 5000))
    response = import_statement(payment, body, day)
    assert response.status_code == 201, response.text
    [report] = response.json()["channels"]
    assert report["summary"]["counts"] == {"matched": 1, "amount_mismatch": 1, "duplicate": 1,
                                           "missing_in_motcua": 1, "missing_in_statement": 1}
    missing = [i for i in report["items"] if i["outcome"] == "missing_in_statement"]
    assert [i["reference"] for i in missing] == [refs[2][0]]
    as_csv = payment.get(f"/api/v1/reconciliations/{day}?format=csv", token=token("manager"))
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert sorted(r["outcome"] for r in rows) == sorted(
        ["matched", "amount_mismatch", "duplicate", "missing_in_motcua", "missing_in_statement"])
    metrics = payment.get("/metrics").text
    assert re.search(r'motcua_reconciliation_mismatches_total\{channel="cash",'
                     r'outcome="amount_mismatch"\} [1-9]', metrics)
    assert re.search(r'motcua_payment_amount_vnd_total\{channel="cash",status="succeeded"\} '
                     r'[1-9]', metrics)
    # a corrected statement replaces the report of that day and channel
    fixed = statement(day, *refs)
    assert import_statement(payment, fixed, day).json()["channels"][0]["summary"][
        "mismatches"] == 0


def test_a_bad_statement_is_refused_whole(payment, db):
    day = now().date().isoformat()
    body = f"reference,amount,value_date\nA1,10.000,{day}\nA2,5000,2020-01-01\n".encode()
    response = import_statement(payment, body, day)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"line 2", "line 3"}
    assert not query(db, "SELECT 1 FROM payment.reconciliations")
    officer_try = payment.post("/api/v1/statements", data=body, params={
        "day": day, "channel": "cash", "source": "bank"},
        token=token("counter_officer", department="stp"))
    assert officer_try.status_code == 403
    assert payment.get(f"/api/v1/reconciliations/{day}", token=token("manager")).status_code == 404
    bad_day = payment.get("/api/v1/reconciliations/2026-13-01", token=token("manager"))
    assert bad_day.status_code == 422 and "day" in bad_day.json()["error"]["fields"]
    no_day = import_statement(payment, body, "")
    assert no_day.status_code == 422 and "day" in no_day.json()["error"]["fields"]


# --- ledger --------------------------------------------------------------------------------
def verify(db):
    with db.cursor() as cur:
        return ledger.verify(cur)


def test_tampered_or_deleted_ledger_rows_are_detected(payment, bill_for, db, db_url, capsys,
                                                     monkeypatch):
    for bill in (bill_for(), bill_for(), bill_for()):
        assert pay(payment, bill).status_code == 201
    assert verify(db) == []
    monkeypatch.setenv("DB_URL", db_url)
    root = logging.getLogger()  # the CLI sets up its own logging: undo it after the test
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    assert cli.main(["ledger", "verify"]) == 0
    assert "ledger intact: 3 movement(s)" in capsys.readouterr().out
    with pytest.raises(psycopg2.Error, match="append-only"), db.cursor() as cur:
        cur.execute("UPDATE payment.ledger SET amount = 1 WHERE seq = 2")
    with db.cursor() as cur:  # a superuser switches the trigger off
        cur.execute("ALTER TABLE payment.ledger DISABLE TRIGGER ledger_append_only")
        cur.execute("UPDATE payment.ledger SET amount = amount - 1000 WHERE seq = 2")
    try:
        problems = verify(db)
        assert any("row 2: content changed" in p for p in problems)
        assert ledger.verify_command(db_url) == 1
        assert "ledger TAMPERED" in capsys.readouterr().out
        with db.cursor() as cur:
            cur.execute("UPDATE payment.ledger SET amount = amount + 1000 WHERE seq = 2")
        assert verify(db) == []
        with db.cursor() as cur:
            cur.execute("DELETE FROM payment.ledger WHERE seq = 3")  # the last row
        assert any("has no ledger row" in p for p in verify(db))
        with db.cursor() as cur:
            cur.execute("DELETE FROM payment.ledger WHERE seq = 1")
        assert any("row 1 to 1 missing" in p for p in verify(db))
    finally:
        with db.cursor() as cur:
            cur.execute("ALTER TABLE payment.ledger ENABLE TRIGGER ledger_append_only")


# --- the scheduled check against a gateway played by a real HTTP server --------------------
class FakeGateway:
    """Answers querydr like VNPay: signed, per transaction reference."""

    def __init__(self, secret):
        self.secret = secret
        self.outcomes = {}  # txn_ref -> (response code, transaction status)
        self.amounts = {}
        self.requests = []
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.socket, self.app,
                                     log_output=False)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/merchant_webapi/api/transaction"

    def app(self, environ, start_response):
        body = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        self.requests.append(body)
        expected = hmac_sha512(self.secret, "|".join(body[f] for f in QUERY_REQUEST_FIELDS))
        ref = body["vnp_TxnRef"]
        code, status = self.outcomes.get(ref, ("91", ""))
        if body.get("vnp_SecureHash") != expected:
            code, status = "97", ""
        answer = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_Command": "querydr",
                  "vnp_ResponseCode": code, "vnp_Message": "ok", "vnp_TmnCode": body["vnp_TmnCode"],
                  "vnp_TxnRef": ref, "vnp_Amount": str(self.amounts.get(ref, 0) * 100),
                  "vnp_BankCode": "NCB", "vnp_PayDate": "20261123101500",
                  "vnp_TransactionNo": "14123456", "vnp_TransactionType": "01",
                  "vnp_TransactionStatus": status, "vnp_OrderInfo": body["vnp_OrderInfo"],
                  "vnp_PromotionCode": "", "vnp_PromotionAmount": ""}
        answer["vnp_SecureHash"] = query_response_signature(self.secret, answer)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    def close(self):
        self.thread.kill()
        self.socket.close()


@pytest.fixture
def fake_gateway():
    gateway = FakeGateway(SECRET)
    yield gateway
    gateway.close()


def test_scheduled_check_settles_fails_and_cancels_pending_payments(start_payment, fake_gateway,
                                                                    topology, db):
    client = start_payment(VNPAY_API_URL=fake_gateway.url, PENDING_CHECK_SECONDS=0.3,
                           PENDING_MIN_AGE_SECONDS=0)
    bills = []
    for _ in range(4):
        envelope = received(fee_procedure())
        publish(topology, "intake", envelope)
        bills.append(wait_for(lambda e=envelope: query(
            db, "SELECT * FROM payment.bills WHERE dossier_code = %s", (e["data"]["code"],)))[0])
    refs = [start_online(client, bill)["payment"]["reference"] for bill in bills]
    confirmed, denied, never_seen, still_open = refs
    fake_gateway.outcomes.update({confirmed: ("00", "00"), denied: ("00", "02"),
                                  still_open: ("00", "01")})
    fake_gateway.amounts.update({confirmed: bills[0]["amount"]})
    with db.cursor() as cur:  # the citizen never reached the gateway and the link expired
        cur.execute("UPDATE payment.payments SET expires_at = now() - interval '1 minute'"
                    " WHERE reference = %s", (never_seen,))

    def statuses():
        rows = query(db, "SELECT reference, status FROM payment.payments")
        return {r["reference"]: r["status"] for r in rows}

    wait_for(lambda: statuses()[confirmed] == "succeeded" and statuses()[denied] == "failed"
             and statuses()[never_seen] == "cancelled")
    assert statuses()[still_open] == "pending"
    [settled] = outbox(db, "payment.settled")
    assert settled["bill_id"] == str(bills[0]["id"])
    assert {r["vnp_Command"] for r in fake_gateway.requests} == {"querydr"}
    receipts = query(db, "SELECT 1 FROM payment.receipts")
    assert len(receipts) == 1


def test_daily_check_runs_once_a_day_over_yesterdays_pending_payments(payment, bill_for,
                                                                     fake_gateway, db, db_url):
    paid_late, abandoned = bill_for(), bill_for()
    refs = [start_online(payment, b)["payment"]["reference"] for b in (paid_late, abandoned)]
    with db.cursor() as cur:  # both started yesterday; one was last checked a minute ago
        cur.execute("UPDATE payment.payments SET created_at = now() - interval '1 day',"
                    " expires_at = now() - interval '23 hours', last_checked_at = now()")
    fake_gateway.outcomes[refs[0]] = ("00", "00")
    fake_gateway.amounts[refs[0]] = paid_late["amount"]
    settings = payment_settings(VNPAY_API_URL=fake_gateway.url)
    pool = Pool(db_url, 2)
    yesterday = now().date() - timedelta(days=1)
    try:
        summary = online.daily_check(pool, Vnpay(settings), settings, yesterday, "corr-daily")
        assert summary == {"settled": 1, "cancelled": 1}
        assert online.daily_check(pool, Vnpay(settings), settings, yesterday, "corr-2") is None
    finally:
        pool.close()
    statuses = {r["reference"]: r["status"] for r in
                query(db, "SELECT reference, status FROM payment.payments")}
    assert statuses == {refs[0]: "succeeded", refs[1]: "cancelled"}
