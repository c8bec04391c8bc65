"""What the portal's payment platform (portalpay.py) says about our payments: a payment
started (INIT), the platform's confirmation, the scheduled status query of pending ones, and
the e-receipt (GET_BILL) kept once paid. Settling is the same as for VNPay (billing), so the
ledger, receipts, `payment.settled` and the day's reconciliation of the online channel
include these payments; their statement reference is MaThamChieu."""
import json
import logging
import uuid
from datetime import datetime, time, timedelta

from prometheus_client import Counter

from services.common import idempotency
from services.common.errors import Conflict
from services.common.events import TIMEZONE, now

from . import billing, cashier, store, views
from .gateway import GatewayError, new_txn_ref
from .online import scheduled_run
from .portalpay import (
    ACK_ALREADY_CONFIRMED,
    ACK_CONFIRMED,
    ACK_INVALID_AMOUNT,
    ACK_INVALID_HASH,
    ACK_NOT_FOUND,
    ACK_UNKNOWN_ERROR,
    FAILED,
    NOT_FOUND,
    OK,
    PAID,
    PENDING,
    PlatformRefused,
    PortalPayUnavailable,
    confirmation_answer,
)

log = logging.getLogger("motcua.payment.portal_online")

CONFIRMATIONS = Counter("motcua_portal_payment_confirmations_total",
                        "Confirmations from the portal's payment platform by outcome",
                        ["outcome"])
CHECKS = Counter("motcua_portal_payment_checks_total",
                 "Status queries of pending portal payments by outcome", ["outcome"])


def start(db, portal, caller, bill_id, body, key, digest):
    """A payment through the portal's platform: (HTTP status, answer, replayed). No
    transaction is open while INIT is sent: the payment is reserved and committed first, then
    INIT is sent, then its URL is kept and the answer saved under the Idempotency-Key. A retry
    with the same key gets the saved answer, or takes the same reservation (sent again under
    a new reference: the platform may hold the old one, whose URL never reached us), so it
    never makes a second payment."""
    portal.require_configured()
    with db.transaction() as cur:
        earlier = key and idempotency.earlier_answer(cur, store.SCHEMA, caller.subject, key,
                                                     digest)
        if earlier:
            return *earlier, True
        bill = billing.payable_bill(cur, cashier.visible_bill(cur, caller, bill_id,
                                                              lock=True)["id"])
        payment = reserve(cur, bill, body["amount"] or billing.outstanding(bill),
                          caller.subject, key and idempotency.request_hash(caller.subject, key))
    url = payment["pay_url"] or send_init(db, portal, payment, bill)
    with db.transaction() as cur:
        payment = store.started(cur, payment["id"], payment["reference"], url)
        if payment is None:
            raise Conflict("Yêu cầu thanh toán này đang được gửi lại cùng lúc; xin thử lại sau "
                           "ít giây.", "payment_start_in_progress")
        answer = json.loads(json.dumps(views.online_payment_answer(payment, url), default=str))
        if key:
            held, earlier = idempotency.claim(cur, store.SCHEMA, caller.subject, key, digest)
            if earlier:
                return *earlier, True
            idempotency.save(cur, held, 201, answer)
    billing.PAYMENTS.labels("online", "pending").inc()
    return 201, answer, False


def reserve(cur, bill, amount, recorded_by, start_key):
    """The payment this request reserved on an earlier try (under a new reference if INIT
    never answered), or a new one."""
    earlier = store.reserved_by(cur, start_key) if start_key else None
    if earlier is not None:
        billing.check_amount(bill, earlier["amount"])
        if earlier["pay_url"]:
            return earlier
        at = now()
        return store.renew_reference(cur, earlier["id"], new_txn_ref(at), at)
    billing.check_amount(bill, amount)
    at = now()
    return store.reserve_portal_payment(cur, {
        "id": uuid.uuid4(), "bill_id": bill["id"], "amount": amount,
        "reference": new_txn_ref(at), "recorded_by": recorded_by, "created_at": at,
        "start_key": start_key})


def send_init(db, portal, payment, bill):
    """INIT, outside any transaction: the URL. A refusal cancels the reservation (the
    platform holds nothing); no answer keeps it pending for a retry, and for the checks."""
    reference = payment["reference"]
    try:
        return portal.init(reference, payment["amount"], bill, payment["created_at"])
    except PlatformRefused as exc:
        with db.transaction() as cur:
            billing.end_online(cur, payment, "cancelled", exc.code)
        failure = exc
    except GatewayError as exc:
        failure = exc
    log.warning("portal payment INIT failed", extra={"txn_ref": reference,
                                                     "error": str(failure)[:300]})
    raise PortalPayUnavailable("Nền tảng thanh toán của Cổng DVCQG chưa trả lời; xin thử "
                               "lại sau ít phút.") from failure


def _ack(cur, reference, outcome, ack, level=logging.WARNING):
    store.record_notification(cur, "dvcqg_confirm", reference, outcome, ack[0])
    CONFIRMATIONS.labels(outcome).inc()
    log.log(level, "portal payment confirmation", extra={"txn_ref": reference,
                                                          "outcome": outcome, "code": ack[0]})
    return ack


def answer_confirmation(db, portal, settings, message, correlation_id):
    """The platform's confirmation answered in its own transaction, whatever happens; once
    paid, the e-receipt is fetched after the commit (a failure there leaves the payment paid
    and the receipt to the next status check)."""
    try:
        with db.transaction() as cur:
            ack, paid = confirm(cur, portal, settings, message, correlation_id)
    except Exception:  # noqa: BLE001 - the platform must get its answer and retry
        log.exception("portal confirmation could not be processed",
                      extra={"txn_ref": message.get("MaThamChieu")})
        ack, paid = ACK_UNKNOWN_ERROR, None
    if paid is not None:
        keep_receipt(db, portal, paid)
    return confirmation_answer(ack, message, portal.partner)


def confirm(cur, portal, settings, message, correlation_id):
    """(the answer, the payment settled now or None)."""
    reference = (str(message.get("MaThamChieu") or ""))[:100] or None
    if not portal.verify_confirmation(message):
        return _ack(cur, reference, "invalid_signature", ACK_INVALID_HASH), None
    if message.get("MaDoiTac") != portal.partner or reference is None:
        return _ack(cur, reference, "unknown_order", ACK_NOT_FOUND), None
    payment = store.payment_by_reference(cur, "online", reference, lock=True)
    if payment is None or payment["provider"] != "dvcqg":
        return _ack(cur, reference, "unknown_order", ACK_NOT_FOUND), None
    if str(message.get("SoTien")) != str(payment["amount"]):
        return _ack(cur, reference, "amount_mismatch", ACK_INVALID_AMOUNT, logging.ERROR), None
    paid = str(message.get("MaLoi")) == OK
    if payment["status"] == "succeeded" or (payment["status"] != "pending" and not paid):
        return _ack(cur, reference, "replay", ACK_ALREADY_CONFIRMED), None
    outcome = _apply(cur, settings, payment, PAID if paid else FAILED,
                     message.get("MaGiaoDich"), correlation_id)
    _ack(cur, reference, outcome, ACK_CONFIRMED, logging.INFO)
    return ACK_CONFIRMED, (payment if outcome == "confirmed" else None)


def _apply(cur, settings, payment, status, transaction_no, correlation_id):
    """The platform's word on a payment: PAID, FAILED, or else still pending."""
    if status == PAID:
        billing.confirm_online(cur, settings, payment, transaction_no, None, status, now(),
                               correlation_id)
        return "confirmed"
    if status == FAILED:
        billing.end_online(cur, payment, "failed", status, transaction_no)
        return "declined"
    return "still_pending"


def keep_receipt(db, portal, payment):
    try:
        receipt = portal.bill(payment["reference"], payment["created_at"])
    except GatewayError as exc:
        log.warning("portal e-receipt not fetched", extra={"txn_ref": payment["reference"],
                                                           "error": str(exc)[:300]})
        return False
    with db.transaction() as cur:
        store.keep_portal_receipt(cur, payment["id"], receipt)
    return True


def run_scheduled_check(db, portal, settings):
    """The timer's run: its own correlation id for logs and events."""
    correlation_id = scheduled_run("portal-pending-check")
    summary = run_pending_check(db, portal, settings, correlation_id)
    if summary:
        log.info("pending portal payments checked", extra={"summary": summary})


def run_daily_check(db, portal, settings):
    """Every tick: yesterday's recheck of the portal's payments, if no instance ran it yet."""
    correlation_id = scheduled_run("portal-daily-check")
    if not portal.configured:
        return
    yesterday = now().date() - timedelta(days=1)
    summary = daily_check(db, portal, settings, yesterday, correlation_id)
    if summary is not None:
        log.info("daily check of portal payments", extra={"day": yesterday.isoformat(),
                                                          "summary": summary})



def run_pending_check(db, portal, settings, correlation_id):
    """Pending portal payments older than the minimum age are asked about; paid ones without
    their e-receipt get it. Counts by outcome."""
    if not portal.configured:
        return {}
    moment = now()
    summary = check_pending(db, portal, settings, correlation_id,
                            moment - timedelta(seconds=settings.pending_min_age_seconds),
                            moment - timedelta(seconds=settings.pending_check_seconds))
    with db.transaction() as cur:
        unreceipted = store.paid_without_portal_receipt(cur)
    for payment in unreceipted:
        keep_receipt(db, portal, payment)
    return summary


def daily_check(db, portal, settings, day, correlation_id):
    """Once per day: every portal payment started before `day` ended and still pending is
    asked about again, whenever it was last checked, and settled, failed or expired as the
    platform says; None when another instance ran it. A payment the confirmation or an
    earlier run resolved is left as it is."""
    end_of_day = datetime.combine(day + timedelta(days=1), time(), TIMEZONE)
    with db.transaction() as cur:
        if not store.claim_daily_check(cur, day, "dvcqg"):
            return None
    summary = check_pending(db, portal, settings, correlation_id, end_of_day, end_of_day,
                            expire=True)
    with db.transaction() as cur:
        store.finish_daily_check(cur, day, summary, "dvcqg")
    return summary


def check_pending(db, portal, settings, correlation_id, started_before, checked_before,
                  expire=False):
    """Ask the platform about each pending portal payment started before `started_before`
    and not asked about since `checked_before`; with `expire`, one the platform still holds
    as pending is given up (the citizen left it). Counts by outcome."""
    with db.transaction() as cur:
        candidates = store.pending_online_payments(cur, started_before, checked_before,
                                                   provider="dvcqg")
    summary = {}
    for payment in candidates:
        try:
            said = portal.status(payment["reference"], payment["created_at"])
        except PlatformRefused as exc:
            said = {"MaLoi": exc.code}
        except GatewayError as exc:
            said = None
            log.warning("portal status query failed", extra={"txn_ref": payment["reference"],
                                                             "error": str(exc)[:300]})
        if said is None:
            outcome = "gateway_error"
        else:
            with db.transaction() as cur:
                outcome = _apply_status(cur, settings, payment["id"], said, correlation_id,
                                        expire)
            if outcome == "settled":
                keep_receipt(db, portal, payment)
        CHECKS.labels(outcome).inc()
        summary[outcome] = summary.get(outcome, 0) + 1
    return summary


def _apply_status(cur, settings, payment_id, said, correlation_id, expire):
    """What the platform said of one payment, applied to it under its lock. A payment whose
    URL never reached anyone (INIT unanswered) that the platform does not know, or holds
    unpaid, is cancelled; so is any still unpaid when `expire`."""
    payment = store.get_payment(cur, payment_id, lock=True)
    if payment["status"] != "pending":
        return "already_resolved"  # the confirmation arrived meanwhile
    store.mark_checked(cur, payment_id)
    status, code = str(said.get("TrangThaiGD")), said.get("MaLoi")
    unseen = payment["pay_url"] is None
    if code == NOT_FOUND and (unseen or expire):
        billing.end_online(cur, payment, "cancelled", code)
        return "cancelled"
    if code != "00":
        return "gateway_error"
    if status == PAID and str(said.get("SoTien")) != str(payment["amount"]):
        log.error("the platform reports another amount; left pending for the manager",
                  extra={"txn_ref": payment["reference"]})
        return "amount_mismatch"
    if status == PENDING and (unseen or expire):
        billing.end_online(cur, payment, "cancelled", status, said.get("MaGiaoDich"))
        return "expired"
    outcome = _apply(cur, settings, payment, status, said.get("MaGiaoDich"), correlation_id)
    return {"confirmed": "settled", "declined": "failed"}.get(outcome, outcome)
