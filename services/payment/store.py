"""payment's SQL: bills, payments, refunds, receipts, gateway notifications and checks,
refusals, the ledger and reconciliations (receipts.py numbers and stores receipts
with its own statements)."""
import json
import uuid
from functools import partial

from psycopg2.extras import Json, execute_values

from services.common.db import PreparedStatement, json_param
from services.common.events import events_exchange

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


BILLS_ONCE = PreparedStatement("payment_bills_once", """WITH delivery_row AS (
        SELECT * FROM jsonb_to_recordset(%(deliveries)s::jsonb) AS d (
            n int, message_id uuid, consumer text, refused_code text, id uuid, kind text,
            source_ref text, source_event_id uuid, dossier_code text, department text,
            procedure_code text, payer_name text, description text, fee bigint, charge bigint,
            amount bigint, refund_on_refusal boolean, event_id uuid, exchange text,
            routing_key text, event jsonb)
    ), refusal AS (
        SELECT d.message_id FROM delivery_row d
          JOIN payment.refused_dossiers r ON r.code = d.refused_code
    ), delivery AS (
        INSERT INTO payment.processed_messages (message_id, consumer)
        SELECT message_id, consumer FROM delivery_row
         WHERE message_id NOT IN (SELECT message_id FROM refusal)
    ), bill AS (
        INSERT INTO payment.bills (id, kind, source_ref, source_event_id, dossier_code,
            department, procedure_code, payer_name, description, fee, charge, amount,
            refund_on_refusal, status)
        SELECT id, kind, source_ref, source_event_id, dossier_code, department, procedure_code,
               payer_name, description, fee, charge, amount, refund_on_refusal, 'open'
          FROM delivery_row
         WHERE id IS NOT NULL AND message_id NOT IN (SELECT message_id FROM refusal)
        ON CONFLICT DO NOTHING RETURNING id
    ), event AS (
        INSERT INTO payment.outbox (id, exchange, routing_key, body)
        SELECT d.event_id, d.exchange, d.routing_key, d.event
          FROM delivery_row d JOIN bill ON bill.id = d.id
    )
    SELECT EXISTS (SELECT 1 FROM bill WHERE bill.id = d.id) AS billed,
           EXISTS (SELECT 1 FROM refusal r WHERE r.message_id = d.message_id) AS refused
      FROM delivery_row d ORDER BY d.n""")


def insert_bills_once(cur, deliveries):
    """Bills a whole batch of deliveries in ONE prepared statement, so that billing costs
    every dossier received a share of one round trip (on an autocommit cursor: its own
    transaction). For each delivery — message_id, consumer, refused_code, and when a bill is
    owed the `bill` and its payment.requested `event` — its id in processed_messages, the bill
    and its event in the outbox; all of them or nothing. A repeated message id fails on
    processed_messages' key (`is_repeated_delivery`); a source that has its bill already gets
    only the delivery recorded. A delivery whose dossier `refused_code` was refused writes
    nothing: the caller takes the transactional path that cancels its bill.
    Returns, per delivery, {"billed": bool, "refused": bool}."""
    rows = [_bill_once_row(n, **delivery) for n, delivery in enumerate(deliveries)]
    BILLS_ONCE.execute(cur, {"deliveries": Json(rows, dumps=_dumps_with_uuids)})
    return cur.fetchall()


def _bill_once_row(n, message_id, consumer, refused_code=None, bill=None, event=None):
    row = {**(bill or {}), "n": n, "message_id": message_id, "consumer": consumer,
           "refused_code": refused_code}
    if event is not None:
        row.update(event=event, event_id=event["id"], routing_key=event["type"],
                   exchange=events_exchange(SCHEMA))
    return row


def _uuid_text(value):
    """Bill and message ids are UUIDs; any other non-JSON value is a bug, not text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps_with_uuids = partial(json.dumps, default=_uuid_text)


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
        """INSERT INTO payment.payments (id, bill_id, channel, provider, amount, status,
               reference, terminal_id, recorded_by, expires_at, created_at, completed_at)
           VALUES (%(id)s, %(bill_id)s, %(channel)s, %(provider)s, %(amount)s, %(status)s,
               %(reference)s, %(terminal_id)s, %(recorded_by)s, %(expires_at)s, %(created_at)s,
               %(completed_at)s)
           ON CONFLICT (channel, reference) DO NOTHING RETURNING *""",
        {"provider": "vnpay", **payment},
    )
    return cur.fetchone()


def reserve_portal_payment(cur, payment):
    """A payment through the portal's platform before INIT is sent (no `pay_url` yet)."""
    cur.execute(
        """INSERT INTO payment.payments (id, bill_id, channel, provider, amount, status,
               reference, recorded_by, created_at, start_key)
           VALUES (%(id)s, %(bill_id)s, 'online', 'dvcqg', %(amount)s, 'pending',
               %(reference)s, %(recorded_by)s, %(created_at)s, %(start_key)s)
           RETURNING *""", payment)
    return cur.fetchone()


def reserved_by(cur, start_key):
    """The pending portal payment an earlier try of the same request reserved, locked."""
    cur.execute("SELECT * FROM payment.payments WHERE start_key = %s AND status = 'pending'"
                " FOR UPDATE", (start_key,))
    return cur.fetchone()


def renew_reference(cur, payment_id, reference, created_at):
    """The reservation is sent again under a new reference (the platform may hold the old
    one without our knowing its URL)."""
    cur.execute("UPDATE payment.payments SET reference = %s, created_at = %s WHERE id = %s"
                " RETURNING *", (reference, created_at, payment_id))
    return cur.fetchone()


def started(cur, payment_id, reference, pay_url):
    """INIT answered for `reference`: the URL kept; None when a retry renewed the reference
    meanwhile (its answer is the one that counts)."""
    cur.execute("UPDATE payment.payments SET pay_url = %s WHERE id = %s AND reference = %s"
                " AND status = 'pending' RETURNING *", (pay_url, payment_id, reference))
    return cur.fetchone()


def get_payment(cur, payment_id, lock=False):
    cur.execute("SELECT * FROM payment.payments WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (payment_id,))
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
        """SELECT r.id, r.content, b.department, b.dossier_code FROM payment.receipts r
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


def pending_online_payments(cur, older_than, checked_before, limit=100, provider="vnpay"):
    """Pending online payments of one provider started before `older_than`, not asked about
    since `checked_before`; locked and skipped by a concurrent check."""
    cur.execute(
        """SELECT * FROM payment.payments
           WHERE status = 'pending' AND channel = 'online' AND provider = %s
             AND created_at < %s AND (last_checked_at IS NULL OR last_checked_at < %s)
           ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
        (provider, older_than, checked_before, limit),
    )
    return cur.fetchall()


def paid_without_portal_receipt(cur, limit=100):
    cur.execute(
        """SELECT * FROM payment.payments
           WHERE provider = 'dvcqg' AND status = 'succeeded' AND portal_receipt IS NULL
           ORDER BY created_at LIMIT %s""", (limit,))
    return cur.fetchall()


def keep_portal_receipt(cur, payment_id, receipt):
    cur.execute("UPDATE payment.payments SET portal_receipt = %s WHERE id = %s",
                (Json(receipt), payment_id))


def mark_checked(cur, payment_id):
    cur.execute("UPDATE payment.payments SET last_checked_at = now() WHERE id = %s", (payment_id,))


def claim_daily_check(cur, day, provider="vnpay"):
    cur.execute("INSERT INTO payment.daily_checks (day, provider) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING", (day, provider))
    return cur.rowcount == 1


def finish_daily_check(cur, day, summary, provider="vnpay"):
    cur.execute("UPDATE payment.daily_checks SET summary = %s WHERE day = %s AND provider = %s",
                (json_param(summary), day, provider))


def record_refusal(cur, code, reason, refused_at):
    cur.execute("INSERT INTO payment.refused_dossiers (code, reason, refused_at)"
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (code, reason, refused_at))


def refusal_of(cur, code):
    cur.execute("SELECT * FROM payment.refused_dossiers WHERE code = %s", (code,))
    return cur.fetchone()


# --- the ledger -------------------------------------------------------------------------------
_LEDGER_LOCK = 0x6D6F7463756101  # "motcua" + 1: the ledger's advisory lock


def ledger_head(cur):
    """The ledger's last row (seq, hash), or None; appends are serialised from here to the
    commit by a transaction-scoped advisory lock, as the chain has one head."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LEDGER_LOCK,))
    cur.execute("SELECT seq, hash FROM payment.ledger ORDER BY seq DESC LIMIT 1")
    return cur.fetchone()


def insert_ledger_row(cur, row):
    cur.execute(
        """INSERT INTO payment.ledger (seq, at, movement, movement_id, bill_id, dossier_code,
               channel, amount, reference, prev_hash, hash)
           VALUES (%(seq)s, %(at)s, %(movement)s, %(movement_id)s, %(bill_id)s,
               %(dossier_code)s, %(channel)s, %(amount)s, %(reference)s, %(prev_hash)s,
               %(hash)s)""",
        row,
    )


def ledger_rows(cur):
    cur.execute("SELECT * FROM payment.ledger ORDER BY seq")
    return cur.fetchall()


def recorded_movements(cur):
    """Every succeeded payment (+amount) and refund (-amount)."""
    cur.execute(
        """SELECT 'payment' AS movement, id, amount FROM payment.payments WHERE status = 'succeeded'
           UNION ALL SELECT 'refund', id, -amount FROM payment.refunds"""
    )
    return cur.fetchall()


def ledger_totals(cur):
    cur.execute("SELECT count(*) AS n, coalesce(sum(amount), 0) AS net FROM payment.ledger")
    return cur.fetchone()


# --- reconciliation ---------------------------------------------------------------------------
def movements_of_day(cur, channel, start, end):
    """The payments (+) and refunds (-) completed in [start, end) on `channel`."""
    cur.execute(
        """SELECT 'payment' AS movement, id, reference, gateway_transaction_no AS alias, amount
             FROM payment.payments
            WHERE status = 'succeeded' AND channel = %(channel)s
              AND completed_at >= %(start)s AND completed_at < %(end)s
           UNION ALL
           SELECT 'refund', id, reference, NULL, -amount FROM payment.refunds
            WHERE channel = %(channel)s AND completed_at >= %(start)s AND completed_at < %(end)s""",
        {"channel": channel, "start": start, "end": end},
    )
    return cur.fetchall()


def replace_reconciliation(cur, reconciliation, items):
    """The day and channel's reconciliation and its items, instead of any earlier one."""
    cur.execute("DELETE FROM payment.reconciliations WHERE day = %(day)s AND channel = %(channel)s",
                reconciliation)
    cur.execute(
        """INSERT INTO payment.reconciliations (id, day, channel, source, file_sha256,
               imported_by, summary)
           VALUES (%(id)s, %(day)s, %(channel)s, %(source)s, %(file_sha256)s, %(imported_by)s,
               %(summary)s)""",
        {**reconciliation, "summary": json_param(reconciliation["summary"])},
    )
    execute_values(
        cur,
        """INSERT INTO payment.reconciliation_items (reconciliation_id, outcome, reference,
               line, statement_amount, motcua_amount, movement, movement_id) VALUES %s""",
        [(reconciliation["id"], item["outcome"], item["reference"], item["line"],
          item["statement_amount"], item["motcua_amount"], item["movement"], item["movement_id"])
         for item in items],
        page_size=1000,
    )


def reconciliations_of_day(cur, day, channel=None):
    cur.execute(
        """SELECT * FROM payment.reconciliations WHERE day = %s
             AND (%s::text IS NULL OR channel = %s) ORDER BY channel""",
        (day, channel, channel),
    )
    return cur.fetchall()


def reconciliation_items(cur, reconciliation_id):
    cur.execute(
        """SELECT outcome, reference, line, statement_amount, motcua_amount, movement
             FROM payment.reconciliation_items WHERE reconciliation_id = %s ORDER BY id""",
        (reconciliation_id,),
    )
    return cur.fetchall()


# receipts ------------------------------------------------------------------------------------
def next_receipt_number(cur, series, year):
    """The next number of the series and year; its counter row stays locked until commit, so
    numbers have no gap and no duplicate."""
    cur.execute(
        """INSERT INTO payment.receipt_counters (series, year, last_number) VALUES (%s, %s, 1)
           ON CONFLICT (series, year) DO UPDATE
               SET last_number = payment.receipt_counters.last_number + 1
           RETURNING last_number""",
        (series, year),
    )
    return cur.fetchone()["last_number"]


def insert_receipt(cur, receipt):
    cur.execute(
        """INSERT INTO payment.receipts (id, payment_id, bill_id, series, year, number, issued_at,
               content) VALUES (%(id)s, %(payment_id)s, %(bill_id)s, %(series)s, %(year)s,
               %(number)s, %(issued_at)s, %(content)s)""",
        {**receipt, "content": json_param(receipt["content"])},
    )
