"""notify: tells the citizen by SMS and email what happens to their dossier.

Handlers only record: in the transaction that consumes an event they store the rendered
notifications as `pending` (one per event and channel), then wake the sender. The sender
(woken, or every second) claims due notifications as `sending` (FOR UPDATE SKIP LOCKED, and a
lease), so the attempt is recorded before it is made and two notify instances never send one
twice; it sends them outside any transaction and records the batch's outcomes in one
transaction: `sent` (a delivery report will follow), `delivered`, a retry with backoff, after
RETRY_FOR_SECONDS `failed`, or `unknown` when the gateway's answer was lost.
An attempt still `sending` when its lease ends (its sender died, or lost the database) is
`unknown` too. The gateway's report settles an unknown attempt (Kannel's acceptance report
comes within seconds); one with no report within ACCEPTANCE_WINDOW_SECONDS is sent again.
`sent` without a delivery report past DLR_TIMEOUT_SECONDS becomes `expired`.
"""
import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import eventlet
import psycopg2
from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from prometheus_client import Counter, Histogram

from services.common.consumer import (
    PoisonMessage,
    bind_envelope,
    parse_envelope,
    reliable_batch_handler,
    reliable_handler,
    validate_data,
)
from services.common.db import Database, StatementBatch
from services.common.events import (
    add_all_to_outbox,
    add_to_outbox,
    events_exchange,
    new_envelope,
    now,
)
from services.common.http import ApiError, Auth, OpsEndpoints, api, json_response, read_json
from services.common.logs import mask_text
from services.common.phones import normalise_phone

from . import gateways, messages, store
from .gateways import (
    DLR_DELIVERED,
    DLR_SMSC_ACK,
    DLR_SMSC_REJECT,
    DLR_UNDELIVERED,
    GatewayError,
    Outcome,
    OutcomeUnknown,
    RecipientRejected,
)
from .quiet import earliest_send, parse_quiet_hours
from .schemas import (
    DeliveryReportAnswer,
    DlrQuerySchema,
    DossierNotifications,
    OptOutAnswer,
    OptOutSchema,
)
from .sms import RenderError, SmsPolicy
from .templates import TEMPLATES_DIR, load_templates
from .wakeup import WakeSender, wakeable_timer

log = logging.getLogger("motcua.notify")

SENDER_TICK_SECONDS = 1
# Recording a sent batch again after a lost database connection, seconds apart (None: give up).
RECORD_RETRY_WAITS = (0.5, 1, 2, 4, None)
CHANNELS = ("sms", "email")

NOTIFICATIONS = Counter(
    "motcua_notifications_total", "Notifications by final status",
    ["channel", "template", "status"],
)
GATEWAY_LATENCY = Histogram(
    "motcua_notify_gateway_seconds", "Time a gateway took to accept or refuse a message",
    ["channel", "provider", "outcome"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SEND_RETRIES = Counter("motcua_notify_send_retries_total", "Sends to retry later", ["channel"])
IN_DOUBT = Counter(
    "motcua_notify_outcome_unknown_total", "Attempts whose outcome was not recorded, by stage: "
    "unknown (the answer or the sender was lost), settled (the gateway's report came), resent "
    "(no report within the acceptance window)", ["channel", "stage"],
)
UNRENDERABLE = Counter(
    "motcua_notify_unrenderable_total", "Events dead-lettered because their message cannot be "
    "rendered", ["template"],
)


@dataclass(frozen=True)
class Refusal:
    """A send the gateway refused or that could not reach it: retried unless `final`;
    `unknown` when it reached the gateway and the answer was lost."""
    error: str
    final: bool = False
    unknown: bool = False


def setting(config, key, default, kind=int):
    value = config.get(key)
    return kind(default if value in (None, "") else value)


class Settings(DependencyProvider):
    """notify's settings, read and checked once at start; templates validated against them."""

    def setup(self):
        config = self.container.config
        self.center = config.get("CENTER_NAME") or "TT PVHCC"
        self.policy = SmsPolicy(
            unaccented=gateways.enabled(config.get("SMS_UNACCENTED", False)),
            max_segments=setting(config, "SMS_MAX_SEGMENTS", 3),
        )
        # A province may keep its own wording in its own folder (TEMPLATES_DIR).
        self.templates = load_templates(messages.FIELDS, messages.SAMPLES, self.policy,
                                        config.get("TEMPLATES_DIR") or TEMPLATES_DIR)
        self.quiet_hours = parse_quiet_hours(config.get("QUIET_HOURS"))
        self.retry_first = setting(config, "RETRY_FIRST_SECONDS", 30, float)
        self.retry_max = setting(config, "RETRY_MAX_SECONDS", 3600, float)
        self.retry_for = setting(config, "RETRY_FOR_SECONDS", 86400, float)
        self.dlr_timeout = setting(config, "DLR_TIMEOUT_SECONDS", 172800, float)
        self.acceptance_window = setting(config, "ACCEPTANCE_WINDOW_SECONDS", 300, float)
        self.batch = setting(config, "SEND_BATCH", 200)
        self.concurrency = setting(config, "SEND_CONCURRENCY", 20)
        self.lease = setting(config, "SEND_LEASE_SECONDS", 300, float)
        self._check_lease_covers_a_batch(setting(config, "GATEWAY_TIMEOUT_SECONDS", 10, float))
        self.dlr_secret = config.get("DLR_SECRET") or ""
        self.sms = gateways.sms_gateway(config)
        self.mail = gateways.mail_gateway(config)

    def _check_lease_covers_a_batch(self, gateway_timeout):
        """A batch still sending when its lease ends would be claimed and sent again by
        another instance: the lease must outlast a batch whose every send times out (connect
        and read, each up to the timeout)."""
        rounds = -(-self.batch // self.concurrency)
        slowest = rounds * 2 * gateway_timeout
        if slowest > self.lease:
            raise ValueError(
                f"SEND_LEASE_SECONDS ({self.lease:g}) must be at least {slowest:g}: a batch of "
                f"{self.batch} sent {self.concurrency} at a time, each send taking up to "
                f"2 x GATEWAY_TIMEOUT_SECONDS ({gateway_timeout:g})")

    def get_dependency(self, worker_ctx):
        return self


class NotifyService(OpsEndpoints):
    name = "notify"

    db = Database()
    auth = Auth()
    settings = Settings()
    wake_sender = WakeSender()

    # --- events: record what to send ---------------------------------------------------------
    @reliable_batch_handler("intake", "dossier.received")
    def handle_dossier_received(self, bodies):
        self._consume_batch(bodies, "handle_dossier_received")

    @reliable_handler("routing", "dossier.supplement_requested")
    def handle_supplement_requested(self, body):
        self._consume(body, "handle_supplement_requested")

    @reliable_handler("routing", "dossier.result_ready")
    def handle_result_ready(self, body):
        self._consume(body, "handle_result_ready")

    @reliable_handler("routing", "dossier.apology_issued")
    def handle_apology_issued(self, body):
        self._consume(body, "handle_apology_issued")

    @reliable_batch_handler("payment", "payment.requested")
    def handle_payment_requested(self, bodies):
        self._consume_batch(bodies, "handle_payment_requested")

    @reliable_handler("postal", "postal.shipment_created")
    def handle_shipment_created(self, body):
        self._consume(body, "handle_shipment_created")

    @reliable_handler("postal", "postal.delivered")
    def handle_shipment_delivered(self, body):
        self._consume(body, "handle_shipment_delivered")

    def _consume(self, body, consumer):
        self._record([self._parsed(body)], consumer)

    def _consume_batch(self, bodies, consumer):
        events, seen = [], set()
        for event in map(self._parsed, bodies):
            if (event_id := uuid.UUID(event[0]["id"])) not in seen:  # a copy redelivered
                seen.add(event_id)                                     # meanwhile counts once
                events.append(event)
        self._record(events, consumer)

    def _parsed(self, body):
        envelope = parse_envelope(body)
        data, message = self._message_of(envelope)
        return envelope, data, message

    def _record(self, events, consumer):
        """Records the notifications of events of one type in one transaction of two round
        trips: the one that opens it (their dossiers' locks, their deliveries, the contacts)
        and the one that records them all and commits."""
        with self.db.spelled_out_transaction() as cur:
            rows = self._notifications_of(events, self._open(cur, events, consumer))
            store.commit(cur, rows)
        if any(row["status"] == "pending" for row in rows):
            self.wake_sender()
        for row in rows:  # counted once committed
            if row["status"] == "opted_out":
                NOTIFICATIONS.labels(row["channel"], row["template"], "opted_out").inc()

    def _open(self, cur, events, consumer):
        if events[0][0]["type"] == "dossier.received":
            return store.receive_dossiers(cur, consumer, [
                (envelope["id"], self._contact_of(data)) for envelope, data, _ in events])
        return store.open_later_events(cur, consumer, [envelope for envelope, _, _ in events])

    def _notifications_of(self, events, opened_events):
        """The notifications the events (and those that waited for their contacts) ask for;
        none for a repeated delivery or one that must wait for its dossier's contact."""
        rows, took_waiting = [], set()
        for (envelope, data, message), opened in zip(events, opened_events, strict=True):
            bind_envelope(envelope)
            code = data["code"]
            to_send = [(envelope, message)] if opened["contact"] else []
            if opened.get("waiting") and code not in took_waiting:  # taken once per dossier
                took_waiting.add(code)
                to_send += [(waiting, self._message_of(waiting)[1])
                            for waiting in opened["waiting"]]
            if not opened["first_delivery"]:
                log.info("duplicate delivery ignored", extra={"dossier_code": code})
            elif not to_send:
                log.info("event waits for the dossier's contact",
                         extra={"dossier_code": code, "event_type": envelope["type"]})
            else:
                rows += [row for event, event_message in to_send
                         for row in self._notifications(event, code, event_message, opened)]
        return rows

    @staticmethod
    def _message_of(envelope):
        contract, build, fields_read = messages.EVENTS[envelope["type"]]
        data = validate_data(contract, envelope, fields_read)
        return data, build(data)

    @staticmethod
    def _contact_of(data):
        applicant = data["applicant"]
        phone = normalise_phone(applicant["phone"])
        if phone is None:
            log.warning("applicant's phone is not a Vietnamese number: no SMS",
                        extra={"dossier_code": data["code"]})
        email = (applicant["email"] or "").strip().lower()
        return {"code": data["code"], "full_name": applicant["full_name"], "phone": phone,
                "email": email if "@" in email else None,
                "department": data["procedure"]["department"]}

    def _notifications(self, envelope, code, message, opened):
        """The event's notifications to the dossier's contact, rendered, one per channel it
        has an address for: `opted_out` where the address opted out of the channel."""
        contact = opened["contact"]
        template = self.settings.templates[message.template]
        context = {"center": self.settings.center, "full_name": contact["full_name"],
                   **message.context}
        when = earliest_send(now(), self.settings.quiet_hours, template.urgent)
        rows = []
        for channel in CHANNELS:
            recipient = contact["phone" if channel == "sms" else "email"]
            if not recipient:
                continue
            try:
                content = (template.render_sms(context, self.settings.policy) if channel == "sms"
                           else template.render_email(context))
            except RenderError as exc:
                UNRENDERABLE.labels(message.template).inc()
                raise PoisonMessage(f"template {message.template}: {exc}") from exc
            rows.append({
                "event_id": envelope["id"], "event_type": envelope["type"], "dossier_code": code,
                "correlation_id": envelope["correlation_id"], "channel": channel,
                "template": message.template, "recipient": recipient, "content": content,
                "urgent": template.urgent, "next_attempt_at": when,
                "status": "opted_out" if channel in opened["opted_out"] else "pending",
            })
        return rows

    # --- the sender -------------------------------------------------------------------------
    @wakeable_timer(interval=SENDER_TICK_SECONDS)
    def send_due(self):
        """Sends what is due, batch after batch; runs when a handler recorded something to
        send, and every SENDER_TICK_SECONDS."""
        while self._send_batch() == self.settings.batch:
            pass

    @timer(interval=SENDER_TICK_SECONDS)
    def watch_attempts(self):
        """Attempts whose lease ended become `unknown`; unknown ones with no report within the
        acceptance window are sent again; `sent` ones with no delivery report expire."""
        non_urgent_at = earliest_send(now(), self.settings.quiet_hours, False)
        with self.db.transaction() as cur:
            lapsed = store.lapse_attempts(cur, self.settings.acceptance_window)
            resent = store.resend_unreported(cur, non_urgent_at)
            for row in store.expire_unreported(cur, self.settings.dlr_timeout):
                self._finished(cur, row, "expired")
        for stage, rows in (("unknown", lapsed), ("resent", resent)):
            for row in rows:
                IN_DOUBT.labels(row["channel"], stage).inc()
        if lapsed or resent:
            log.warning("attempts without a recorded outcome", extra={
                "now_unknown": len(lapsed), "sent_again": len(resent)})
        if resent:
            self.wake_sender()

    def _send_batch(self):
        """Claims a batch, sends it concurrently, records every outcome in one transaction."""
        # The claim is one statement, its own transaction: one round trip (under load each
        # waits for a CPU: a batch's round trips were nearly half of its time).
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
            self._record_outcomes(to_send, list(pool.imap(self._send_one, to_send)))
        return len(claimed)

    def _send_one(self, row):
        """The gateway's Outcome, or the Refusal to record."""
        gateway = self.settings.sms if row["channel"] == "sms" else self.settings.mail
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

    def _record_outcomes(self, rows, results):
        """Every outcome of a sent batch, and the final ones' events, in one transaction; only
        notifications still pending take them (a delivery report may have come first). The
        messages are gone: a lost connection is retried rather than leaving them to be sent
        again when their lease ends."""
        outcomes = [self._outcome(row, result) for row, result in zip(rows, results, strict=True)]
        for wait in RECORD_RETRY_WAITS:
            try:
                applied = self._apply_outcomes(rows, outcomes)
                break
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                if wait is None:
                    raise
                log.warning("could not record a sent batch; trying again", extra={
                    "error": type(exc).__name__, "retry_in_seconds": wait})
                eventlet.sleep(wait)
        for row, outcome in zip(rows, outcomes, strict=True):
            self._log_outcome(row, outcome, row["id"] in applied)
        accepted = sum(1 for outcome in outcomes if outcome.provider)
        log.info("batch sent", extra={"notifications": len(outcomes), "accepted": accepted,
                                      "recorded": len(applied)})

    def _outcome(self, row, result):
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
        when = earliest_send(now() + timedelta(seconds=self._retry_delay(row)),
                             self.settings.quiet_hours, row["urgent"])
        return store.Recorded(row["id"], attempt, "pending", next_attempt_at=when,
                              error=result.error)

    def _retry_delay(self, row):
        return min(self.settings.retry_first * 2 ** (row["attempts"] - 1), self.settings.retry_max)

    def _apply_outcomes(self, rows, outcomes):
        """One transaction of two round trips: the outcomes applied, then what depends on
        which were, and the commit."""
        with self.db.spelled_out_transaction() as cur:
            applied = store.record_outcomes(cur, outcomes)
            then = StatementBatch(cur)
            # accepted, but its delivery report came first: it keeps the report's status
            late = [o for o in outcomes if o.provider and o.id not in applied]
            if late:
                store.record_sendings(then, late)
            events = [self._outcome_event(row, o.status)
                      for row, o in zip(rows, outcomes, strict=True)
                      if o.id in applied and o.status in ("delivered", "failed")]
            if events:
                add_all_to_outbox(then, store.SCHEMA, events)
            then.execute("COMMIT")
            then.run()
        return applied

    def _log_outcome(self, row, outcome, applied):
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
                "retry_in_seconds": self._retry_delay(row)})

    def _outcome_event(self, row, status):
        """The notification.delivered / .failed event of a final status: (envelope, exchange,
        routing key) for the outbox."""
        event_type = "notification.delivered" if status == "delivered" else "notification.failed"
        envelope = new_envelope(event_type, self.name, {
            "notification_id": str(row["id"]), "code": row["dossier_code"],
            "channel": row["channel"], "template": row["template"], "status": status,
        }, row["correlation_id"], dossier_code=row["dossier_code"])
        return envelope, events_exchange(self.name), event_type

    def _finished(self, cur, row, status):
        """Final status: counted, and announced (notification.delivered / .failed)."""
        NOTIFICATIONS.labels(row["channel"], row["template"], status).inc()
        add_to_outbox(cur, store.SCHEMA, *self._outcome_event(row, status))

    # --- HTTP -------------------------------------------------------------------------------
    @api("GET", "/api/v1/notify/dlr/<secret>",
         summary="Delivery report of an SMS (Kannel's dlr-url or an HTTP aggregator)",
         query=DlrQuerySchema,
         responses={200: ("recorded (an intermediate report is noted)", DeliveryReportAnswer),
                    403: "unknown delivery-report secret", 404: "no notification with this id"})
    def delivery_report(self, request, secret):
        """Kannel's (or the aggregator's) delivery report; the secret in the URL proves it.
        Answered 200 only once recorded: Kannel tries a report again on any other answer."""
        expected = self.settings.dlr_secret
        if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
            raise ApiError(403, "forbidden", "unknown delivery-report secret")
        query = DlrQuerySchema().load(request.args.to_dict())
        status = report_status(query)
        with self.db.transaction() as cur:
            row = store.lock(cur, query["id"])
            if row is None:
                raise ApiError(404, "not_found", "no notification with this id")
            if row["status"] in REPORTABLE.get(status, ()):
                self._apply_report(cur, row, status, query)
            else:
                log.info("delivery report noted", extra={"notification_id": str(row["id"]),
                                                      "report": status, "now": row["status"]})
        return json_response({"id": str(query["id"]), "status": status or "noted"})

    def _apply_report(self, cur, row, status, query):
        """A report is the gateway's evidence that the message went: it settles an attempt
        whose outcome was lost, and one the sender has not recorded yet."""
        if status == "accepted":
            store.mark_accepted(cur, row["id"], self.settings.sms.name)
        else:
            store.finish(cur, row["id"], status, None if status == "delivered"
                         else f"delivery report {query.get('type') or query.get('status')}")
            self._finished(cur, row, status)
        if row["status"] == "unknown":
            IN_DOUBT.labels(row["channel"], "settled").inc()
        log.info("delivery report", extra={"notification_id": str(row["id"]),
                                           "dossier_code": row["dossier_code"],
                                           "status": status})

    @api("GET", "/api/v1/dossiers/<code>/notifications",
         summary="The notifications sent about a dossier (recipients masked)",
         auth=("manager", "department_officer", "counter_officer"),
         responses={200: ("the notifications, oldest first", DossierNotifications),
                    403: "the dossier belongs to another department",
                    404: "no notifications for this dossier"})
    def notifications_of_dossier(self, request, code):
        principal = self.auth(request, "manager", "department_officer", "counter_officer")
        with self.db.transaction() as cur:
            contact = store.get_contact(cur, code)
            if contact is None:
                raise ApiError(404, "not_found", "no notifications for this dossier")
            if principal.role != "manager" and principal.department != contact["department"]:
                raise ApiError(403, "forbidden", "this dossier belongs to another department")
            rows = store.of_dossier(cur, code)
        return json_response({"code": code, "notifications": [
            {**row, "id": str(row["id"]), "recipient": mask_recipient(row["recipient"])}
            for row in rows
        ]})

    @api("POST", "/api/v1/opt-outs", summary="Stop notifications to a phone number or email",
         body=OptOutSchema, auth=("portal", "counter_officer", "manager"),
         responses={201: ("recorded", OptOutAnswer)})
    def add_opt_out(self, request):
        """The citizen asks (through the portal or an officer) to receive nothing more on a
        channel; notifications still waiting to that address are not sent either."""
        self.auth(request, "portal", "counter_officer", "manager")
        body = read_json(request, OptOutSchema())
        if body["channel"] == "sms":
            address = normalise_phone(body["address"])
            if address is None:
                raise ValidationError({"address": ["not a Vietnamese phone number"]})
        else:
            address = body["address"].strip().lower()
            if "@" not in address:
                raise ValidationError({"address": ["not an email address"]})
        with self.db.transaction() as cur:
            store.opt_out(cur, body["channel"], address)
        log.info("opt-out recorded", extra={"channel": body["channel"]})
        return json_response({"channel": body["channel"], "address": mask_recipient(address),
                              "opted_out": True}, 201)


# The statuses a report moves a notification from: `pending` too, as an attempt whose
# answer was lost may have been recorded as a refusal to retry.
OPEN = ("pending", "sending", "unknown")
REPORTABLE = {"accepted": OPEN, "delivered": (*OPEN, "sent"), "failed": (*OPEN, "sent")}


def report_status(query):
    """delivered / failed / accepted (by the SMSC) / None (another intermediate report)."""
    if query.get("status"):
        return query["status"]
    kind = query.get("type")
    if kind is None:
        raise ValidationError({"type": ["type or status is required"]})
    if kind & DLR_DELIVERED:
        return "delivered"
    if kind & (DLR_UNDELIVERED | DLR_SMSC_REJECT):
        return "failed"
    if kind & DLR_SMSC_ACK:
        return "accepted"
    return None


def mask_recipient(recipient):
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return "*" * (len(recipient) - 3) + recipient[-3:]
