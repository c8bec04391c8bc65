"""The gateway's word on online payments: the IPN (server to server), the return URL, and
the scheduled querydr checks of payments still pending.

An IPN is trusted only when its signature verifies with our secret; it then settles the
payment it names once: the same notification again is answered "already confirmed" and
changes nothing. Refused notifications are logged (reference and reason only) and kept in
payment.gateway_notifications.
"""
import logging
import uuid
from datetime import datetime, time, timedelta

from prometheus_client import Counter

from services.common import logs
from services.common.events import TIMEZONE, now

from . import billing, store
from .gateway import (
    IPN_ALREADY_CONFIRMED,
    IPN_CONFIRMED,
    IPN_INVALID_AMOUNT,
    IPN_INVALID_SIGNATURE,
    IPN_NOT_FOUND,
    IPN_UNKNOWN_ERROR,
    QUERY_NOT_FOUND,
    SUCCESS,
    GatewayError,
    parse_gateway_time,
)

log = logging.getLogger("motcua.payment.online")

NOTIFICATIONS = Counter("motcua_gateway_notifications_total",
                        "Gateway notifications (IPN) by outcome", ["outcome"])
CHECKS = Counter("motcua_gateway_checks_total", "querydr checks of pending payments by outcome",
                 ["outcome"])


def _refuse(cur, txn_ref, outcome, answer, level=logging.WARNING):
    store.record_notification(cur, "ipn", txn_ref, outcome, answer["RspCode"])
    NOTIFICATIONS.labels(outcome).inc()
    log.log(level, "gateway notification refused",
            extra={"txn_ref": txn_ref, "outcome": outcome, "rsp_code": answer["RspCode"]})
    return answer


def answer_ipn(db, gateway, settings, params, correlation_id):
    """The IPN answered in its own transaction, whatever happens: the gateway must get its
    JSON answer (99 for an unexpected failure, which it retries)."""
    try:
        with db.transaction() as cur:
            return handle_ipn(cur, gateway, settings, params, correlation_id)
    except Exception:  # noqa: BLE001 - the gateway must get its JSON answer and retry
        log.exception("IPN could not be processed", extra={"txn_ref": params.get("vnp_TxnRef")})
        return IPN_UNKNOWN_ERROR


def handle_ipn(cur, gateway, settings, params, correlation_id):
    """VNPay's IPN: the JSON answer the gateway expects."""
    txn_ref = (params.get("vnp_TxnRef") or "")[:100] or None
    if not gateway.verify(params):
        return _refuse(cur, txn_ref, "invalid_signature", IPN_INVALID_SIGNATURE)
    if params.get("vnp_TmnCode") != gateway.tmn_code or txn_ref is None:
        return _refuse(cur, txn_ref, "unknown_order", IPN_NOT_FOUND)
    payment = store.payment_by_reference(cur, "online", txn_ref, lock=True)
    if payment is None:
        return _refuse(cur, txn_ref, "unknown_order", IPN_NOT_FOUND)
    if params.get("vnp_Amount") != str(payment["amount"] * 100):
        return _refuse(cur, txn_ref, "amount_mismatch", IPN_INVALID_AMOUNT, logging.ERROR)
    succeeded = params.get("vnp_ResponseCode") == SUCCESS and \
        params.get("vnp_TransactionStatus") == SUCCESS
    if payment["status"] == "succeeded" or (payment["status"] != "pending" and not succeeded):
        return _refuse(cur, txn_ref, "replay", IPN_ALREADY_CONFIRMED)
    if payment["status"] != "pending":
        # we had given up on it (expired, or the gateway said failed), yet the money moved:
        # take it; the bill shows a refund due if it was paid some other way meanwhile
        log.warning("late confirmation of a closed online payment accepted",
                    extra={"txn_ref": txn_ref, "was": payment["status"]})
    if succeeded:
        paid_at = _pay_date(params.get("vnp_PayDate"))
        billing.confirm_online(cur, settings, payment, params.get("vnp_TransactionNo"),
                               params.get("vnp_BankCode"), params["vnp_ResponseCode"], paid_at,
                               correlation_id)
    else:
        billing.end_online(cur, payment, "failed", params.get("vnp_ResponseCode"),
                           params.get("vnp_TransactionNo"), params.get("vnp_BankCode"))
    outcome = "confirmed" if succeeded else "declined"
    store.record_notification(cur, "ipn", txn_ref, outcome, IPN_CONFIRMED["RspCode"])
    NOTIFICATIONS.labels(outcome).inc()
    log.info("gateway notification accepted", extra={"txn_ref": txn_ref, "outcome": outcome})
    return IPN_CONFIRMED


def _pay_date(text):
    """The gateway's pay date; our clock when it sent none or nonsense (the money moved now)."""
    try:
        return parse_gateway_time(text)
    except (TypeError, ValueError):
        return now()


def return_view(cur, gateway, params):
    """What the citizen's browser is told on its way back (None: the signature does not
    verify); only the IPN changes anything."""
    txn_ref = params.get("vnp_TxnRef")
    if not gateway.verify(params):
        store.record_notification(cur, "return", (txn_ref or "")[:100] or None,
                                  "invalid_signature", IPN_INVALID_SIGNATURE["RspCode"])
        NOTIFICATIONS.labels("return_invalid_signature").inc()
        log.warning("gateway return refused", extra={"txn_ref": txn_ref,
                                                      "outcome": "invalid_signature"})
        return None
    payment = store.payment_by_reference(cur, "online", txn_ref)
    return {
        "txn_ref": txn_ref,
        "gateway_says": "paid" if params.get("vnp_ResponseCode") == SUCCESS else "not paid",
        "gateway_response_code": params.get("vnp_ResponseCode"),
        "payment_status": payment["status"] if payment else None,
        "bill_id": str(payment["bill_id"]) if payment else None,
    }


# --- scheduled checks -------------------------------------------------------------------------
def run_pending_check(db, gateway, settings):
    """The frequent check: pending payments older than PENDING_MIN_AGE_SECONDS, each asked
    about at most once per PENDING_CHECK_SECONDS."""
    correlation_id = scheduled_run("pending-check")
    if not gateway.configured:
        return
    summary = check_pending(db, gateway, settings,
                            timedelta(seconds=settings.pending_min_age_seconds),
                            timedelta(seconds=settings.pending_check_seconds), correlation_id)
    if summary:
        log.info("pending online payments checked", extra={"summary": summary})


def run_daily_check(db, gateway, settings):
    """Every tick: yesterday's daily check, if no instance has run it yet."""
    correlation_id = scheduled_run("daily-check")
    if not gateway.configured:
        return
    yesterday = now().date() - timedelta(days=1)
    summary = daily_check(db, gateway, settings, yesterday, correlation_id)
    if summary is not None:
        log.info("daily check of online payments", extra={"day": yesterday.isoformat(),
                                                          "summary": summary})


def scheduled_run(name):
    """A scheduled run has no request: it gets its own correlation id for logs and events."""
    correlation_id = f"{name}-{uuid.uuid4()}"
    logs.clear()
    logs.bind(correlation_id=correlation_id)
    return correlation_id


def check_pending(db, gateway, settings, min_age, recheck_after, correlation_id,
                  started_before=None):
    """Ask the gateway about pending online payments; settle, fail or cancel them as it says.
    Returns counts by outcome."""
    moment = now()
    with db.transaction() as cur:
        candidates = store.pending_online_payments(
            cur, started_before or moment - min_age, moment - recheck_after)
    summary = {}
    for payment in candidates:
        try:
            answer = gateway.query(payment["reference"], payment["created_at"])
        except GatewayError as exc:
            outcome = "gateway_error"
            log.warning("querydr failed", extra={"txn_ref": payment["reference"],
                                                 "error": str(exc)[:300]})
        else:
            with db.transaction() as cur:
                outcome = apply_answer(cur, settings, payment["id"], answer, correlation_id)
        CHECKS.labels(outcome).inc()
        summary[outcome] = summary.get(outcome, 0) + 1
    return summary


def apply_answer(cur, settings, payment_id, answer, correlation_id):
    payment = store.get_payment(cur, payment_id, lock=True)
    if payment["status"] != "pending":
        return "already_resolved"  # an IPN arrived meanwhile
    store.mark_checked(cur, payment_id)
    code, status = answer.get("vnp_ResponseCode"), answer.get("vnp_TransactionStatus")
    expired = payment["expires_at"] is not None and payment["expires_at"] < now()
    if code == SUCCESS and status == SUCCESS:
        if str(answer.get("vnp_Amount")) != str(payment["amount"] * 100):
            log.error("querydr reports another amount; left pending for the manager",
                      extra={"txn_ref": payment["reference"]})
            return "amount_mismatch"
        billing.confirm_online(cur, settings, payment, answer.get("vnp_TransactionNo"),
                               answer.get("vnp_BankCode"), status,
                               _pay_date(answer.get("vnp_PayDate")), correlation_id)
        return "settled"
    if code == SUCCESS and status not in ("01", None, ""):
        billing.end_online(cur, payment, "failed", status, answer.get("vnp_TransactionNo"))
        return "failed"
    if expired and (code == QUERY_NOT_FOUND or (code == SUCCESS and status == "01")):
        billing.end_online(cur, payment, "cancelled", code)
        return "cancelled"
    return "still_pending"


def daily_check(db, gateway, settings, day, correlation_id):
    """Once per day: every payment started before `day` ended and still pending is asked
    about again, whenever it was last checked; expired ones the gateway never saw are
    cancelled."""
    end_of_day = datetime.combine(day + timedelta(days=1), time(), TIMEZONE)
    with db.transaction() as cur:
        if not store.claim_daily_check(cur, day):
            return None
    summary = check_pending(db, gateway, settings, timedelta(0), timedelta(0), correlation_id,
                            started_before=end_of_day)
    with db.transaction() as cur:
        store.finish_daily_check(cur, day, summary)
    return summary
