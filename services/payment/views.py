"""What callers see of bills, payments, refunds and receipts (JSON-ready; the shapes
schemas.py documents)."""
from . import billing, store


def bill_view(cur, bill):
    return {
        "id": str(bill["id"]),
        "kind": bill["kind"],
        "dossier_code": bill["dossier_code"],
        "department": bill["department"],
        "description": bill["description"],
        "fee": bill["fee"],
        "charge": bill["charge"],
        "amount": bill["amount"],
        "paid": bill["paid"],
        "refunded": bill["refunded"],
        "outstanding": billing.outstanding(bill),
        "refund_due": billing.refund_due(bill),
        "status": bill["status"],
        "settled_at": bill["settled_at"].isoformat() if bill["settled_at"] else None,
        "payments": [payment_view(p) for p in store.payments_of_bill(cur, bill["id"])],
        "refunds": [{"id": str(r["id"]), "channel": r["channel"], "amount": r["amount"],
                     "reference": r["reference"], "reason": r["reason"],
                     "completed_at": r["completed_at"].isoformat()}
                    for r in store.refunds_of_bill(cur, bill["id"])],
        "receipts": [{"id": str(r["id"]), "receipt_no": r["content"]["receipt_no"],
                      "amount": r["content"]["amount"], "url": receipt_url(r["id"])}
                     for r in store.receipts_of_bill(cur, bill["id"])],
    }


def payment_view(payment):
    return {
        "id": str(payment["id"]),
        "channel": payment["channel"],
        "provider": payment["provider"],
        "amount": payment["amount"],
        "status": payment["status"],
        "reference": payment["reference"],
        "created_at": payment["created_at"].isoformat(),
        "completed_at": payment["completed_at"].isoformat() if payment["completed_at"] else None,
    }


def receipt_url(receipt_id):
    return f"/api/v1/receipts/{receipt_id}"


def counter_payment_answer(cur, done):
    """Cash or card: the payment, the bill now and its receipt."""
    receipt = done["receipt"]
    return {"payment": payment_view(done["payment"]), "bill": bill_view(cur, done["bill"]),
            "receipt": {"id": receipt["id"], "receipt_no": receipt["receipt_no"],
                        "url": receipt_url(receipt["id"])}}


def online_payment_answer(payment, pay_url):
    """Online: the pending payment, where to send the citizen, and until when."""
    expires_at = payment["expires_at"]
    return {"payment": payment_view(payment), "pay_url": pay_url,
            "expires_at": expires_at.isoformat() if expires_at else None}


def refund_answer(cur, refund, bill):
    return {"refund": {"id": str(refund["id"]), "amount": refund["amount"],
                       "channel": refund["channel"], "reference": refund["reference"]},
            "bill": bill_view(cur, bill)}


def receipt_view(receipt):
    return {"id": str(receipt["id"]), **receipt["content"]}
