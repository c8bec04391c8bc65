"""Reliable event consumption on nameko.

nameko acks a message whose handler raised: that would lose it. `reliable_handler` instead
republishes a failed message (with confirms) to the queue's retry queue, where it waits out
an exponential backoff and then returns to the queue; after the last attempt, or at once
when the message can never be processed (a malformed envelope), it goes to the dead-letter
queue with the reason. Only then is the original acked. If even that republish fails the
message is requeued, never dropped.

A body that cannot even be decoded (not JSON, a content type nameko does not accept) or that
is larger than any event we publish is dead-lettered too: kombu's default would log and ack
it, which loses it.

`first_delivery` records the envelope id in the consumer's own table, in the same transaction
as the handler's effect, so a redelivered message changes nothing.

`reliable_batch_handler` is the same for a handler that takes a list: the messages that queued
up while its earlier batches ran go to one worker together (one transaction, one commit
for all), each acked only after that worker returned. A batch that raises is split: each of
its messages runs alone, through the single message's retry and dead-letter path, so one bad
message delays the others but never fails them.
"""
import logging
import time
import uuid
from contextlib import contextmanager
from functools import cache, partial, wraps

import eventlet
import psycopg2.errors
from amqp.exceptions import AMQPError
from kombu import Exchange, Queue
from kombu.exceptions import KombuError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer
from prometheus_client import Counter

from . import broker, logs
from .contracts import contract_schema
from .db import PreparedStatement, StatementBatch, unstorable_at
from .events import EnvelopeSchema, caused_by

log = logging.getLogger("motcua.consumer")

DEAD_LETTER_QUEUE = "motcua.dead_letters"
ATTEMPT_HEADER = "x-motcua-attempt"
MAX_ATTEMPTS = 5
FIRST_BACKOFF_MS = 1000
# Our largest event (a dossier with its documents) is a few KiB; anything near this is not ours.
MAX_MESSAGE_BYTES = 256 * 1024
# A consumer whose broker went away tries again after 1 s, 2 s, ... then every 5 s.
RECONNECT_MAX_SECONDS = 5

CONSUMED = Counter(
    "motcua_events_consumed_total", "Events consumed", ["service", "type", "outcome"]
)
RETRIED = Counter("motcua_handler_retries_total", "Handler failures sent for retry", ["service"])
DEAD_LETTERED = Counter(
    "motcua_dead_letters_total", "Messages sent to the dead-letter queue", ["service", "reason"]
)

_envelope_schema = EnvelopeSchema()


class PoisonMessage(Exception):
    """The message can never be processed: dead-letter it without retrying."""


# Every queue that holds events is a quorum queue: replicated on a cluster, so a node's
# restart loses nothing (a classic queue is only on one node). What a queue dead-letters it
# hands over at least once (confirmed by the target), which needs `reject-publish` overflow.
QUORUM = {"x-queue-type": "quorum"}
DEAD_LETTER_AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once",
                             "x-overflow": "reject-publish"}
# A message redelivered this often (its consumer crashed on it each time) is parked.
DELIVERY_LIMIT = 20


def delivered_queue_arguments():
    """An event queue's, and a department queue's: quorum, and a message delivered
    DELIVERY_LIMIT times goes to the dead-letter queue instead of round again."""
    return {**QUORUM, "x-delivery-limit": DELIVERY_LIMIT, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": DEAD_LETTER_QUEUE, **DEAD_LETTER_AT_LEAST_ONCE}


def retry_queue_arguments(queue_name):
    return {**QUORUM, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name,
            **DEAD_LETTER_AT_LEAST_ONCE}


# People browse the dead-letter queue (`motcua dlq list` takes and returns each message),
# which a quorum queue counts as deliveries, and RabbitMQ 4 drops a message delivered 20
# times unless the queue says otherwise: no practical limit here.
DEAD_LETTER_QUEUE_ARGUMENTS = {**QUORUM, "x-delivery-limit": 1_000_000}


def retry_queue_name(queue_name):
    return f"{queue_name}.retry"


def retry_queue(queue_name):
    """Messages wait here for their backoff, then dead-letter back to their own queue only."""
    return Queue(
        retry_queue_name(queue_name),
        exchange=Exchange(""),
        routing_key=retry_queue_name(queue_name),
        durable=True,
        queue_arguments=retry_queue_arguments(queue_name),
    )


def dead_letter_queue():
    return Queue(DEAD_LETTER_QUEUE, exchange=Exchange(""), routing_key=DEAD_LETTER_QUEUE,
                 durable=True, queue_arguments=DEAD_LETTER_QUEUE_ARGUMENTS)


def parse_envelope(body):
    """The envelope as a dict, validated; a malformed one is a PoisonMessage."""
    if not isinstance(body, dict):
        raise PoisonMessage("body is not a JSON object")
    where = unstorable_at(body)
    if where is not None:  # it could never be stored: retrying would only delay the dead letter
        raise PoisonMessage(f"{where or 'body'}: text with a NUL or a lone surrogate, which "
                            "cannot be stored")
    try:
        _envelope_schema.load(body)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid envelope: {exc.messages}") from exc
    bind_envelope(body)
    return body


def bind_envelope(envelope):
    """Log lines from here on carry this event's correlation id (a batch handler binds each
    envelope again before logging about it)."""
    logs.bind(correlation_id=envelope["correlation_id"], event_id=envelope["id"],
              event_type=envelope["type"])


def validate_data(contract, envelope, only=None):
    """The event's `data` loaded with its contract (a schema class), or with just the fields
    `only` names when the consumer reads no others; invalid data is poison."""
    try:
        return contract_schema(contract, only).load(envelope["data"])
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {envelope['type']} data: {exc.messages}") from exc


@cache
def delivery_insert(schema, skip_repeated):
    return PreparedStatement(
        f"{schema}_delivery_insert{'_skip_repeated' if skip_repeated else ''}",
        f"INSERT INTO {schema}.processed_messages (message_id, consumer)"
        f" VALUES (%(id)s, %(consumer)s){' ON CONFLICT DO NOTHING' if skip_repeated else ''}")


def first_delivery(cur, schema, envelope_id, consumer):
    """True the first time this consumer sees this envelope id, inside the caller's transaction."""
    delivery_insert(schema, True).execute(cur, {"id": envelope_id, "consumer": consumer})
    return cur.rowcount == 1


def record_delivery(batch, schema, envelope_id, consumer):
    """`first_delivery` for a `StatementBatch`, whose results cannot be read: a repeated
    envelope id makes the whole batch fail on the primary key (`is_repeated_delivery`), so
    nothing of it is applied twice."""
    delivery_insert(schema, False).execute(batch, {"id": envelope_id, "consumer": consumer})


def is_repeated_delivery(exc):
    return (isinstance(exc, psycopg2.errors.UniqueViolation)
            and exc.diag.table_name == "processed_messages")


def run_deliveries(batch, deliveries):
    """Runs a `StatementBatch` that `record_delivery`-ed `deliveries` envelopes. True when it
    committed; False when its one delivery was a repeat (nothing applied). A repeat among
    several raises, which makes a batch handler run each message alone."""
    try:
        batch.run()
    except psycopg2.Error as exc:
        if deliveries > 1 or not is_repeated_delivery(exc):
            raise
        return False
    return True


class UndecodableMessage(PoisonMessage):
    """The body could not be decoded into an object at all."""


class UnsettledDeliveries:
    """The delivery tags of the consumer's channel not yet acked or requeued. A message of
    another channel (a new one after a reconnection: its tags start again at 1) starts the
    record afresh; the old channel's messages are settled by the broker taking them back."""

    def __init__(self):
        self.channel = None
        self.tags = set()

    def add(self, message):
        if message.channel is not self.channel:
            self.channel, self.tags = message.channel, set()
        self.tags.add(message.delivery_tag)

    def discard(self, messages):
        for message in messages:
            if message.channel is self.channel:
                self.tags.discard(message.delivery_tag)

    def oldest_run(self, messages):
        """Those of `messages` that are the channel's oldest unsettled deliveries, with no
        other delivery older than any of them, oldest first; and the rest of `messages`."""
        mine = {message.delivery_tag: message for message in messages
                if message.channel is self.channel}
        run = []
        for tag in sorted(self.tags):
            if tag not in mine:
                break
            run.append(mine.pop(tag))
        in_run = set(map(id, run))
        return run, [message for message in messages if id(message) not in in_run]


class ServiceQueueConsumer(QueueConsumer):
    """The service's one queue consumer. Its event handlers, RPC entrypoints and RPC replies
    all consume through it (services.common.rpc), as nameko's share one per container, so the
    state of its one connection is the service's (services.common.broker: /ready, gauges).
    A message kombu cannot decode goes to the event handler's dead-letter path instead of
    kombu's log-and-ack. It records which deliveries of its channel are unsettled, so that
    a batch is acked in one frame when it can be (ack_messages)."""

    def setup(self):
        super().setup()
        self.broker_link = broker.report(broker.BrokerLink(self.container.service_name, "service"))
        self.unsettled = UnsettledDeliveries()

    def handle_message(self, provider, body, message):
        self.unsettled.add(message)
        super().handle_message(provider, body, message)

    def ack_message(self, message):
        try:
            super().ack_message(message)
        finally:
            self.unsettled.discard([message])

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        finally:
            self.unsettled.discard([message])

    def ack_messages(self, messages):
        """Acks `messages`. Those that are the channel's oldest unsettled deliveries go in
        one frame (AMQP's multiple ack settles every unsettled delivery of the channel up to
        its tag, so it is sent only when all of those are among `messages`), the others one
        by one: each ack frame costs the service a write and the broker a settlement."""
        run, rest = self.unsettled.oldest_run(messages)
        if len(run) < 2 or not run[-1].channel.connection:
            rest = run + rest
        else:
            try:
                run[-1].ack(multiple=True)
            finally:
                self.unsettled.discard(run)
        for message in rest:
            self.ack_message(message)

    def stop(self):
        super().stop()
        self._forget_link()

    def kill(self):
        super().kill()
        self._forget_link()

    def _forget_link(self):
        link = getattr(self, "broker_link", None)  # none if the container failed before setup
        if link is not None:
            broker.forget(link)

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            reject = getattr(provider, "reject_undecodable", None)  # event handlers only
            if reject is not None:
                consumer.on_decode_error = partial(self._undecodable, reject, consumer)
        return consumers

    def _undecodable(self, reject, consumer, message, exc):
        self.unsettled.add(message)  # it never reaches handle_message
        reject(consumer, message, exc)

    @contextmanager
    def establish_connection(self):
        """kombu's, but waiting at most RECONNECT_MAX_SECONDS between attempts (kombu's 30 s
        would keep a service idle up to half a minute after a long broker outage ended)."""
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=1, interval_step=1,
                                   interval_max=RECONNECT_MAX_SECONDS)
            yield conn

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        """kombu: connected, and every queue consumed (after each reconnection too)."""
        self.broker_link.connected()
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_connection_error(self, exc, interval):
        """kombu: connecting failed; it tries again in `interval` seconds."""
        self.broker_link.disconnected(exc)
        super().on_connection_error(exc, interval)

    def consume(self, *args, **kwargs):
        """kombu's consuming loop, which an error ends when the connection or channel is lost
        (kombu then connects again); it ends quietly only when the service stops."""
        try:
            yield from super().consume(*args, **kwargs)
        except Exception as exc:
            if not self.should_stop:
                self.broker_link.disconnected(exc)
            raise


class ReliableEventHandler(EventHandler):
    queue_consumer = ServiceQueueConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        self.queue.queue_arguments = delivered_queue_arguments()  # nameko declares it so
        config = self.container.config
        self.max_attempts = int(config.get("HANDLER_MAX_ATTEMPTS", MAX_ATTEMPTS))
        self.first_backoff_ms = int(config.get("HANDLER_FIRST_BACKOFF_MS", FIRST_BACKOFF_MS))
        self.publisher = Publisher(
            config["AMQP_URI"],
            declare=[retry_queue(self.queue.name), dead_letter_queue()],
            use_confirms=True,
            mandatory=True,
        )

    def handle_message(self, body, message):
        if len(message.body or b"") > MAX_MESSAGE_BYTES:
            self._park_at_once(message, PoisonMessage(
                f"message of {len(message.body)} bytes is over the {MAX_MESSAGE_BYTES}-byte limit"))
            return
        super().handle_message(body, message)

    def reject_undecodable(self, consumer, message, exc):
        """kombu's decode-error callback, run on the consumer's own thread."""
        self._park_at_once(message, UndecodableMessage(
            f"cannot decode body ({message.content_type or 'no content type'}): {exc}"))

    def _park_at_once(self, message, error):
        try:
            self._dead_letter(message, error, 1)
            CONSUMED.labels(self.container.service_name, self.event_type, "dead_lettered").inc()
        except Exception:
            log.exception("could not park an unprocessable message; requeueing it")
            self._settle(self.queue_consumer.requeue_message, message)
            return
        self._settle(self.queue_consumer.ack_message, message)

    @staticmethod
    def _settle(settle, message):
        """Ack or requeue a message (or ack a batch's messages). On a connection that broke
        meanwhile this fails; the broker then takes the message back and delivers it again
        (handlers are idempotent), so the error is logged, not raised: raised, it would stop
        the whole service."""
        try:
            settle(message)
        except (OSError, AMQPError, KombuError) as exc:
            log.warning("could not ack or requeue on a broken connection; the broker will "
                        "deliver the message again", extra={"error": type(exc).__name__})

    def handle_message_processed(self, message, result=None, exc_info=None):
        service = self.container.service_name
        event_type = self.event_type
        if exc_info is None:
            CONSUMED.labels(service, event_type, "ok").inc()
            self._settle(self.queue_consumer.ack_message, message)
            return
        error = exc_info[1]
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0)) + 1
        try:
            if isinstance(error, PoisonMessage) or attempt >= self.max_attempts:
                self._dead_letter(message, error, attempt)
                CONSUMED.labels(service, event_type, "dead_lettered").inc()
            else:
                self._retry_later(message, attempt)
                CONSUMED.labels(service, event_type, "retried").inc()
        except Exception:
            log.exception("could not park a failed message; requeueing it")
            self._settle(self.queue_consumer.requeue_message, message)
            return
        self._settle(self.queue_consumer.ack_message, message)

    def _republish(self, message, routing_key, headers, expiration=None):
        self.publisher.publish(
            message.body,
            exchange="",
            routing_key=routing_key,
            headers={**(message.headers or {}), **headers},
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            serializer=None,
            expiration=expiration,
        )

    def _retry_later(self, message, attempt):
        delay_ms = self.first_backoff_ms * 2 ** (attempt - 1)
        RETRIED.labels(self.container.service_name).inc()
        log.warning("handler failed, retrying", extra={"attempt": attempt, "delay_ms": delay_ms})
        self._republish(
            message,
            retry_queue_name(self.queue.name),
            {ATTEMPT_HEADER: attempt},
            expiration=delay_ms / 1000,
        )

    def _dead_letter(self, message, error, attempt):
        reason = f"{type(error).__name__}: {error}"[:1000]
        kind = "poison" if isinstance(error, PoisonMessage) else "exhausted"
        DEAD_LETTERED.labels(self.container.service_name, kind).inc()
        log.error("message dead-lettered", extra={"reason": reason, "attempt": attempt})
        self._republish(
            message,
            DEAD_LETTER_QUEUE,
            {
                ATTEMPT_HEADER: attempt,
                "x-motcua-reason": reason,
                "x-motcua-original-queue": self.queue.name,
                "x-motcua-consumer": f"{self.container.service_name}.{self.method_name}",
            },
        )


class ReliableBatchHandler(ReliableEventHandler):
    """Calls its method with a list of bodies. At most BATCHES_IN_FLIGHT batches run at once;
    a message that arrives while fewer run starts one at once (a quiet queue waits for
    nothing), the others wait and go together to the next worker. A handler whose effect is
    not urgent can `linger`: a batch then waits that many seconds after its first message for
    more (unless the prefetch count, max_workers, is reached first), which makes its batches
    larger when the queue is not behind."""

    BATCHES_IN_FLIGHT = 2

    def __init__(self, source_service, event_type, linger=0, **kwargs):
        self.linger = linger
        super().__init__(source_service, event_type, **kwargs)

    def setup(self):
        super().setup()
        self._waiting = []
        self._first_waiting_at = 0.0
        self._in_flight = 0

    def handle_message(self, body, message):
        if len(message.body or b"") > MAX_MESSAGE_BYTES:
            super().handle_message(body, message)  # parked at once, never batched
            return
        self._waiting.append((body, message))
        if len(self._waiting) == 1 and self.linger:
            self._first_waiting_at = time.monotonic()
            self.container.spawn_managed_thread(self._start_after_linger)
        self._start_batches()

    def _start_after_linger(self):
        eventlet.sleep(self.linger)
        self._start_batches()

    def _ripe(self):
        return (not self.linger or len(self._waiting) >= self.container.max_workers
                or time.monotonic() - self._first_waiting_at >= self.linger)

    def _start_batches(self):
        while self._waiting and self._in_flight < self.BATCHES_IN_FLIGHT and self._ripe():
            batch, self._waiting = self._waiting, []
            self._spawn(batch)

    def _spawn(self, batch):
        self._in_flight += 1
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in batch],), {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self._batch_done, batch))
        except ContainerBeingKilled:
            self._in_flight -= 1
            for _, message in batch:
                self._settle(self.queue_consumer.requeue_message, message)

    def _batch_done(self, batch, worker_ctx, result=None, exc_info=None):
        self._in_flight -= 1
        if exc_info is None:
            CONSUMED.labels(self.container.service_name, self.event_type, "ok").inc(len(batch))
            self._settle(self.queue_consumer.ack_messages, [message for _, message in batch])
        elif len(batch) == 1:
            self.handle_message_processed(batch[0][1], result, exc_info)
        else:
            logs.clear()  # the batch's last envelope bound is not the one that failed it
            log.warning("a batch failed; running its messages one by one",
                        extra={"messages": len(batch), "event_type": self.event_type,
                               "error": type(exc_info[1]).__name__})
            for one in batch:
                self._spawn([one])
        self._start_batches()
        return result, exc_info


def reliable_event_handler(source_service, event_type, *, contract, fields=None, **kwargs):
    """A reliable handler of one event at a time, declared with its contract (a schema
    class) and the `fields` of its data it reads (None: all). The kernel parses the envelope,
    validates those fields (either invalid: dead-lettered at once), opens a transaction on the
    service's `db`, records the envelope id under the method's own name, and calls
    `method(self, cur, envelope, data)` the first time only. Whatever the method returns that
    is callable is called after the commit (to wake a sender, count a metric)."""
    def decorate(method):
        consumer = method.__name__

        @wraps(method)
        def handle(self, body):
            envelope = parse_envelope(body)
            data = validate_data(contract, envelope, fields)
            with self.db.transaction() as cur:
                if not first_delivery(cur, self.name, envelope["id"], consumer):
                    log.info("duplicate delivery ignored",
                             extra={"dossier_code": envelope["dossier_code"]})
                    return
                with caused_by(f"{self.name}.{consumer}", envelope["id"]):
                    after_commit = method(self, cur, envelope, data)
            if callable(after_commit):
                after_commit()

        return ReliableEventHandler.decorator(source_service, event_type, **kwargs)(handle)
    return decorate


def reliable_batch_event_handler(source_service, event_type, *, contract, fields=None,
                                 linger=0, **kwargs):
    """The batch form (ReliableBatchHandler) for effects made of writes nobody reads back:
    the kernel parses and validates every message of the batch, opens one `StatementBatch` on
    an autocommit cursor, records each envelope id under the method's name and calls
    `method(self, batch, envelope, data)` for each, then sends the whole batch in one round
    trip (committed together). A repeated delivery makes its batch fail and run message by
    message, where it changes nothing."""
    def decorate(method):
        consumer = method.__name__

        @wraps(method)
        def handle(self, bodies):
            events = parsed_events(bodies, contract, fields)
            with self.db.autocommit() as cur:
                batch = StatementBatch(cur)
                for envelope, data in events:
                    record_delivery(batch, self.name, envelope["id"], consumer)
                    with caused_by(f"{self.name}.{consumer}", envelope["id"]):
                        method(self, batch, envelope, data)
                applied = run_deliveries(batch, len(events))
            for envelope, _ in events:
                bind_envelope(envelope)
                log.info("event applied" if applied else "duplicate delivery ignored",
                         extra={"dossier_code": envelope["dossier_code"]})

        return ReliableBatchHandler.decorator(source_service, event_type, linger=linger,
                                              **kwargs)(handle)
    return decorate


def reliable_bulk_event_handler(source_service, event_type, *, contract, fields=None,
                                linger=0, **kwargs):
    """The batch form for a bulk effect that reads its own results back (which deliveries
    were first, what was billed), written as one statement by a store function: the kernel
    parses and validates the batch, leaves out copies of one envelope redelivered into the
    same batch, and calls `method(self, consumer, events)` with the method's name (under
    which that statement records each envelope id, in its own transaction) and the
    [(envelope, data)] events."""
    def decorate(method):
        consumer = method.__name__

        @wraps(method)
        def handle(self, bodies):
            return method(self, consumer, parsed_events(bodies, contract, fields))

        return ReliableBatchHandler.decorator(source_service, event_type, linger=linger,
                                              **kwargs)(handle)
    return decorate


def parsed_events(bodies, contract, fields=None):
    """[(envelope, data)] of a batch, each validated, a copy of an envelope already in the
    batch (redelivered while the first waited) left out."""
    events, seen = [], set()
    for body in bodies:
        envelope = parse_envelope(body)
        envelope_id = uuid.UUID(envelope["id"])  # one id however its text is spelled
        if envelope_id not in seen:
            seen.add(envelope_id)
            events.append((envelope, validate_data(contract, envelope, fields)))
    return events


# The plain forms, for a handler that does its own parsing (the kernel's tests).
reliable_handler = ReliableEventHandler.decorator
reliable_batch_handler = ReliableBatchHandler.decorator
