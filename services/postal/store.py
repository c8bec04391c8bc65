"""postal's SQL: every statement the service runs."""
from services.common.db import PreparedStatement

SCHEMA = "postal"


# post offices and delegations ----------------------------------------------------------------
def insert_post_office(cur, office):
    cur.execute(
        """INSERT INTO postal.post_offices (code, name, address, receiving_unit)
           VALUES (%(code)s, %(name)s, %(address)s, %(receiving_unit)s)
           ON CONFLICT DO NOTHING RETURNING *""",
        office,
    )
    return cur.fetchone()


def list_post_offices(cur):
    cur.execute("SELECT code, name, address, receiving_unit FROM postal.post_offices ORDER BY code")
    return cur.fetchall()


def get_post_office(cur, code):
    cur.execute("SELECT code, name, address, receiving_unit FROM postal.post_offices"
                " WHERE code = %s", (code,))
    return cur.fetchone()


def first_post_office(cur):
    cur.execute("SELECT code FROM postal.post_offices ORDER BY code LIMIT 1")
    row = cur.fetchone()
    return row["code"] if row else None


def insert_delegation(cur, delegation):
    cur.execute(
        """INSERT INTO postal.delegations (department, post_office, valid_from, valid_to,
               procedures, volume, volume_from, volume_to, override_reason, created_by)
           VALUES (%(department)s, %(post_office)s, %(valid_from)s, %(valid_to)s,
               %(procedures)s, %(volume)s, %(volume_from)s, %(volume_to)s,
               %(override_reason)s, %(created_by)s)
           RETURNING *""",
        delegation,
    )
    return cur.fetchone()


def list_delegations(cur, post_office=None):
    cur.execute(
        """SELECT * FROM postal.delegations WHERE %(office)s::text IS NULL
               OR post_office = %(office)s ORDER BY id""",
        {"office": post_office},
    )
    return cur.fetchall()


def end_delegation(cur, delegation_id, valid_to, reason, ended_by):
    """The delegation ended on `valid_to`, or None when there is none with that id."""
    cur.execute(
        """UPDATE postal.delegations SET valid_to = %s, end_reason = %s, ended_by = %s
           WHERE id = %s RETURNING *""",
        (valid_to, reason, ended_by, delegation_id),
    )
    return cur.fetchone()


def get_delegation(cur, delegation_id):
    cur.execute("SELECT * FROM postal.delegations WHERE id = %s FOR UPDATE", (delegation_id,))
    return cur.fetchone()


def active_delegation(cur, post_office, department, procedure_code):
    """The delegation letting this post office receive this procedure today (local date)."""
    cur.execute(
        """SELECT * FROM postal.delegations
           WHERE post_office = %s AND department = %s
             AND valid_from <= current_date AND (valid_to IS NULL OR valid_to >= current_date)
             AND (procedures IS NULL OR %s = ANY (procedures))
           ORDER BY id LIMIT 1""",
        (post_office, department, procedure_code),
    )
    return cur.fetchone()


# volumes ---------------------------------------------------------------------------------------
COUNT_RECEIVED = PreparedStatement("postal_count_received", """
    INSERT INTO postal.department_volumes (department, month, counted)
    VALUES (%(department)s, %(month)s, 1)
    ON CONFLICT (department, month) DO UPDATE SET counted = postal.department_volumes.counted + 1""")


def count_received(cur, department, month):
    """On a cursor, or into a StatementBatch: one more dossier of `department` this month.
    Prepared: it runs for every dossier received, the service's most frequent statement."""
    COUNT_RECEIVED.execute(cur, {"department": department, "month": month})


def record_volume(cur, department, month, dossiers):
    cur.execute(
        """INSERT INTO postal.department_volumes (department, month, recorded) VALUES (%s, %s, %s)
           ON CONFLICT (department, month) DO UPDATE SET recorded = excluded.recorded""",
        (department, month, dossiers),
    )


def department_volume(cur, department, first_day, last_day):
    cur.execute(
        """SELECT coalesce(sum(coalesce(recorded, counted)), 0)::int AS dossiers
           FROM postal.department_volumes
           WHERE department = %s AND month BETWEEN %s AND %s""",
        (department, first_day, last_day),
    )
    return cur.fetchone()["dossiers"]


def list_volumes(cur, department=None):
    cur.execute(
        """SELECT department, to_char(month, 'YYYY-MM') AS month, counted, recorded,
                  coalesce(recorded, counted) AS dossiers
           FROM postal.department_volumes
           WHERE %(department)s::text IS NULL OR department = %(department)s
           ORDER BY department, month""",
        {"department": department},
    )
    return cur.fetchall()


# receptions --------------------------------------------------------------------------------------
def insert_reception(cur, reception):
    cur.execute(
        """INSERT INTO postal.receptions (dossier_code, post_office, department, procedure_code,
               clerk, received_at)
           VALUES (%(dossier_code)s, %(post_office)s, %(department)s, %(procedure_code)s,
               %(clerk)s, %(received_at)s)
           ON CONFLICT DO NOTHING""",
        reception,
    )


def receptions_today(cur, post_office):
    cur.execute(
        """SELECT dossier_code, department, procedure_code, clerk, received_at
           FROM postal.receptions WHERE post_office = %s AND received_at >= current_date
           ORDER BY received_at""",
        (post_office,),
    )
    return cur.fetchall()


def reception_post_office(cur, dossier_code):
    cur.execute("SELECT post_office FROM postal.receptions WHERE dossier_code = %s",
                (dossier_code,))
    row = cur.fetchone()
    return row["post_office"] if row else None


# pick-ups ------------------------------------------------------------------------------------------
def insert_pickup(cur, pickup):
    cur.execute(
        """INSERT INTO postal.pickups (id, post_office, department, procedure_code, address,
               dossier, fee, status, requested_by)
           VALUES (%(id)s, %(post_office)s, %(department)s, %(procedure_code)s, %(address)s,
               %(dossier)s, %(fee)s, 'requested', %(requested_by)s)
           RETURNING *""",
        pickup,
    )
    return cur.fetchone()


def get_pickup(cur, pickup_id, lock=False):
    cur.execute("SELECT * FROM postal.pickups WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (pickup_id,))
    return cur.fetchone()


def list_pickups(cur, post_office, status=None):
    cur.execute(
        """SELECT * FROM postal.pickups WHERE post_office = %s
               AND (%s::text IS NULL OR status = %s) ORDER BY requested_at LIMIT 500""",
        (post_office, status, status),
    )
    return cur.fetchall()


def mark_pickup_collected(cur, pickup_id, clerk):
    cur.execute(
        """UPDATE postal.pickups SET status = 'collected', collected_by = %s, collected_at = now()
           WHERE id = %s RETURNING *""",
        (clerk, pickup_id),
    )
    return cur.fetchone()


def mark_pickup_received(cur, pickup_id, dossier_code):
    cur.execute(
        """UPDATE postal.pickups SET status = 'received', dossier_code = %s, received_at = now()
           WHERE id = %s RETURNING *""",
        (dossier_code, pickup_id),
    )
    return cur.fetchone()


# shipments -------------------------------------------------------------------------------------------
def next_tracking_serial(cur):
    cur.execute("SELECT nextval('postal.tracking_serial') AS serial")
    return cur.fetchone()["serial"]


def insert_shipment(cur, shipment):
    """The shipment, or None when the dossier already has one."""
    cur.execute(
        """INSERT INTO postal.shipments (id, tracking_number, dossier_code, department,
               post_office, recipient_name, phone, address, fee, status, created_at, status_at)
           VALUES (%(id)s, %(tracking_number)s, %(dossier_code)s, %(department)s,
               %(post_office)s, %(recipient_name)s, %(phone)s, %(address)s, %(fee)s, 'created',
               %(created_at)s, %(created_at)s)
           ON CONFLICT (dossier_code) DO NOTHING RETURNING *""",
        shipment,
    )
    return cur.fetchone()


def shipments_by_status(cur):
    cur.execute("SELECT status, count(*)::int AS n FROM postal.shipments GROUP BY status")
    return {row["status"]: row["n"] for row in cur.fetchall()}


def get_shipment(cur, tracking_number, lock=False):
    cur.execute("SELECT * FROM postal.shipments WHERE tracking_number = %s"
                + (" FOR UPDATE" if lock else ""), (tracking_number,))
    return cur.fetchone()


def shipment_of_dossier(cur, dossier_code):
    cur.execute("SELECT * FROM postal.shipments WHERE dossier_code = %s", (dossier_code,))
    return cur.fetchone()


def list_shipments(cur, post_office=None, status=None, limit=100):
    cur.execute(
        """SELECT * FROM postal.shipments
           WHERE (%(office)s::text IS NULL OR post_office = %(office)s)
             AND (%(status)s::text IS NULL OR status = %(status)s)
           ORDER BY created_at DESC LIMIT %(limit)s""",
        {"office": post_office, "status": status, "limit": limit},
    )
    return cur.fetchall()


def add_tracking_event(cur, tracking_number, update, source, actor):
    """True when recorded; False when this (tracking number, event, time) was seen before."""
    cur.execute(
        """INSERT INTO postal.tracking_events (tracking_number, event, at, reason, source, actor)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (tracking_number, update["event"], update["at"], update["reason"], source, actor),
    )
    return cur.rowcount == 1


def tracking_history(cur, tracking_number):
    cur.execute(
        """SELECT event, at, reason, source FROM postal.tracking_events
           WHERE tracking_number = %s ORDER BY at, id""",
        (tracking_number,),
    )
    return cur.fetchall()


def set_shipment_status(cur, shipment_id, update, attempts):
    event = update["event"]
    cur.execute(
        """UPDATE postal.shipments SET status = %(event)s, status_at = %(at)s,
               attempts = %(attempts)s,
               last_failure = CASE WHEN %(event)s = 'delivery_failed' THEN %(reason)s
                                   ELSE last_failure END,
               delivered_at = CASE WHEN %(event)s = 'delivered' THEN %(at)s ELSE delivered_at END,
               returned_at = CASE WHEN %(event)s = 'returned_to_center' THEN %(at)s
                                  ELSE returned_at END
           WHERE id = %(id)s RETURNING *""",
        {"event": event, "at": update["at"], "reason": update["reason"], "attempts": attempts,
         "id": shipment_id},
    )
    return cur.fetchone()


# reports ---------------------------------------------------------------------------------------------
def receptions_report(cur, first_day, end_day):
    cur.execute(
        """SELECT post_office, department,
                  to_char(date_trunc('month', received_at), 'YYYY-MM') AS month,
                  count(*)::int AS receptions
           FROM postal.receptions WHERE received_at >= %s AND received_at < %s
           GROUP BY 1, 2, 3 ORDER BY 3, 1, 2""",
        (first_day, end_day),
    )
    return cur.fetchall()


def deliveries_report(cur, first_day, end_day):
    cur.execute(
        """SELECT post_office, department,
                  to_char(date_trunc('month', created_at), 'YYYY-MM') AS month,
                  count(*)::int AS shipments,
                  count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
                  count(*) FILTER (WHERE status = 'returned_to_center')::int AS returned,
                  count(*) FILTER (WHERE status NOT IN ('delivered', 'returned_to_center'))::int
                      AS in_progress,
                  round(avg(extract(epoch FROM delivered_at - created_at) / 3600)
                      FILTER (WHERE status = 'delivered')::numeric, 1)::float
                      AS mean_delivery_hours,
                  sum(fee)::int AS shipment_fees
           FROM postal.shipments WHERE created_at >= %s AND created_at < %s
           GROUP BY 1, 2, 3 ORDER BY 3, 1, 2""",
        (first_day, end_day),
    )
    return cur.fetchall()


def pickup_fees_report(cur, first_day, end_day):
    cur.execute(
        """SELECT post_office, department,
                  to_char(date_trunc('month', received_at), 'YYYY-MM') AS month,
                  count(*)::int AS pickups, sum(fee)::int AS pickup_fees
           FROM postal.pickups
           WHERE status = 'received' AND received_at >= %s AND received_at < %s
           GROUP BY 1, 2, 3 ORDER BY 3, 1, 2""",
        (first_day, end_day),
    )
    return cur.fetchall()
