"""What `make demo` shows of payment: fees paid by cash, card and online (the gateway's
signed IPN played by `payment_gateway`), each receipt, and the day's reconciliation per channel
from statements that show exactly what was collected.

    from scripts.payment_demo import show_payments
    ok = show_payments(payment_url, token_for, dossier_codes, gateway_secret)
"""
import time

import requests

from scripts.payment_gateway import ipn_params
from services.common.events import now
from services.common.money import vnd

CHANNEL_LABELS = {"cash": "tiền mặt", "card": "thẻ (POS)", "online": "trực tuyến (VNPay)"}
STATEMENT_SOURCE = {"cash": "treasury", "card": "bank", "online": "gateway"}


def _open_bills(base, headers, codes, wanted, timeout=30):
    """The first `wanted` open bills among the dossiers (billing follows reception within a
    moment; dossiers of procedures without a fee never get one)."""
    found, deadline = {}, time.monotonic() + timeout
    while len(found) < wanted and time.monotonic() < deadline:
        for code in codes:
            if code in found:
                continue
            response = requests.get(f"{base}/api/v1/bills", params={"dossier_code": code},
                                    headers=headers, timeout=10)
            bills = [b for b in response.json().get("bills", []) if b["status"] == "open"] \
                if response.ok else []
            if bills:
                found[code] = bills[0]
            if len(found) == wanted:
                break
        else:
            time.sleep(0.5)
    return list(found.values())


def pay_in_cash(base, token_for, dossier_code, department, timeout=10):
    """The citizen pays a dossier's fee at its department's counter (its result may be held
    until then). True when there was an open bill and it is now paid."""
    manager = {"Authorization": f"Bearer {token_for('manager')}"}
    bills = _open_bills(base, manager, [dossier_code], 1, timeout)
    return bool(bills) and _pay(base, token_for, "cash", {**bills[0], "department": department},
                                None) is not None


def show_payments(base, token_for, dossier_codes, gateway_secret, out=print):
    """Pay the bills of the first dossiers that have one, one per channel; print receipts and
    the reconciliation. `token_for(role, **scope)` gives a bearer token. True when all three
    channels were paid and the reconciliation found no mismatch."""
    manager = {"Authorization": f"Bearer {token_for('manager')}"}
    bills = _open_bills(base, manager, dossier_codes, 3)
    if len(bills) < 3:
        out(f"  payment: only {len(bills)} dossier(s) with a fee were billed; need 3")
        return False
    references = {}
    for channel, bill in zip(("cash", "card", "online"), bills, strict=True):
        paid = _pay(base, token_for, channel, bill, gateway_secret)
        if paid is None:
            out(f"  payment by {channel} failed for {bill['dossier_code']}")
            return False
        references[channel] = paid
        out(f"  {bill['dossier_code']}: {vnd(bill['amount'])} paid by "
            f"{CHANNEL_LABELS[channel]}, biên lai {paid['receipt_no']} ({paid['receipt_url']})")
    day = now().date().isoformat()
    clean = True
    out(f"  reconciliation of {day}:")
    for channel, paid in references.items():
        statement = (f"reference,amount,value_date,description\n"
                     f"{paid['reference']},{paid['amount']},{day},{channel}\n")
        response = requests.post(
            f"{base}/api/v1/statements", params={"day": day, "channel": channel,
                                                 "source": STATEMENT_SOURCE[channel]},
            data=statement.encode(), headers={**manager, "Content-Type": "text/csv"}, timeout=10)
        summary = response.json()["channels"][0]["summary"]
        clean = clean and summary["mismatches"] == 0
        out(f"    {channel:6} ({STATEMENT_SOURCE[channel]}): matched {summary['counts']['matched']}, "
            f"mismatches {summary['mismatches']}, {vnd(summary['matched_total'])}")
    return clean


def _pay(base, token_for, channel, bill, gateway_secret):
    url = f"{base}/api/v1/bills/{bill['id']}/payments"
    if channel == "online":
        started = requests.post(url, json={"channel": "online", "ip_addr": "113.161.0.10"},
                                headers={"Authorization": f"Bearer {token_for('portal')}"},
                                timeout=10)
        if started.status_code != 201:
            return None
        pay_url = started.json()["pay_url"]
        answer = requests.get(f"{base}/api/v1/gateway/vnpay/ipn",
                              params=ipn_params(gateway_secret, pay_url), timeout=10).json()
        if answer["RspCode"] != "00":
            return None
        bill_now = requests.get(f"{base}/api/v1/bills/{bill['id']}", timeout=10, headers={
            "Authorization": f"Bearer {token_for('manager')}"}).json()
        payment, receipt = bill_now["payments"][-1], bill_now["receipts"][-1]
        return {"reference": payment["reference"], "amount": payment["amount"],
                "receipt_no": receipt["receipt_no"], "receipt_url": receipt["url"]}
    body = {"channel": channel}
    if channel == "card":
        body.update(terminal_id="POS-01", terminal_reference=f"POS{int(time.time() * 1000)}")
    token = token_for("counter_officer", department=bill["department"])
    response = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                             timeout=10)
    if response.status_code != 201:
        return None
    done = response.json()
    return {"reference": done["payment"]["reference"], "amount": done["payment"]["amount"],
            "receipt_no": done["receipt"]["receipt_no"], "receipt_url": done["receipt"]["url"]}
