"""notify's SQL: contacts, notifications (the sender's queue), opt-outs."""
import uuid
from datetime import datetime
from typing import NamedTuple

import psycopg2.extras

from services.common.db import PreparedStatement, StatementBatch, json_param
from services.common.events import publish_all

SCHEMA = "notify"


# Every transaction opens with its dossiers' locks, in code order (so two never wait for each
# other), taken in a statement of their own so that the next statement's snapshot sees a
# contact saved by whoever held a lock before.
LOCK_DOSSIERS = PreparedStatement("notify_lock_dossiers", """
    SELECT count(pg_advisory_xact_lock(hashtext('notify.contact:' || code)))
      FROM (SELECT DISTINCT code FROM unnest(%(codes)s::text[]) AS code ORDER BY code) codes""")

# The events of one batch (distinct ids), each with its dossier's code, opened together:
# their deliveries recorded, each dossier's contact and the channels its addresses opted out
# of, per event.
OPEN_EVENTS = """WITH event AS (
    SELECT * FROM jsonb_to_recordset(%(events)s::jsonb) AS e ({columns})),
delivery AS (
    INSERT INTO notify.processed_messages (message_id, consumer)
    SELECT id, %(consumer)s::text FROM event
    ON CONFLICT DO NOTHING RETURNING message_id),
{ctes}
SELECT EXISTS (SELECT 1 FROM delivery d WHERE d.message_id = e.id) AS first_delivery,
       (SELECT row_to_json(c) FROM (SELECT full_name, phone, email FROM contact
                                     WHERE contact.dossier_code = e.code LIMIT 1) c) AS contact,
       ARRAY(SELECT o.channel FROM notify.opt_outs o, contact c
              WHERE c.dossier_code = e.code
                AND (o.channel, o.address) IN (('sms', c.phone), ('email', c.email)))
           AS opted_out{results}
  FROM event e ORDER BY e.n"""

RECEIVE_DOSSIERS = PreparedStatement("notify_receive_dossiers", OPEN_EVENTS.format(
    columns="n int, id uuid, code text, full_name text, phone text, email text, department text",
    ctes="""saved AS (
    INSERT INTO notify.contacts (dossier_code, full_name, phone, email, department)
    SELECT e.code, e.full_name, e.phone, e.email, e.department
      FROM event e JOIN delivery d ON d.message_id = e.id
    ON CONFLICT (dossier_code) DO NOTHING RETURNING dossier_code, full_name, phone, email),
contact AS (SELECT * FROM saved UNION ALL
            SELECT dossier_code, full_name, phone, email FROM notify.contacts
             WHERE dossier_code IN (SELECT code FROM event)),
taken AS (
    DELETE FROM notify.awaiting_contact a
     USING event e JOIN delivery d ON d.message_id = e.id
     WHERE a.dossier_code = e.code
    RETURNING a.dossier_code, a.envelope, a.created_at)""",
    results=""",
       (SELECT coalesce(json_agg(t.envelope ORDER BY t.created_at), '[]') FROM taken t
         WHERE t.dossier_code = e.code) AS waiting"""))

OPEN_LATER_EVENTS = PreparedStatement("notify_open_later_events", OPEN_EVENTS.format(
    columns="n int, id uuid, code text, envelope jsonb",
    ctes="""contact AS (SELECT dossier_code, full_name, phone, email FROM notify.contacts
                WHERE dossier_code IN (SELECT code FROM event)),
kept AS (  -- runs though nothing reads it, as every data-modifying WITH does
    INSERT INTO notify.awaiting_contact (event_id, dossier_code, envelope)
    SELECT e.id, e.code, e.envelope FROM event e JOIN delivery d ON d.message_id = e.id
     WHERE NOT EXISTS (SELECT 1 FROM contact c WHERE c.dossier_code = e.code)
    ON CONFLICT DO NOTHING)""",
    results=""))


def _open(cur, statement, consumer, events):
    """BEGIN, the dossiers' locks and `statement` in one round trip: what each event opened,
    in their order."""
    params = {"codes": [event["code"] for event in events], "consumer": consumer,
              "events": json_param([{"n": n, **event} for n, event in enumerate(events)])}
    cur.execute(b";\n".join([b"BEGIN", LOCK_DOSSIERS.statement(cur, params),
                             statement.statement(cur, params)]))
    return cur.fetchall()


def receive_dossiers(cur, consumer, deliveries):
    """Opens the transaction of dossier.received events, each (envelope id, contact) with
    distinct ids: each delivery recorded, each dossier's contact saved (or the one already
    stored), the events that waited for it taken, oldest first. Returns, per delivery,
    first_delivery, contact, opted_out (its channels that opted out) and waiting (the same
    for two events of one dossier)."""
    return _open(cur, RECEIVE_DOSSIERS, consumer,
                 [{"id": envelope_id, **contact} for envelope_id, contact in deliveries])


def open_later_events(cur, consumer, envelopes):
    """Opens the transaction of events that follow dossier.received (distinct ids): each
    delivery recorded and the dossier's contact; with no contact yet (the event overtook
    dossier.received), the event kept to wait for it. Returns, per envelope,
    first_delivery, contact and opted_out."""
    return _open(cur, OPEN_LATER_EVENTS, consumer,
                 [{"id": envelope["id"], "code": envelope["data"]["code"], "envelope": envelope}
                  for envelope in envelopes])


def commit(cur, notifications=()):
    """Records the notifications, if any, and commits the event's transaction, in one round
    trip."""
    statements = [insert_notifications(cur, notifications)] if notifications else []
    cur.execute(b";\n".join([*statements, b"COMMIT"]))


def get_contact(cur, code):
    cur.execute("SELECT * FROM notify.contacts WHERE dossier_code = %s", (code,))
    return cur.fetchone()


def opt_out(cur, channel, address):
    cur.execute("INSERT INTO notify.opt_outs (channel, address) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING", (channel, address))


NOTIFICATION_COLUMNS = ("event_id", "event_type", "dossier_code", "correlation_id", "channel",
                        "template", "recipient", "content", "urgent", "next_attempt_at",
                        "status")
NOTIFICATION_VALUES = ("(%s::uuid, %s::uuid, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::boolean,"
                       " %s::timestamptz, %s, CASE WHEN %s = 'pending' THEN NULL ELSE now() END)")


def insert_notifications(cur, rows):
    """One statement recording the notifications, each `pending` or `opted_out` as its row
    says; one that its event already has on that channel is left alone."""
    values = b",".join(cur.mogrify(NOTIFICATION_VALUES, (
        uuid.uuid4(), *(json_param(row[c]) if c == "content" else row[c]
                        for c in NOTIFICATION_COLUMNS), row["status"])) for row in rows)
    return (f"INSERT INTO notify.notifications (id, {', '.join(NOTIFICATION_COLUMNS)},"
            " finished_at) VALUES ").encode() + values + b" ON CONFLICT (event_id, channel) DO NOTHING"


def claim_due(cur, limit, lease_seconds):
    """Pending notifications whose time has come, taken as `sending` (the attempt recorded
    before it is made) until the lease ends: another sender skips them (SKIP LOCKED now, the
    status afterwards); if this one dies before recording an outcome, the watcher finds them
    `sending` past their lease (`lapse_attempts`). The due index is walked in order, never by
    a bitmap scan: each row leaves it dead (claimed) long before autovacuum comes, and only an
    index scan marks such entries to be skipped; a bitmap scan reads every one's heap page at
    every claim."""
    cur.execute(
        """SET LOCAL enable_bitmapscan = off;
           UPDATE notify.notifications n
              SET status = 'sending', attempts = n.attempts + 1,
                  next_attempt_at = now() + make_interval(secs => %s)
            WHERE n.id IN (SELECT id FROM notify.notifications
                            WHERE status = 'pending' AND next_attempt_at <= now()
                            ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)
        RETURNING n.*,
                  EXISTS (SELECT 1 FROM notify.opt_outs o
                           WHERE o.channel = n.channel AND o.address = n.recipient) AS opted_out""",
        (lease_seconds, limit),
    )
    return cur.fetchall()


def lapse_attempts(cur, window_seconds, limit=500):
    """`sending` past the lease, no outcome recorded: the sender died, or lost its database
    or the gateway's answer. The attempt may have reached the gateway, so it is not simply
    made again: `unknown` until the acceptance window ends, for the gateway's report to
    settle it. Returns (id, channel) of each."""
    cur.execute(
        """UPDATE notify.notifications
              SET status = 'unknown', next_attempt_at = now() + make_interval(secs => %s),
                  last_error = 'no outcome recorded for attempt ' || attempts
            WHERE id IN (SELECT id FROM notify.notifications
                          WHERE status = 'sending' AND next_attempt_at <= now()
                          LIMIT %s FOR UPDATE SKIP LOCKED)
        RETURNING id, channel""",
        (window_seconds, limit),
    )
    return cur.fetchall()


def resend_unreported(cur, non_urgent_at, limit=500):
    """`unknown` past the acceptance window with no report: pending again, urgent ones at once,
    the others at `non_urgent_at` (after quiet hours). Returns (id, channel) of each."""
    cur.execute(
        """UPDATE notify.notifications
              SET status = 'pending',
                  next_attempt_at = CASE WHEN urgent THEN now() ELSE %s END,
                  last_error = 'no report of attempt ' || attempts || ' within the acceptance'
                               ' window: sending again'
            WHERE id IN (SELECT id FROM notify.notifications
                          WHERE status = 'unknown' AND next_attempt_at <= now()
                          LIMIT %s FOR UPDATE SKIP LOCKED)
        RETURNING id, channel""",
        (non_urgent_at, limit),
    )
    return cur.fetchall()


def lock(cur, notification_id):
    cur.execute("SELECT * FROM notify.notifications WHERE id = %s FOR UPDATE", (notification_id,))
    return cur.fetchone()


class Recorded(NamedTuple):
    """What attempt number `attempt` of a send leaves: `sent` or `delivered` (accepted by
    `provider`), `failed`, `pending` again (to retry at next_attempt_at), or `unknown` (the
    gateway's answer was lost; its report is awaited until next_attempt_at)."""
    id: uuid.UUID
    attempt: int
    status: str
    provider: str | None = None
    message_id: str | None = None
    next_attempt_at: datetime | None = None
    error: str | None = None


def record_outcomes(cur, outcomes):
    """Opens the transaction recording a sent batch (BEGIN sent with the statement, on a
    cursor of a spelled-out transaction): its outcomes (Recorded) in one statement, each
    applied only while its attempt is the notification's last and still open (`sending`, or
    `unknown` / `pending` once its lease ended): one whose report came first keeps the
    report's status. Returns the ids it was applied to."""
    rows = psycopg2.extras.execute_values(cur, """BEGIN;
        UPDATE notify.notifications n
           SET status = v.status,
               sent_at = CASE WHEN v.provider IS NULL THEN n.sent_at
                              ELSE coalesce(n.sent_at, now()) END,
               finished_at = CASE WHEN v.status IN ('delivered', 'failed') THEN now()
                                  ELSE n.finished_at END,
               provider = coalesce(v.provider, n.provider),
               provider_message_id = CASE WHEN v.provider IS NULL THEN n.provider_message_id
                                          ELSE v.message_id END,
               next_attempt_at = coalesce(v.next_attempt_at, n.next_attempt_at),
               last_error = CASE v.status WHEN 'sent' THEN NULL WHEN 'delivered' THEN n.last_error
                                 ELSE v.error END
          FROM (VALUES %s) AS v (id, attempt, status, provider, message_id, next_attempt_at,
                                 error)
         WHERE n.id = v.id AND n.attempts = v.attempt
           AND n.status IN ('sending', 'unknown', 'pending')
        RETURNING n.id""", outcomes,
        template="(%s::uuid, %s::int, %s, %s, %s, %s::timestamptz, %s)", page_size=len(outcomes),
        fetch=True)
    return {row["id"] for row in rows}


def record_sendings(cur, outcomes):
    """Messages the gateway accepted (Recorded) after their delivery report arrived: the status
    stays; who sent it and when is filled in."""
    psycopg2.extras.execute_values(cur, """
        UPDATE notify.notifications n
           SET sent_at = coalesce(n.sent_at, now()), provider = v.provider,
               provider_message_id = coalesce(n.provider_message_id, v.message_id)
          FROM (VALUES %s) AS v (id, provider, message_id)
         WHERE n.id = v.id""", [(o.id, o.provider, o.message_id) for o in outcomes],
        template="(%s::uuid, %s, %s)", page_size=len(outcomes))


def complete_outcomes(cur, late, envelopes):
    """Closes the transaction `record_outcomes` opened, in one round trip: what the outcomes
    it applied lead to (the sendings of `late` ones, Recorded, whose report came first; the
    events of final ones) and COMMIT."""
    then = StatementBatch(cur)
    if late:
        record_sendings(then, late)
    if envelopes:
        publish_all(then, SCHEMA, envelopes)
    then.execute("COMMIT")
    then.run()


def mark_accepted(cur, notification_id, provider):
    """The gateway's acceptance report (Kannel's type 8): the message went, a delivery report
    may follow."""
    cur.execute(
        """UPDATE notify.notifications SET status = 'sent', sent_at = coalesce(sent_at, now()),
               provider = coalesce(provider, %s), last_error = NULL
            WHERE id = %s""",
        (provider, notification_id),
    )


def finish(cur, notification_id, status, error=None):
    cur.execute(
        """UPDATE notify.notifications SET status = %s, finished_at = now(),
               sent_at = CASE WHEN %s = 'delivered' THEN coalesce(sent_at, now()) ELSE sent_at END,
               last_error = coalesce(%s, last_error)
            WHERE id = %s""",
        (status, status, error, notification_id),
    )


def expire_unreported(cur, timeout_seconds, limit=500):
    """`sent` for longer than the delivery-report timeout: expired."""
    cur.execute(
        """UPDATE notify.notifications SET status = 'expired', finished_at = now(),
               last_error = 'no delivery report'
            WHERE id IN (SELECT id FROM notify.notifications
                          WHERE status = 'sent' AND sent_at < now() - make_interval(secs => %s)
                          LIMIT %s FOR UPDATE SKIP LOCKED)
        RETURNING *""",
        (timeout_seconds, limit),
    )
    return cur.fetchall()


def of_dossier(cur, code):
    cur.execute(
        """SELECT id, event_type, channel, template, recipient, status, urgent, attempts,
                  created_at, sent_at, finished_at, provider, last_error
             FROM notify.notifications WHERE dossier_code = %s ORDER BY created_at, channel""",
        (code,),
    )
    return cur.fetchall()
