"""All of nationalportal's SQL (schema `nationalportal`)."""
from services.common.db import json_param

SCHEMA = "nationalportal"


# outbound: dossiers and their steps ------------------------------------------------------------
def add_dossier(cur, facts, portal_id):
    """The dossier from its reception; False when it was there already."""
    cur.execute(
        "INSERT INTO nationalportal.dossiers (code, facts, portal_id, received_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (code) DO NOTHING",
        (facts["code"], json_param(facts), portal_id, facts["received_at"]))
    return cur.rowcount == 1


def add_step(cur, event_id, code, at, status_code, facts):
    """One step, once per event; the dossier (when known) is behind the portal again."""
    cur.execute(
        "INSERT INTO nationalportal.steps (event_id, code, at, status_code, facts)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING",
        (event_id, code, at, status_code, json_param(facts)))
    if cur.rowcount == 1:
        behind(cur, [code])


def behind(cur, codes):
    """These dossiers have a change the portal must see (a failed one waits for a person)."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET version = version + 1,"
        " pending_since = COALESCE(pending_since, now()),"
        " state = CASE WHEN state = 'failed' THEN state ELSE 'pending' END"
        " WHERE code = ANY(%s)", (list(codes),))


def claim_due(cur, batch, lease_seconds):
    """Up to `batch` dossiers whose change is due, leased to this process for the send; an
    online one only once the portal acknowledged what it was told before the reception."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET state = 'sent',"
        " next_attempt_at = now() + make_interval(secs => %(lease)s)"
        " WHERE code IN (SELECT code FROM nationalportal.dossiers d"
        "   WHERE version > synced_version AND state <> 'failed' AND next_attempt_at <= now()"
        "   AND NOT EXISTS (SELECT 1 FROM nationalportal.reception_steps r"
        "     JOIN nationalportal.inbound i ON i.submission_id = r.submission_id"
        "     WHERE i.portal_id = d.portal_id AND r.state IN ('pending', 'sent'))"
        "   ORDER BY next_attempt_at LIMIT %(batch)s FOR UPDATE OF d SKIP LOCKED)"
        " RETURNING code, facts, portal_id, version, added, attempts",
        {"batch": batch, "lease": lease_seconds})
    return cur.fetchall()


def steps_of(cur, codes):
    cur.execute(
        "SELECT id, code, at, status_code, facts, state FROM nationalportal.steps"
        " WHERE code = ANY(%s) ORDER BY code, at, id", (list(codes),))
    return cur.fetchall()


def record_bill(cur, bill_id, code, amount, description):
    """payment.requested: a bill of the dossier (its settlement may have come first)."""
    cur.execute(
        "INSERT INTO nationalportal.fees (bill_id, code, amount, description)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (bill_id) DO UPDATE"
        " SET amount = EXCLUDED.amount, description = EXCLUDED.description",
        (bill_id, code, amount, description))
    behind(cur, [code])


def record_settlement(cur, bill_id, code, amount, paid, settled_at):
    cur.execute(
        "INSERT INTO nationalportal.fees (bill_id, code, amount, paid, settled_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (bill_id) DO UPDATE"
        " SET amount = EXCLUDED.amount, paid = GREATEST(fees.paid, EXCLUDED.paid),"
        " settled_at = EXCLUDED.settled_at",
        (bill_id, code, amount, paid, settled_at))
    behind(cur, [code])


def record_result(cur, code, reference, ready_at, releasable):
    cur.execute(
        "INSERT INTO nationalportal.results (code, reference, ready_at, releasable)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET reference ="
        " EXCLUDED.reference, ready_at = EXCLUDED.ready_at, releasable = EXCLUDED.releasable",
        (code, reference, ready_at, releasable))
    behind(cur, [code])


def fees_of(cur, codes):
    cur.execute("SELECT * FROM nationalportal.fees WHERE code = ANY(%s) ORDER BY code, bill_id",
                (list(codes),))
    return cur.fetchall()


def results_of(cur, codes):
    cur.execute("SELECT * FROM nationalportal.results WHERE code = ANY(%s)", (list(codes),))
    return cur.fetchall()


def mark_steps(cur, ids, state, error=None):
    cur.execute(
        "UPDATE nationalportal.steps SET state = %(state)s, last_error = %(error)s,"
        " attempts = attempts + CASE WHEN %(state)s = 'sent' THEN 1 ELSE 0 END,"
        " sent_at = CASE WHEN %(state)s = 'sent' THEN now() ELSE sent_at END,"
        " acknowledged_at = CASE WHEN %(state)s = 'acknowledged' THEN now()"
        "   ELSE acknowledged_at END"
        " WHERE id = ANY(%(ids)s)", {"ids": list(ids), "state": state, "error": error})


def mark_added(cur, code):
    cur.execute("UPDATE nationalportal.dossiers SET added = true WHERE code = %s", (code,))


def lost_on_portal(cur, code):
    """The portal does not hold the dossier (any more): the next send adds it."""
    cur.execute("UPDATE nationalportal.dossiers SET added = false WHERE code = %s", (code,))


def mark_synced(cur, code, version):
    """The portal acknowledged the dossier as of `version` (a change since keeps it due)."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET added = true,"
        " synced_version = GREATEST(synced_version, %(version)s), attempts = 0,"
        " last_error = NULL, synced_at = now(), next_attempt_at = now(),"
        " state = CASE WHEN version <= %(version)s THEN 'acknowledged' ELSE 'pending' END,"
        " pending_since = CASE WHEN version <= %(version)s THEN NULL ELSE pending_since END"
        " WHERE code = %(code)s", {"code": code, "version": version})


def mark_retry(cur, code, delay_seconds, error, max_attempts):
    """The portal was down: try again after `delay_seconds`, or park it after the last
    attempt: then its attempts, else None."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET attempts = attempts + 1, last_error = %(error)s,"
        " next_attempt_at = now() + make_interval(secs => %(delay)s),"
        " state = CASE WHEN attempts + 1 >= %(max)s THEN 'failed' ELSE 'pending' END"
        " WHERE code = %(code)s RETURNING state, attempts",
        {"code": code, "delay": delay_seconds, "error": error, "max": max_attempts})
    row = cur.fetchone()
    return row["attempts"] if row is not None and row["state"] == "failed" else None


def mark_failed(cur, code, error):
    """Parked until a person retries it; its attempts."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET state = 'failed', last_error = %s,"
        " attempts = attempts + 1 WHERE code = %s RETURNING attempts", (error, code))
    row = cur.fetchone()
    return row["attempts"] if row else 0


def retry_failed(cur, code):
    """A person fixed what failed: the dossier and its failed steps are due again."""
    cur.execute(
        "UPDATE nationalportal.dossiers SET state = 'pending', attempts = 0,"
        " next_attempt_at = now(), version = GREATEST(version, synced_version + 1),"
        " pending_since = COALESCE(pending_since, now())"
        " WHERE code = %s AND state = 'failed'", (code,))
    retried = cur.rowcount == 1
    cur.execute("UPDATE nationalportal.steps SET state = 'pending', last_error = NULL"
                " WHERE code = %s AND state = 'failed'", (code,))
    return retried


def reopen_steps(cur, ids):
    cur.execute("UPDATE nationalportal.steps SET state = 'pending' WHERE id = ANY(%s)",
                (list(ids),))


# the evaluations and their monthly summaries ------------------------------------------------
def add_rating(cur, event_id, code, procedure_code, evaluated_at, answers):
    """One evaluation, once per event."""
    cur.execute(
        "INSERT INTO nationalportal.ratings (event_id, code, procedure_code, evaluated_at, facts)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING",
        (event_id, code, procedure_code, evaluated_at, json_param({"answers": answers})))


def month_evaluations(cur, start, end):
    """The latest evaluation of each dossier evaluated in [start, end): a later one
    replaces the earlier."""
    cur.execute(
        "SELECT DISTINCT ON (code) code, procedure_code, facts->'answers' AS answers"
        " FROM nationalportal.ratings WHERE evaluated_at >= %s AND evaluated_at < %s"
        " ORDER BY code, evaluated_at DESC, id DESC", (start, end))
    return cur.fetchall()


def keep_summary(cur, month, procedure_code, summary):
    """The month's summary of a procedure; due again only when it changed."""
    cur.execute(
        "INSERT INTO nationalportal.rating_summaries (month, procedure_code, summary)"
        " VALUES (%s, %s, %s) ON CONFLICT (month, procedure_code) DO UPDATE"
        " SET summary = EXCLUDED.summary, version = rating_summaries.version + 1,"
        " state = 'pending', last_error = NULL, computed_at = now()"
        " WHERE rating_summaries.summary IS DISTINCT FROM EXCLUDED.summary",
        (month, procedure_code, json_param(summary)))


def due_summaries(cur, limit):
    cur.execute(
        "SELECT month, procedure_code, summary, version FROM nationalportal.rating_summaries"
        " WHERE state = 'pending' ORDER BY month, procedure_code LIMIT %s", (limit,))
    return cur.fetchall()


def mark_summaries(cur, sent, state, error=None):
    """The summaries sent, each as of its version (one recomputed since stays due)."""
    for row in sent:
        cur.execute(
            "UPDATE nationalportal.rating_summaries SET state = %s, last_error = %s,"
            " sent_at = now() WHERE month = %s AND procedure_code = %s AND version = %s",
            (state, error, row["month"], row["procedure_code"], row["version"]))


def summaries_of(cur, month):
    cur.execute(
        "SELECT procedure_code, summary, state, last_error, computed_at, sent_at"
        " FROM nationalportal.rating_summaries WHERE month = %s ORDER BY procedure_code",
        (month,))
    return cur.fetchall()


# before the reception: the portal's id is the key -----------------------------------------
def add_reception_step(cur, submission_id, status_code, at, facts):
    """One status of an online dossier before its reception; False when it was there."""
    cur.execute(
        "INSERT INTO nationalportal.reception_steps (submission_id, status_code, at, facts)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (submission_id, status_code) DO NOTHING",
        (submission_id, status_code, at, json_param(facts)))
    return cur.rowcount == 1


def claim_reception_steps(cur, batch, lease_seconds):
    """The open reception statuses of up to `batch` submissions, with their portal id,
    oldest first, leased to this process for the send. A submission is taken only when all
    its open statuses are due, so that one waiting out a backoff (or in flight elsewhere)
    is never overtaken by a later one; one the portal did not hand us has no portal id and
    is never sent."""
    cur.execute(
        "UPDATE nationalportal.reception_steps r"
        " SET next_attempt_at = now() + make_interval(secs => %(lease)s)"
        " FROM nationalportal.inbound i"
        " WHERE i.submission_id = r.submission_id AND r.state IN ('pending', 'sent')"
        " AND r.next_attempt_at <= now() AND r.submission_id IN ("
        "   SELECT s.submission_id FROM nationalportal.reception_steps s"
        "   JOIN nationalportal.inbound o ON o.submission_id = s.submission_id"
        "   WHERE s.state IN ('pending', 'sent') GROUP BY s.submission_id"
        "   HAVING max(s.next_attempt_at) <= now() ORDER BY min(s.at) LIMIT %(batch)s)"
        " RETURNING r.id, i.portal_id, r.at, r.status_code, r.facts, r.state, r.attempts",
        {"batch": batch, "lease": lease_seconds})
    return sorted(cur.fetchall(), key=lambda row: (row["portal_id"], row["at"], row["id"]))


def mark_reception_steps(cur, ids, state, error=None):
    cur.execute(
        "UPDATE nationalportal.reception_steps SET state = %(state)s, last_error = %(error)s,"
        " attempts = attempts + CASE WHEN %(state)s = 'sent' THEN 1 ELSE 0 END,"
        " acknowledged_at = CASE WHEN %(state)s = 'acknowledged' THEN now()"
        "   ELSE acknowledged_at END"
        " WHERE id = ANY(%(ids)s)", {"ids": list(ids), "state": state, "error": error})


def delay_reception_steps(cur, ids, delay_seconds, error):
    """The portal was down: these go again after `delay_seconds`."""
    cur.execute(
        "UPDATE nationalportal.reception_steps SET last_error = %s,"
        " next_attempt_at = now() + make_interval(secs => %s) WHERE id = ANY(%s)",
        (error, delay_seconds, list(ids)))


def reception_step_counts(cur):
    cur.execute("SELECT r.state, count(*) AS n FROM nationalportal.reception_steps r"
                " JOIN nationalportal.inbound i ON i.submission_id = r.submission_id"
                " GROUP BY r.state")
    return {row["state"]: row["n"] for row in cur.fetchall()}


# reading the sync state ---------------------------------------------------------------------
def sync_counts(cur):
    cur.execute(
        "SELECT state, count(*) AS n,"
        " EXTRACT(EPOCH FROM now() - min(pending_since)) AS lag"
        " FROM nationalportal.dossiers GROUP BY state")
    return cur.fetchall()


def step_counts(cur):
    cur.execute("SELECT state, count(*) AS n FROM nationalportal.steps GROUP BY state")
    return {row["state"]: row["n"] for row in cur.fetchall()}


def failed_dossiers(cur, limit):
    cur.execute(
        "SELECT code, attempts, last_error, received_at FROM nationalportal.dossiers"
        " WHERE state = 'failed' ORDER BY received_at LIMIT %s", (limit,))
    return cur.fetchall()


def get_dossier(cur, code):
    cur.execute(
        "SELECT code, portal_id, state, added, version, synced_version, attempts, last_error,"
        " received_at, synced_at FROM nationalportal.dossiers WHERE code = %s", (code,))
    return cur.fetchone()


def step_views(cur, code):
    cur.execute(
        "SELECT at, status_code, facts->>'status' AS status, state, attempts, last_error,"
        " acknowledged_at FROM nationalportal.steps WHERE code = %s ORDER BY at, id", (code,))
    return cur.fetchall()


def codes_since(cur, since, limit):
    cur.execute(
        "SELECT code FROM nationalportal.dossiers WHERE received_at >= %s"
        " ORDER BY received_at LIMIT %s", (since, limit))
    return [row["code"] for row in cur.fetchall()]


# inbound: online dossiers from the portal -----------------------------------------------------
def take_inbound(cur, portal_id, fetched):
    """The portal's dossier kept; False when it was taken before."""
    cur.execute(
        "INSERT INTO nationalportal.inbound (portal_id, fetched) VALUES (%s, %s)"
        " ON CONFLICT (portal_id) DO NOTHING", (portal_id, json_param(fetched)))
    return cur.rowcount == 1


def known_inbound(cur, portal_ids):
    cur.execute("SELECT portal_id, state FROM nationalportal.inbound"
                " WHERE portal_id = ANY(%s)", (list(portal_ids),))
    return {row["portal_id"]: row["state"] for row in cur.fetchall()}


def open_inbound(cur, limit):
    cur.execute(
        "SELECT portal_id FROM nationalportal.inbound"
        " WHERE state IN ('taken', 'registered') ORDER BY taken_at LIMIT %s", (limit,))
    return cur.fetchall()


def lock_inbound(cur, portal_id):
    """The open dossier, locked for its hand-over; None when another process holds it."""
    cur.execute(
        "SELECT portal_id, fetched, state, attempts FROM nationalportal.inbound"
        " WHERE portal_id = %s AND state IN ('taken', 'registered') FOR UPDATE SKIP LOCKED",
        (portal_id,))
    return cur.fetchone()


def mark_registered(cur, portal_id, submission_id):
    cur.execute(
        "UPDATE nationalportal.inbound SET state = 'registered', submission_id = %s,"
        " registered_at = now() WHERE portal_id = %s AND state = 'taken'",
        (submission_id, portal_id))


def mark_acknowledged(cur, portal_id):
    cur.execute(
        "UPDATE nationalportal.inbound SET state = 'acknowledged', acknowledged_at = now()"
        " WHERE portal_id = %s AND state = 'registered'", (portal_id,))


def count_inbound_attempt(cur, portal_id, reason, max_attempts):
    """intake refused it once more: parked after the last attempt. True when parked."""
    cur.execute(
        "UPDATE nationalportal.inbound SET attempts = attempts + 1, reason = %(reason)s,"
        " state = CASE WHEN attempts + 1 >= %(max)s THEN 'parked' ELSE state END"
        " WHERE portal_id = %(id)s RETURNING state",
        {"id": portal_id, "reason": reason, "max": max_attempts})
    row = cur.fetchone()
    return row is not None and row["state"] == "parked"


def park(cur, portal_id, reason):
    cur.execute("UPDATE nationalportal.inbound SET state = 'parked', reason = %s"
                " WHERE portal_id = %s", (reason, portal_id))


def portal_id_of(cur, submission_id):
    if submission_id is None:
        return None
    cur.execute("SELECT portal_id FROM nationalportal.inbound WHERE submission_id = %s",
                (submission_id,))
    row = cur.fetchone()
    return row["portal_id"] if row else None


def inbound_list(cur, state, limit):
    cur.execute(
        "SELECT portal_id, state, reason, submission_id, attempts, taken_at, registered_at,"
        " acknowledged_at FROM nationalportal.inbound"
        " WHERE %(state)s::text IS NULL OR state = %(state)s ORDER BY taken_at DESC"
        " LIMIT %(limit)s", {"state": state, "limit": limit})
    return cur.fetchall()
