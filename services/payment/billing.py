"""Bills and the money that moves against them.

A bill is what a citizen owes for a dossier (phí + lệ phí) or a shipment (postal charge).
Its status follows from what was paid and refunded:
open (nothing paid), partially_paid, paid, overpaid (more than owed: a refund is due),
cancelled (voided before anything was paid), refunded (voided and everything paid returned).
Counter channels refuse to take more than is outstanding (the officer gives change); money
that arrives anyway (an online payment confirmed after the bill was paid at the counter) is
accepted and the bill becomes overpaid with `refund_due`.

Every completed payment and refund is written, in the same transaction, to the ledger, gets
its receipt (payments) and its event through the outbox.
"""
import logging
import secrets
import uuid

import psycopg2
from prometheus_client import Counter

from services.common.consumer import bind_envelope, first_delivery, is_repeated_delivery
from services.common.contracts import PaymentRefunded, PaymentRequested, PaymentSettled
from services.common.events import TIMEZONE, event, now, publish
from services.common.money import vnd

from . import ledger, receipts, store
from .errors import DuplicateReference, NoRefundDue, NoSuchBill, NotPayable, TooMuch
from .gateway import new_txn_ref

log = logging.getLogger("motcua.payment")

SOURCE = "payment"  # of the events billing publishes
CHANNELS = ("cash", "card", "online")
ALREADY_RECORDED = "Mã tham chiếu này đã được ghi nhận rồi."

PAYMENTS = Counter("motcua_payments_total", "Payments by channel and outcome",
                   ["channel", "status"])
PAYMENT_AMOUNT = Counter("motcua_payment_amount_vnd_total", "VND by channel and payment outcome",
                         ["channel", "status"])
BILLS = Counter("motcua_bills_total", "Bills by kind and the status they reached",
                ["kind", "status"])
REFUNDS = Counter("motcua_refunds_total", "Refunds by channel", ["channel"])
REFUND_AMOUNT = Counter("motcua_refund_amount_vnd_total", "VND refunded by channel", ["channel"])


def owed(bill):
    return 0 if bill["void"] else bill["amount"]


def net_paid(bill):
    return bill["paid"] - bill["refunded"]


def outstanding(bill):
    return max(owed(bill) - net_paid(bill), 0)


def refund_due(bill):
    return max(net_paid(bill) - owed(bill), 0)


def status_of(bill):
    net = net_paid(bill)
    if bill["void"]:
        if net > 0:
            return "overpaid"
        return "refunded" if bill["paid"] else "cancelled"
    if net == 0:
        return "open"
    if net < bill["amount"]:
        return "partially_paid"
    return "paid" if net == bill["amount"] else "overpaid"


def _publish(cur, event_type, contract, data, bill, correlation_id):
    publish(cur, SOURCE, event_type, contract, data, correlation_id, bill["dossier_code"])


# --- bills ------------------------------------------------------------------------------------
def new_bill(envelope, kind, source_ref, dossier_code, description, fee=0, charge=0,
             procedure=None, payer_name=None):
    """The row of the bill an event asks for, or None when nothing is owed."""
    amount = fee + charge
    if amount <= 0:
        return None
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "source_ref": source_ref,
        "source_event_id": envelope["id"],
        "dossier_code": dossier_code,
        "department": procedure["department"] if procedure else None,
        "procedure_code": procedure["code"] if procedure else None,
        "payer_name": payer_name,
        "description": description,
        "fee": fee,
        "charge": charge,
        "amount": amount,
        "refund_on_refusal": bool(procedure and procedure["refund_on_refusal"]),
    }


# What a dossier's bill is made of: dossier.received is checked for these fields only.
DOSSIER_BILL_FIELDS = ("code", "applicant.full_name", "applicant.organisation",
                       "procedure.code", "procedure.name", "procedure.department",
                       "procedure.fee", "procedure.charge", "procedure.refund_on_refusal")


def dossier_bill(envelope, data):
    procedure = data["procedure"]
    return new_bill(
        envelope, "fee", data["code"], data["code"],
        f"{procedure['name']} (thủ tục {procedure['code']})",
        fee=procedure["fee"], charge=procedure["charge"], procedure=procedure,
        payer_name=payer_name(data["applicant"]),
    )


def payer_name(applicant):
    """Who pays: the organisation that applies, or the citizen (dossier.received version 4
    names an organisation; before, every applicant was a citizen)."""
    organisation = applicant.get("organisation")
    return organisation["name"] if organisation else applicant["full_name"]


# What a shipment's bill is made of: postal.shipment_created is checked for these only.
SHIPMENT_BILL_FIELDS = ("shipment_id", "tracking_number", "code", "fee")


def shipment_bill(envelope, data):
    return new_bill(
        envelope, "postal", data["shipment_id"], data["code"],
        f"Cước bưu chính, vận đơn {data['tracking_number']}", fee=data["fee"],
    )


def _requested(settings, bill):
    """payment.requested's data: the new bill, and where the portal lets the citizen pay it."""
    pay_url = (settings.portal_pay_url or "").replace("{bill_id}", str(bill["id"])) or None
    return {"bill_id": str(bill["id"]), "code": bill["dossier_code"], "kind": bill["kind"],
            "amount": bill["amount"], "description": bill["description"], "pay_url": pay_url}


def payment_requested(settings, bill, correlation_id):
    """The envelope announcing a new bill, checked against its contract."""
    return event(SOURCE, "payment.requested", PaymentRequested, _requested(settings, bill),
                 correlation_id, bill["dossier_code"])


REFUSED_BEFORE_BILLED = "refused before billed"


def bill_at_once(db, settings, deliveries):
    """One round trip for `deliveries`, each (envelope, consumer, the bill it owes or None, the
    code of its dossier or None): records each delivery and, when its bill is owed and its
    source has none yet, inserts it with its payment.requested (store.insert_bills_once).
    Returns, per delivery, its new bill (the values inserted); None (nothing owed, the source
    billed already); or REFUSED_BEFORE_BILLED when its dossier was refused already (nothing of
    it was written: `bill_for_dossier` bills and cancels it). A repeated delivery makes
    several fail (the batch handler then runs each alone); alone, it returns [None]."""
    rows = [{"message_id": envelope["id"], "consumer": consumer, "refused_code": refused_code,
             "bill": bill,
             "event": bill and payment_requested(settings, bill, envelope["correlation_id"])}
            for envelope, consumer, bill, refused_code in deliveries]
    try:
        with db.autocommit() as cur:
            outcomes = store.insert_bills_once(cur, rows)
    except psycopg2.Error as exc:
        if len(rows) > 1 or not is_repeated_delivery(exc):
            raise
        return [None]
    return [_new_bill(outcome, row["bill"]) for outcome, row in zip(outcomes, rows, strict=True)]


def _new_bill(outcome, bill):
    if outcome["refused"]:
        return REFUSED_BEFORE_BILLED
    if not outcome["billed"]:
        return None
    BILLS.labels(bill["kind"], "open").inc()
    return bill


def create_bill(cur, settings, envelope, bill):
    """Inside the caller's transaction: the new bill (and payment.requested), or None when
    nothing is owed or this source already has one."""
    if bill is None:
        return None
    bill = store.insert_bill(cur, bill)
    if bill is None:
        return None
    _publish(cur, "payment.requested", PaymentRequested, _requested(settings, bill), bill,
             envelope["correlation_id"])
    BILLS.labels(bill["kind"], "open").inc()
    return bill


def bill_for_dossier(cur, settings, envelope, data):
    """`bill_at_once`'s transactional twin for a dossier whose refusal came first."""
    bill = create_bill(cur, settings, envelope, dossier_bill(envelope, data))
    refusal = store.refusal_of(cur, data["code"]) if bill else None
    if refusal:  # the refusal overtook the reception event: nothing is owed
        bill, _ = refuse(cur, bill, refusal["reason"], envelope["correlation_id"])
    return bill


# --- bills from events ------------------------------------------------------------------------
def bill_received_dossiers(db, settings, consumer, events):
    """dossier.received, a batch at a time ([(envelope, data)], deliveries recorded under
    `consumer`): each dossier whose procedure has a fee gets its bill."""
    bills = bill_at_once(db, settings, [
        (envelope, consumer, dossier_bill(envelope, data), data["code"])
        for envelope, data in events])
    for (envelope, data), bill in zip(events, bills, strict=True):
        bind_envelope(envelope)
        if bill == REFUSED_BEFORE_BILLED:
            bill = _bill_refused_dossier(db, settings, consumer, envelope, data)
        if bill:
            log.info("dossier billed", extra={"dossier_code": data["code"],
                                              "bill_id": str(bill["id"]), "amount": bill["amount"]})


def _bill_refused_dossier(db, settings, consumer, envelope, data):
    """Rare: the refusal overtook dossier.received. The bill is made and cancelled at once."""
    with db.transaction() as cur:
        if not first_delivery(cur, store.SCHEMA, envelope["id"], consumer):
            return None
        return bill_for_dossier(cur, settings, envelope, data)


def bill_shipments(db, settings, consumer, events):
    """postal.shipment_created, a batch at a time: each shipment's postal charge is billed
    (a refusal of its dossier does not cancel it)."""
    bills = bill_at_once(db, settings, [
        (envelope, consumer, shipment_bill(envelope, data), None) for envelope, data in events])
    for (envelope, data), bill in zip(events, bills, strict=True):
        bind_envelope(envelope)
        if bill:
            log.info("shipment billed", extra={"dossier_code": data["code"],
                                               "bill_id": str(bill["id"]), "amount": bill["amount"]})


def close_bills_of_refused_dossier(cur, envelope, data):
    """dossier.refused: remembered (its dossier.received may still come), and the dossier's
    fee bills closed (`refuse`)."""
    store.record_refusal(cur, data["code"], data["reason"], data["refused_at"])
    for bill in store.bills_of_dossier(cur, data["code"], kind="fee", lock=True):
        bill, refunds = refuse(cur, bill, data["reason"], envelope["correlation_id"])
        log.info("bill of a refused dossier closed", extra={
            "dossier_code": data["code"], "bill_id": str(bill["id"]),
            "status": bill["status"], "refunds": len(refunds)})


# --- payments ---------------------------------------------------------------------------------
def payable_bill(cur, bill_id):
    """The bill, locked, if money may still be taken for it."""
    bill = store.get_bill(cur, bill_id, lock=True)
    if bill is None:
        raise NoSuchBill(f"Không có hóa đơn {bill_id}.")
    if bill["void"]:
        raise NotPayable(f"Hóa đơn {bill_id} đã đóng (trạng thái {bill['status']}): không thu "
                         "thêm được.", "bill_closed")
    if outstanding(bill) == 0:
        raise NotPayable(f"Hóa đơn {bill_id} không còn khoản nào phải nộp (trạng thái "
                         f"{bill['status']}).", "nothing_outstanding")
    return bill


def check_amount(bill, amount):
    due = outstanding(bill)
    if amount > due:
        raise TooMuch("Số tiền vượt quá số còn phải nộp.", "amount", {
            "amount": [f"Số tiền {vnd(amount)} vượt quá số còn phải nộp {vnd(due)}: hãy trả lại "
                       f"tiền thừa hoặc chỉ thu {due}."]})


def record_counter_payment(cur, settings, bill, channel, amount, recorded_by, correlation_id,
                           terminal_id=None, terminal_reference=None):
    """Cash or card taken at the counter: completed at once, with its receipt."""
    check_amount(bill, amount)
    at = now()
    numbering = receipts.reserve(cur, settings, bill, at)
    reference = receipts.receipt_no(*numbering) if channel == "cash" else terminal_reference
    payment = store.insert_payment(cur, {
        "id": uuid.uuid4(), "bill_id": bill["id"], "channel": channel, "amount": amount,
        "status": "succeeded", "reference": reference, "terminal_id": terminal_id,
        "recorded_by": recorded_by, "expires_at": None, "created_at": at, "completed_at": at,
    })
    if payment is None:
        raise DuplicateReference(
            f"Khoản thanh toán {channel} có mã tham chiếu {reference} đã được ghi nhận rồi.",
            "duplicate_reference",
            {"terminal_reference": [ALREADY_RECORDED]} if channel == "card" else None)
    return complete(cur, settings, bill, payment, correlation_id, numbering)


def complete(cur, settings, bill, payment, correlation_id, numbering=None):
    """A payment's money has arrived: ledger, receipt, the bill's new status, events."""
    # Locks in one order on every path (receipt counter, then the ledger's head) so two
    # payments never wait on each other in a circle.
    numbering = numbering or receipts.reserve(cur, settings, bill,
                                              payment["completed_at"])
    ledger.append(cur, "payment", payment["id"], bill, payment["channel"], payment["amount"],
                  payment["reference"], at=payment["completed_at"])
    paid = bill["paid"] + payment["amount"]
    changed = {**bill, "paid": paid}
    receipt = receipts.issue(cur, settings, bill, payment, numbering,
                             net_paid(changed))
    updates = {"paid": paid, "status": status_of(changed)}
    newly_settled = not bill["void"] and bill["settled_at"] is None and net_paid(changed) >= \
        bill["amount"]
    if newly_settled:
        updates["settled_at"] = payment["completed_at"]
    bill = store.update_bill(cur, bill["id"], **updates)
    PAYMENTS.labels(payment["channel"], "succeeded").inc()
    PAYMENT_AMOUNT.labels(payment["channel"], "succeeded").inc(payment["amount"])
    BILLS.labels(bill["kind"], bill["status"]).inc()
    if newly_settled:
        _publish(cur, "payment.settled", PaymentSettled, {
            "bill_id": str(bill["id"]), "code": bill["dossier_code"], "kind": bill["kind"],
            "amount": bill["amount"], "paid": net_paid(bill),
            "settled_at": bill["settled_at"].isoformat(),
        }, bill, correlation_id)
    if bill["status"] == "overpaid":
        log.warning("bill overpaid, refund due", extra={
            "bill_id": str(bill["id"]), "dossier_code": bill["dossier_code"],
            "refund_due": refund_due(bill)})
    return {"payment": payment, "bill": bill, "receipt": receipt}


def start_online_payment(cur, gateway, bill, amount, ip_addr, recorded_by, bank_code=None):
    """A pending online payment and the signed URL to send the citizen to."""
    check_amount(bill, amount)
    at = now()
    txn_ref = new_txn_ref(at)
    url, expires_at = gateway.payment_url(
        txn_ref, amount, f"Thanh toan {bill['kind']} ho so {bill['dossier_code']}", ip_addr, at,
        bank_code=bank_code)
    payment = store.insert_payment(cur, {
        "id": uuid.uuid4(), "bill_id": bill["id"], "channel": "online", "amount": amount,
        "status": "pending", "reference": txn_ref, "terminal_id": None,
        "recorded_by": recorded_by, "expires_at": expires_at, "created_at": at,
        "completed_at": None,
    })
    PAYMENTS.labels("online", "pending").inc()
    return payment, url


def confirm_online(cur, settings, payment, transaction_no, bank_code, response_code, paid_at,
                   correlation_id):
    payment = store.finish_online_payment(cur, payment["id"], "succeeded", transaction_no,
                                          bank_code, response_code, paid_at)
    bill = store.get_bill(cur, payment["bill_id"], lock=True)
    return complete(cur, settings, bill, payment, correlation_id)


def end_online(cur, payment, status, response_code, transaction_no=None, bank_code=None):
    """The gateway says the payment failed, or it expired: no money moved."""
    store.finish_online_payment(cur, payment["id"], status, transaction_no, bank_code,
                                response_code, now())
    PAYMENTS.labels("online", status).inc()
    PAYMENT_AMOUNT.labels("online", status).inc(payment["amount"])


# --- refunds ----------------------------------------------------------------------------------
def new_refund_reference(at):
    return f"RF{at.astimezone(TIMEZONE):%y%m%d}{secrets.token_hex(5).upper()}"


def record_refund(cur, bill, amount, channel, reason, recorded_by, correlation_id,
                  reference=None, payment_id=None):
    at = now()
    refund = store.insert_refund(cur, {
        "id": uuid.uuid4(), "bill_id": bill["id"], "payment_id": payment_id, "channel": channel,
        "amount": amount, "reason": reason, "reference": reference or new_refund_reference(at),
        "recorded_by": recorded_by, "completed_at": at,
    })
    if refund is None:
        raise DuplicateReference(
            f"Khoản hoàn tiền {channel} có mã tham chiếu {reference} đã được ghi nhận rồi.",
            "duplicate_reference", {"reference": [ALREADY_RECORDED]})
    ledger.append(cur, "refund", refund["id"], bill, channel, -amount, refund["reference"], at=at)
    refunded = bill["refunded"] + amount
    bill = store.update_bill(cur, bill["id"], refunded=refunded,
                             status=status_of({**bill, "refunded": refunded}))
    _publish(cur, "payment.refunded", PaymentRefunded, {
        "bill_id": str(bill["id"]), "code": bill["dossier_code"], "amount": amount,
        "refunded_at": at.isoformat(),
    }, bill, correlation_id)
    REFUNDS.labels(channel).inc()
    REFUND_AMOUNT.labels(channel).inc(amount)
    BILLS.labels(bill["kind"], bill["status"]).inc()
    return refund, bill


def refund_excess(cur, bill, amount, channel, reference, recorded_by, correlation_id):
    due = refund_due(bill)
    if due == 0:
        raise NoRefundDue(f"Hóa đơn {bill['id']} không có khoản nào phải hoàn trả (trạng thái "
                          f"{bill['status']}).")
    if amount > due:
        raise TooMuch("Số tiền vượt quá số phải hoàn trả.", "amount",
                      {"amount": [f"Chỉ phải hoàn trả tối đa {vnd(due)}."]})
    return record_refund(cur, bill, amount, channel, "overpayment", recorded_by, correlation_id,
                         reference=reference)


def refuse(cur, bill, reason, correlation_id):
    """The dossier was refused: an unpaid bill is cancelled; what was paid goes back through
    the channels it came by when the procedure refunds on refusal."""
    if bill["void"]:
        return bill, []
    if bill["paid"] == 0:
        bill = store.update_bill(cur, bill["id"], void=True, status="cancelled")
        BILLS.labels(bill["kind"], "cancelled").inc()
        return bill, []
    if not bill["refund_on_refusal"]:
        return bill, []
    bill = store.update_bill(cur, bill["id"], void=True, status=status_of({**bill, "void": True}))
    refunds = []
    already = store.refunded_per_payment(cur, bill["id"])
    for payment in store.payments_of_bill(cur, bill["id"]):
        left = payment["amount"] - already.get(payment["id"], 0)
        if payment["status"] != "succeeded" or left <= 0 or refund_due(bill) == 0:
            continue
        amount = min(left, refund_due(bill))
        refund, bill = record_refund(cur, bill, amount, payment["channel"],
                                     f"dossier refused: {reason}"[:500], "payment",
                                     correlation_id, payment_id=payment["id"])
        refunds.append(refund)
    return bill, refunds
