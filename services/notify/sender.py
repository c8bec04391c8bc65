"""The sender: claims due notifications (the attempt recorded before it is made), sends them
through the gateways outside any transaction, and records every outcome of a batch in one
transaction; and the watcher of attempts whose outcome was not recorded. The module
docstring of services.notify.service tells the whole pipeline."""
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import eventlet
import psycopg2

from services.common.contracts import NotificationOutcome
from services.common.events import event, now, publish
from services.common.logs import mask_text

from . import store
from .gateways import GatewayError, Outcome, OutcomeUnknown, RecipientRejected
from .metrics import GATEWAY_LATENCY, IN_DOUBT, NOTIFICATIONS, SEND_RETRIES
from .quiet import earliest_send

log = logging.getLogger("motcua.notify")

SOURCE = "notify"
# Recording a sent batch again after a lost database connection, seconds apart (None: give up).
RECORD_RETRY_WAITS = (0.5, 1, 2, 4, None)
FINAL_EVENTS = {"delivered": "notification.delivered", "failed": "notification.failed",
                "expired": "notification.failed"}


@dataclass(frozen=True)
class Refusal:
    """A send the gateway refused or that could not reach it: retried unless `final`;
    `unknown` when it reached the gateway and the answer was lost."""
    error: str
    final: bool = False
    unknown: bool = False


class Sender:
    """Sends what is due, batch after batch (SEND_BATCH claimed at a time, SEND_CONCURRENCY
    sent at a time)."""

    def __init__(self, db, settings, gateways):
        self.db, self.settings, self.gateways = db, settings, gateways

    def send_due(self):
        while self.send_batch() == self.settings.batch:
            pass

    def send_batch(self):
        """Claims a batch, sends it concurrently, records every outcome in one transaction;
        returns how many it claimed."""
        # The claim is one statement, its own transaction: one round trip.
        with self.db.autocommit() as cur:
            claimed = store.claim_due(cur, self.settings.batch, self.settings.lease)
            to_send = []
            for row in claimed:
                if row["opted_out"]:  # opted out after the notification was recorded
                    store.finish(cur, row["id"], "opted_out")
                    NOTIFICATIONS.labels(row["channel"], row["template"], "opted_out").inc()
                else:
                    to_send.append(row)
        if to_send:
            pool = eventlet.GreenPool(self.settings.concurrency)
            self.record_outcomes(to_send, list(pool.imap(self.send_one, to_send)))
        return len(claimed)

    def send_one(self, row):
        """The gateway's Outcome, or the Refusal to record."""
        gateway = self.gateways.of(row["channel"])
        started = time.perf_counter()
        try:
            outcome = gateway.send(row["id"], row["recipient"], row["content"])
        except GatewayError as exc:
            GATEWAY_LATENCY.labels(row["channel"], gateway.name, "error").observe(
                time.perf_counter() - started)
            return Refusal(str(exc), final=isinstance(exc, RecipientRejected),
                           unknown=isinstance(exc, OutcomeUnknown))
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the other sends
            log.exception("sending failed unexpectedly", extra={"notification_id": str(row["id"])})
            return Refusal(f"{type(exc).__name__}: {mask_text(str(exc))[:200]}")
        GATEWAY_LATENCY.labels(row["channel"], gateway.name, "accepted").observe(
            time.perf_counter() - started)
        return outcome

    def record_outcomes(self, rows, results):
        """Every outcome of a sent batch, and the final ones' events, in one transaction; only
        notifications still open take them (a delivery report may have come first). The
        messages are gone: a lost connection is retried rather than leaving them to be sent
        again when their lease ends."""
        outcomes = [self.outcome(row, result) for row, result in zip(rows, results, strict=True)]
        for wait in RECORD_RETRY_WAITS:
            try:
                applied = self.apply_outcomes(rows, outcomes)
                break
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                if wait is None:
                    raise
                log.warning("could not record a sent batch; trying again", extra={
                    "error": type(exc).__name__, "retry_in_seconds": wait})
                eventlet.sleep(wait)
        for row, outcome in zip(rows, outcomes, strict=True):
            self.log_outcome(row, outcome, row["id"] in applied)
        accepted = sum(1 for outcome in outcomes if outcome.provider)
        log.info("batch sent", extra={"notifications": len(outcomes), "accepted": accepted,
                                      "recorded": len(applied)})

    def outcome(self, row, result):
        """What to record for one send: accepted, unknown (awaiting the gateway's report),
        failed for good, or retried with backoff."""
        attempt = row["attempts"]
        if isinstance(result, Outcome):
            return store.Recorded(row["id"], attempt, result.status, result.provider,
                                  result.message_id)
        if result.unknown:
            window_ends = now() + timedelta(seconds=self.settings.acceptance_window)
            return store.Recorded(row["id"], attempt, "unknown", next_attempt_at=window_ends,
                                  error=result.error)
        age = (now() - row["created_at"]).total_seconds()
        if result.final or age >= self.settings.retry_for:
            return store.Recorded(row["id"], attempt, "failed", error=result.error)
        when = earliest_send(now() + timedelta(seconds=self.retry_delay(row)),
                             self.settings.quiet_hours, row["urgent"])
        return store.Recorded(row["id"], attempt, "pending", next_attempt_at=when,
                              error=result.error)

    def retry_delay(self, row):
        return min(self.settings.retry_first * 2 ** (row["attempts"] - 1), self.settings.retry_max)

    def apply_outcomes(self, rows, outcomes):
        """One transaction of two round trips: the outcomes applied, then what depends on
        which were, and the commit. Returns the ids of the notifications they applied to."""
        with self.db.spelled_out_transaction() as cur:
            applied = store.record_outcomes(cur, outcomes)
            # accepted, but its delivery report came first: it keeps the report's status
            late = [o for o in outcomes if o.provider and o.id not in applied]
            events = [outcome_event(row, o.status) for row, o in zip(rows, outcomes, strict=True)
                      if o.id in applied and o.status in ("delivered", "failed")]
            store.complete_outcomes(cur, late, events)
        return applied

    def log_outcome(self, row, outcome, applied):
        """Metrics and the log line of one recorded outcome."""
        ids = {"notification_id": str(row["id"])}
        if outcome.provider:
            # one line per notification only when debugging: the batch has its own line, and
            # the status of each is in the database (GET /api/v1/notifications/<code>)
            log.debug("notification handed to the gateway", extra={
                **ids, "dossier_code": row["dossier_code"], "channel": row["channel"],
                "provider": outcome.provider, "status": outcome.status})
            if outcome.status == "delivered" and applied:
                NOTIFICATIONS.labels(row["channel"], row["template"], "delivered").inc()
        elif not applied:
            return  # a report settled it first, or the attempt is no longer its last
        elif outcome.status == "unknown":
            IN_DOUBT.labels(row["channel"], "unknown").inc()
            log.warning("the gateway's answer was lost; waiting for its report", extra={
                **ids, "attempt": row["attempts"], "error": outcome.error,
                "window_seconds": self.settings.acceptance_window})
        elif outcome.status == "failed":
            NOTIFICATIONS.labels(row["channel"], row["template"], "failed").inc()
            log.warning("notification failed for good", extra={**ids, "error": outcome.error})
        else:
            SEND_RETRIES.labels(row["channel"]).inc()
            log.warning("gateway refused or unreachable; will retry", extra={
                **ids, "attempt": row["attempts"], "error": outcome.error,
                "retry_in_seconds": self.retry_delay(row)})


def watch_attempts(db, settings):
    """Attempts whose lease ended become `unknown`; unknown ones with no report within the
    acceptance window are sent again; `sent` ones with no delivery report expire. True when
    some are to be sent again."""
    non_urgent_at = earliest_send(now(), settings.quiet_hours, False)
    with db.transaction() as cur:
        lapsed = store.lapse_attempts(cur, settings.acceptance_window)
        resent = store.resend_unreported(cur, non_urgent_at)
        for row in store.expire_unreported(cur, settings.dlr_timeout):
            finished(cur, row, "expired")
    for stage, rows in (("unknown", lapsed), ("resent", resent)):
        for row in rows:
            IN_DOUBT.labels(row["channel"], stage).inc()
    if lapsed or resent:
        log.warning("attempts without a recorded outcome", extra={
            "now_unknown": len(lapsed), "sent_again": len(resent)})
    return bool(resent)


def outcome_event(row, status):
    """The notification.delivered / .failed event of a notification's final status."""
    return event(SOURCE, FINAL_EVENTS[status], NotificationOutcome, outcome_data(row, status),
                 row["correlation_id"], row["dossier_code"])


def finished(cur, row, status):
    """A final status reached outside the sender's batch (a delivery report, an expiry):
    counted, and announced in the caller's transaction."""
    NOTIFICATIONS.labels(row["channel"], row["template"], status).inc()
    publish(cur, SOURCE, FINAL_EVENTS[status], NotificationOutcome, outcome_data(row, status),
            row["correlation_id"], row["dossier_code"])


def outcome_data(row, status):
    return {"notification_id": str(row["id"]), "code": row["dossier_code"],
            "channel": row["channel"], "template": row["template"], "status": status}
