"""What callers ask of bills over HTTP: the bills they may see, a payment on a channel their
role may use, the refund of an excess, a receipt. Each function runs in the caller's
transaction and answers with what the caller sees. A counter officer sees the bills of its
own department only, a citizen (the desk's token after the lookup secret proved right) those
of its one dossier; to them another bill does not exist."""
import logging
import uuid

from services.common.auth import ROLE_NAMES

from . import billing, store, views
from .errors import ChannelNotAllowed, NoSuchBill, NoSuchReceipt

log = logging.getLogger("motcua.payment")

ROLE_BY_CHANNEL = {"cash": ("counter_officer",), "card": ("counter_officer",),
                   "online": ("portal", "citizen")}


def may_see(caller, bill):
    if caller.role == "citizen":
        return bill["dossier_code"] == caller.dossier
    return caller.role != "counter_officer" or bill["department"] in (None, caller.department)


def visible_bill(cur, caller, bill_id, lock=False):
    bill = store.get_bill(cur, _uuid(bill_id, NoSuchBill(f"Không có hóa đơn {bill_id}.")),
                          lock=lock)
    if bill is None or not may_see(caller, bill):
        raise NoSuchBill(f"Không tìm thấy hóa đơn {bill_id} (hoặc bạn không được xem).")
    return bill


def _uuid(value, unknown):
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise unknown from exc


def bills_of_dossier(cur, caller, dossier_code):
    bills = [views.bill_view(cur, bill) for bill in store.bills_of_dossier(cur, dossier_code)
             if may_see(caller, bill)]
    return {"bills": bills, "count": len(bills)}


def bill(cur, caller, bill_id):
    return views.bill_view(cur, visible_bill(cur, caller, bill_id))


def check_channel(caller, channel):
    """Before anything else: cash and card are taken at the counter, online through the portal."""
    if caller.role not in ROLE_BY_CHANNEL[channel]:
        allowed = ", ".join(ROLE_NAMES[role] for role in ROLE_BY_CHANNEL[channel])
        raise ChannelNotAllowed(f"Vai trò {ROLE_NAMES[caller.role]} không được ghi nhận thanh "
                                f"toán qua kênh {channel} (chỉ dành cho: {allowed}).")


def pay(cur, settings, gateway, caller, bill_id, body, remote_addr, correlation_id):
    """Cash or card: recorded with its receipt. Online through VNPay: started, with the
    gateway's URL (the portal's platform is portal_online.start: it calls out)."""
    bill = billing.payable_bill(cur, visible_bill(cur, caller, bill_id, lock=True)["id"])
    amount = body["amount"] or billing.outstanding(bill)
    channel = body["channel"]
    if channel == "online":
        payment, url = billing.start_online_payment(
            cur, gateway, bill, amount, str(body["ip_addr"] or remote_addr), caller.subject,
            bank_code=body["bank_code"])
        return views.online_payment_answer(payment, url)
    done = billing.record_counter_payment(
        cur, settings, bill, channel, amount, caller.subject, correlation_id,
        terminal_id=body["terminal_id"], terminal_reference=body["terminal_reference"])
    log.info("payment recorded", extra={"bill_id": bill_id, "channel": channel, "amount": amount})
    return views.counter_payment_answer(cur, done)


def refund(cur, caller, bill_id, body, correlation_id):
    bill = visible_bill(cur, caller, bill_id, lock=True)
    refund, bill = billing.refund_excess(cur, bill, body["amount"], body["channel"],
                                         body["reference"], caller.subject, correlation_id)
    return views.refund_answer(cur, refund, bill)


def receipt(cur, caller, receipt_id):
    """The receipt row (id, content as issued, the bill's department)."""
    row = store.get_receipt(cur, _uuid(receipt_id,
                                       NoSuchReceipt(f"Không có biên lai {receipt_id}.")))
    if row is None or not may_see(caller, row):
        raise NoSuchReceipt(f"Không tìm thấy biên lai {receipt_id} (hoặc bạn không được xem).")
    return row
