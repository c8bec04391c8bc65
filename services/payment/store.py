"""payment's SQL: bills, payments, refunds, receipts, notifications, idempotency keys."""
from services.common.db import PreparedStatement, json_param

SCHEMA = "payment"


def insert_bill(cur, bill):
    """The new bill, or None when one already exists for this source (event or dossier)."""
    cur.execute(
        """INSERT INTO payment.bills (id, kind, source_ref, source_event_id, dossier_code,
               department, procedure_code, payer_name, description, fee, charge, amount,
               refund_on_refusal, status)
           VALUES (%(id)s, %(kind)s, %(source_ref)s, %(source_event_id)s, %(dossier_code)s,
               %(department)s, %(procedure_code)s, %(payer_name)s, %(description)s, %(fee)s,
               %(charge)s, %(amount)s, %(refund_on_refusal)s, 'open')
           ON CONFLICT DO NOTHING RETURNING *""",
        bill,
    )
    return cur.fetchone()


BILL_ONCE = PreparedStatement("payment_bill_once", """WITH refusal AS (
        SELECT 1 FROM payment.refused_dossiers WHERE code = %(refused_code)s::text
    ), delivery AS (
        INSERT INTO payment.processed_messages (message_id, consumer)
        SELECT %(message_id)s::uuid, %(consumer)s::text WHERE NOT EXISTS (SELECT 1 FROM refusal)
    ), bill AS (
        INSERT INTO payment.bills (id, kind, source_ref, source_event_id, dossier_code,
            department, procedure_code, payer_name, description, fee, charge, amount,
            refund_on_refusal, status)
        SELECT %(id)s::uuid, %(kind)s::text, %(source_ref)s::text, %(source_event_id)s::uuid,
            %(dossier_code)s::text, %(department)s::text, %(procedure_code)s::text,
            %(payer_name)s::text, %(description)s::text, %(fee)s::bigint, %(charge)s::bigint,
            %(amount)s::bigint, %(refund_on_refusal)s::boolean, 'open'
        WHERE NOT EXISTS (SELECT 1 FROM refusal)
        ON CONFLICT DO NOTHING RETURNING id
    ), event AS (
        INSERT INTO payment.outbox (id, exchange, routing_key, body)
        SELECT %(event_id)s::uuid, %(exchange)s::text, %(routing_key)s::text, %(event)s::jsonb
          FROM bill
    )
    SELECT EXISTS (SELECT 1 FROM bill) AS billed, EXISTS (SELECT 1 FROM refusal) AS refused""")


def insert_bill_once(cur, message_id, consumer, bill, event, exchange, refused_code=None):
    """In ONE statement (on an autocommit cursor, its own transaction): the delivery's id in
    processed_messages, the bill and its `event` in the outbox, all or nothing. A repeated
    message id fails on processed_messages' key (`is_repeated_delivery`); a source that has
    its bill already gets only the delivery recorded. When dossier `refused_code` was refused,
    nothing is written: the caller takes the transactional path that cancels the bill.
    Returns {"billed": bool, "refused": bool}."""
    BILL_ONCE.execute(cur, {
        **bill, "message_id": message_id, "consumer": consumer, "refused_code": refused_code,
        "event_id": event["id"], "exchange": exchange, "routing_key": event["type"],
        "event": json_param(event)})
    return cur.fetchone()


def get_bill(cur, bill_id, lock=False):
    cur.execute("SELECT * FROM payment.bills WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (bill_id,))
    return cur.fetchone()


def bills_of_dossier(cur, code, kind=None, lock=False):
    cur.execute(
        "SELECT * FROM payment.bills WHERE dossier_code = %s AND (%s::text IS NULL OR kind = %s)"
        " ORDER BY created_at" + (" FOR UPDATE" if lock else ""),
        (code, kind, kind),
    )
    return cur.fetchall()


def update_bill(cur, bill_id, **changes):
    sets = ", ".join(f"{column} = %({column})s" for column in changes)
    cur.execute(f"UPDATE payment.bills SET {sets}, updated_at = now() WHERE id = %(id)s RETURNING *",
                {**changes, "id": bill_id})
    return cur.fetchone()


def insert_payment(cur, payment):
    cur.execute(
        """INSERT INTO payment.payments (id, bill_id, channel, amount, status, reference,
               terminal_id, recorded_by, expires_at, created_at, completed_at)
           VALUES (%(id)s, %(bill_id)s, %(channel)s, %(amount)s, %(status)s, %(reference)s,
               %(terminal_id)s, %(recorded_by)s, %(expires_at)s, %(created_at)s,
               %(completed_at)s)
           ON CONFLICT (channel, reference) DO NOTHING RETURNING *""",
        payment,
    )
    return cur.fetchone()


def payment_by_reference(cur, channel, reference, lock=False):
    cur.execute("SELECT * FROM payment.payments WHERE channel = %s AND reference = %s"
                + (" FOR UPDATE" if lock else ""), (channel, reference))
    return cur.fetchone()


def finish_online_payment(cur, payment_id, status, transaction_no, bank_code, response_code,
                          completed_at):
    cur.execute(
        """UPDATE payment.payments SET status = %s, gateway_transaction_no = %s,
               gateway_bank_code = %s, gateway_response = %s, completed_at = %s,
               last_checked_at = now()
           WHERE id = %s RETURNING *""",
        (status, transaction_no, bank_code, response_code, completed_at, payment_id),
    )
    return cur.fetchone()


def payments_of_bill(cur, bill_id):
    cur.execute("SELECT * FROM payment.payments WHERE bill_id = %s ORDER BY created_at",
                (bill_id,))
    return cur.fetchall()


def refunds_of_bill(cur, bill_id):
    cur.execute("SELECT * FROM payment.refunds WHERE bill_id = %s ORDER BY completed_at",
                (bill_id,))
    return cur.fetchall()


def refunded_per_payment(cur, bill_id):
    cur.execute("SELECT payment_id, sum(amount) AS amount FROM payment.refunds"
                " WHERE bill_id = %s AND payment_id IS NOT NULL GROUP BY payment_id", (bill_id,))
    return {row["payment_id"]: row["amount"] for row in cur.fetchall()}


def insert_refund(cur, refund):
    cur.execute(
        """INSERT INTO payment.refunds (id, bill_id, payment_id, channel, amount, reason,
               reference, recorded_by, completed_at)
           VALUES (%(id)s, %(bill_id)s, %(payment_id)s, %(channel)s, %(amount)s, %(reason)s,
               %(reference)s, %(recorded_by)s, %(completed_at)s)
           ON CONFLICT (channel, reference) DO NOTHING RETURNING *""",
        refund,
    )
    return cur.fetchone()


def receipts_of_bill(cur, bill_id):
    cur.execute("SELECT id, content FROM payment.receipts WHERE bill_id = %s ORDER BY issued_at",
                (bill_id,))
    return cur.fetchall()


def get_receipt(cur, receipt_id):
    cur.execute(
        """SELECT r.id, r.content, b.department FROM payment.receipts r
           JOIN payment.bills b ON b.id = r.bill_id WHERE r.id = %s""",
        (receipt_id,),
    )
    return cur.fetchone()


def record_notification(cur, kind, txn_ref, outcome, rsp_code):
    cur.execute(
        "INSERT INTO payment.gateway_notifications (kind, txn_ref, outcome, rsp_code)"
        " VALUES (%s, %s, %s, %s)",
        (kind, txn_ref, outcome, rsp_code),
    )


def pending_online_payments(cur, older_than, checked_before, limit=100):
    """Pending online payments started before `older_than`, not asked about since
    `checked_before`; locked and skipped by a concurrent check."""
    cur.execute(
        """SELECT * FROM payment.payments
           WHERE status = 'pending' AND channel = 'online' AND created_at < %s
             AND (last_checked_at IS NULL OR last_checked_at < %s)
           ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
        (older_than, checked_before, limit),
    )
    return cur.fetchall()


def mark_checked(cur, payment_id):
    cur.execute("UPDATE payment.payments SET last_checked_at = now() WHERE id = %s", (payment_id,))


def claim_daily_check(cur, day):
    cur.execute("INSERT INTO payment.daily_checks (day) VALUES (%s) ON CONFLICT DO NOTHING",
                (day,))
    return cur.rowcount == 1


def finish_daily_check(cur, day, summary):
    cur.execute("UPDATE payment.daily_checks SET summary = %s WHERE day = %s",
                (json_param(summary), day))


def claim_idempotency_key(cur, principal, key, request_hash):
    """None when the key is new (now held by this transaction), else the earlier request."""
    cur.execute(
        """INSERT INTO payment.idempotency_keys (principal, key, request_hash)
           VALUES (%s, %s, %s) ON CONFLICT DO NOTHING""",
        (principal, key, request_hash),
    )
    if cur.rowcount == 1:
        return None
    cur.execute("SELECT * FROM payment.idempotency_keys WHERE principal = %s AND key = %s",
                (principal, key))
    return cur.fetchone()


def save_idempotent_response(cur, principal, key, status, response):
    cur.execute(
        "UPDATE payment.idempotency_keys SET status = %s, response = %s"
        " WHERE principal = %s AND key = %s",
        (status, json_param(response), principal, key),
    )


def record_refusal(cur, code, reason, refused_at):
    cur.execute("INSERT INTO payment.refused_dossiers (code, reason, refused_at)"
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (code, reason, refused_at))


def refusal_of(cur, code):
    cur.execute("SELECT * FROM payment.refused_dossiers WHERE code = %s", (code,))
    return cur.fetchone()
