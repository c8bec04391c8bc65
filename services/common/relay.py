"""Outbox relay: publishes a service's outbox rows to RabbitMQ with publisher confirms.

A batch of claimed rows is published back to back on one confirm-mode channel (py-amqp), then
the relay waits once for the broker's confirms of the whole batch. A row is marked published
only after the broker confirmed that very message: confirms are matched to rows by delivery
tag (an ack or nack with `multiple` settles every tag up to its own). Publishing is mandatory:
an event no queue is bound to comes back unroutable (basic.return, before its ack), stays in
the outbox and is tried again later with backoff, like a nacked one, so it is never dropped.
If the connection breaks or the confirms do not all come within CONFIRM_TIMEOUT_SECONDS, what
was confirmed is marked, the rest is simply published again later (consumers ignore envelope
ids they already handled) and the relay reconnects with backoff. The row's jsonb body is
published as PostgreSQL's own JSON text, never decoded. Several relays may run for one
service: rows are claimed with FOR UPDATE SKIP LOCKED. New rows wake the relay through
LISTEN/NOTIFY. The relay knows nothing of what the events mean: a service that measures
something of its own events once they are confirmed gives the relay an observer.
"""
import logging
import select
import time
from itertools import takewhile

import amqp
import psycopg2
import psycopg2.extras
from kombu.utils.url import url_to_parts
from prometheus_client import Counter, Gauge

from . import broker, logs
from .events import DEPARTMENTS_EXCHANGE, events_exchange

log = logging.getLogger("motcua.relay")

PUBLISHED = Counter(
    "motcua_events_published_total",
    "Outbox publishes by outcome: confirmed, unroutable or nacked (the last two are retried)",
    ["service", "type", "outcome"],
)
BACKLOG = Gauge("motcua_outbox_backlog", "Unpublished outbox rows", ["service"])
OLDEST = Gauge(
    "motcua_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)

REFUSED_FIRST_RETRY_SECONDS = 5
REFUSED_MAX_RETRY_SECONDS = 600
IDLE_WAIT_SECONDS = 1.0
# Under load rows come in a stream: pausing this long after a partial batch lets the next claim
# take many rows in one transaction and one wait for confirms, instead of one or two each time.
GATHER_SECONDS = 0.02
STATS_EVERY_SECONDS = 5.0
CONFIRM_TIMEOUT_SECONDS = 30.0
HEARTBEAT_SECONDS = 30
# One confirm wait and one transaction per batch: larger batches spread both over more rows.
BATCH_SIZE = 500
UNROUTABLE = "unroutable: no queue bound"
NACKED = "nacked by the broker"
BROKER_ERRORS = (amqp.exceptions.AMQPError, OSError)  # TimeoutError is an OSError


class ConfirmsTimedOut(TimeoutError):
    """The broker did not confirm a whole batch in time: the relay reconnects."""


class Confirms:
    """What the broker answered about the messages published on one confirm-mode channel.

    The broker numbers a channel's publishes 1, 2, ... (delivery tags) and confirms them by
    tag, several at once when `multiple` is set. It returns a mandatory message no queue takes
    (basic.return, identified by its message_id, the row id) before acking it, so the ack of a
    returned message is a refusal."""

    def __init__(self):
        self.published = 0
        self.unconfirmed = {}  # delivery tag -> row, in tag order
        self.returned = set()  # message ids
        self.confirmed = []  # rows
        self.refused = []  # (row, why)

    def track(self, row):
        """Call right after publishing the row on the channel."""
        self.published += 1
        self.unconfirmed[self.published] = row

    def on_return(self, exc, exchange, routing_key, message):
        self.returned.add(message.properties.get("message_id"))

    def on_ack(self, delivery_tag, multiple):
        for row in self._settle(delivery_tag, multiple):
            if row["id"] in self.returned:
                self.returned.discard(row["id"])
                self.refused.append((row, UNROUTABLE))
            else:
                self.confirmed.append(row)

    def on_nack(self, delivery_tag, multiple):
        for row in self._settle(delivery_tag, multiple):
            self.returned.discard(row["id"])
            self.refused.append((row, NACKED))

    def _settle(self, delivery_tag, multiple):
        tags = list(takewhile(lambda tag: tag <= delivery_tag, self.unconfirmed)) if multiple \
            else [delivery_tag]
        return [self.unconfirmed.pop(tag) for tag in tags if tag in self.unconfirmed]

    def take_answers(self):
        """The rows confirmed and refused since the last call."""
        answers = self.confirmed, self.refused
        self.confirmed, self.refused = [], []
        return answers


class Relay:
    """`on_confirmed(exchange, body)`, if given, is called with each event the broker
    confirmed (body: the JSON text as published), before it is marked published."""

    def __init__(self, service, db_url, amqp_uri, batch_size=BATCH_SIZE, on_confirmed=None):
        self.service = service
        self.schema = service
        self.db_url = db_url
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.on_confirmed = on_confirmed
        self.channel_name = f"{service}_outbox"
        self._db = None
        self._listener = None
        self._amqp = None
        self._channel = None
        self._confirms = None
        self._stats_at = 0.0
        self.stopping = False
        self.broker_link = broker.BrokerLink(service, "relay")

    # connections -------------------------------------------------------------------------
    def _connect_db(self):
        if self._db is None or self._db.closed:
            # Published rows leave dead entries in the unpublished-rows index until a vacuum.
            # A plain index scan in seq order marks each one dead the first time it passes it;
            # the bitmap scan the planner prefers never does, and visits all of them at every
            # claim.
            self._db = psycopg2.connect(self.db_url, cursor_factory=psycopg2.extras.RealDictCursor,
                                        options="-c enable_bitmapscan=off")
        if self._listener is None or self._listener.closed:
            self._listener = psycopg2.connect(self.db_url)
            self._listener.set_session(autocommit=True)
            with self._listener.cursor() as cur:
                cur.execute(f"LISTEN {self.channel_name}")

    def _connect_amqp(self):
        if self._channel is not None and self._channel.is_open:
            return
        uri = url_to_parts(self.amqp_uri)
        tls = uri.scheme == "amqps"
        self._amqp = amqp.Connection(
            f"{uri.hostname or 'localhost'}:{uri.port or (5671 if tls else 5672)}",
            ssl=tls,
            userid=uri.username or "guest",
            password=uri.password or "guest",
            virtual_host=uri.path or "/",
            heartbeat=HEARTBEAT_SECONDS,
            connect_timeout=10,
            # a broker that stops reading (memory alarm) fails the publish instead of hanging
            write_timeout=CONFIRM_TIMEOUT_SECONDS,
        )
        self._amqp.connect()
        channel = self._amqp.channel()
        channel.confirm_select()
        confirms = Confirms()
        channel.events["basic_ack"].add(confirms.on_ack)
        channel.events["basic_nack"].add(confirms.on_nack)
        channel.events["basic_return"].add(confirms.on_return)
        for exchange in (events_exchange(self.service), DEPARTMENTS_EXCHANGE):
            channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        self._channel, self._confirms = channel, confirms
        self.broker_link.connected()

    def close(self, broken=False):
        """Close the connections. After a failure the broker's is dropped without the close
        handshake, which would wait without limit for a broker that stopped answering."""
        self._close_db()
        self._close_broker(broken)

    def _close_db(self):
        for conn in (self._db, self._listener):
            if conn is not None and not conn.closed:
                conn.close()
        self._db = self._listener = None

    def _close_broker(self, broken):
        if self._amqp is not None:
            try:
                if not broken:
                    self._amqp.close()
            except BROKER_ERRORS:
                pass
            finally:
                self._amqp.collect()
        self._amqp = self._channel = self._confirms = None

    # work --------------------------------------------------------------------------------
    def publish_batch(self):
        """Publish one batch of due rows; returns how many rows the broker confirmed."""
        broken = None
        with self._db, self._db.cursor() as cur:
            cur.execute(
                f"""SELECT seq, id::text AS id, exchange, routing_key, body::text AS body,
                    body->>'type' AS type, body->>'correlation_id' AS correlation_id
                    FROM {self.schema}.outbox
                    WHERE published_at IS NULL AND next_attempt_at <= now()
                    ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED""",
                (self.batch_size,),
            )
            try:
                for row in cur.fetchall():
                    self._publish(row)
                self._wait_for_confirms()
            except BROKER_ERRORS as exc:
                broken = exc  # still record what the broker answered before it went away
            confirmed, refused = self._confirms.take_answers()
            self._record(cur, confirmed, refused)
        if broken is not None:
            raise broken
        return len(confirmed)

    def _publish(self, row):
        message = amqp.Message(
            row["body"].encode("utf-8"),
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,  # persistent
            message_id=row["id"],
            correlation_id=row["correlation_id"],
            type=row["type"],
            application_headers={"nameko.correlation_id": row["correlation_id"]},
        )
        self._channel.basic_publish(
            message, exchange=row["exchange"], routing_key=row["routing_key"], mandatory=True
        )
        self._confirms.track(row)

    def _wait_for_confirms(self):
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while self._confirms.unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmsTimedOut(
                    f"{len(self._confirms.unconfirmed)} publishes unconfirmed after"
                    f" {CONFIRM_TIMEOUT_SECONDS:.0f}s"
                )
            try:
                # at most a second per read: a heartbeat frame restarts drain_events' wait
                self._amqp.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                pass
            self._amqp.heartbeat_tick()

    def _record(self, cur, confirmed, refused):
        for row in confirmed:
            PUBLISHED.labels(self.service, row["type"], "confirmed").inc()
            if self.on_confirmed is not None:
                self.on_confirmed(row["exchange"], row["body"])
        if confirmed:
            cur.execute(
                f"UPDATE {self.schema}.outbox SET published_at = now(), attempts = attempts + 1"
                " WHERE seq = ANY(%s)",
                ([row["seq"] for row in confirmed],),
            )
        for row, problem in refused:
            if problem == UNROUTABLE:
                PUBLISHED.labels(self.service, row["type"], "unroutable").inc()
                log.warning(
                    "event unroutable, kept for retry",
                    extra={"event_id": row["id"], "routing_key": row["routing_key"]},
                )
            else:
                PUBLISHED.labels(self.service, row["type"], "nacked").inc()
            cur.execute(
                f"""UPDATE {self.schema}.outbox SET attempts = attempts + 1, last_error = %s,
                    next_attempt_at = now() + make_interval(
                        secs => least(%s * power(2, attempts), %s))
                    WHERE seq = %s""",
                (problem, REFUSED_FIRST_RETRY_SECONDS, REFUSED_MAX_RETRY_SECONDS, row["seq"]),
            )

    def _update_stats(self):
        if time.monotonic() - self._stats_at < STATS_EVERY_SECONDS:
            return
        self._stats_at = time.monotonic()
        with self._db, self._db.cursor() as cur:
            cur.execute(
                f"""SELECT count(*) AS backlog,
                    coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
                    FROM {self.schema}.outbox WHERE published_at IS NULL"""
            )
            row = cur.fetchone()
        BACKLOG.labels(self.service).set(row["backlog"])
        OLDEST.labels(self.service).set(float(row["oldest"]))

    def _wait_for_work(self):
        select.select([self._listener], [], [], IDLE_WAIT_SECONDS)  # a NOTIFY, or the timeout
        if self._amqp is not None:
            self._read_idle_broker_frames()

    def _read_idle_broker_frames(self):
        """Heartbeats (heartbeat_tick fails the connection when none was read for two
        intervals), or a close the broker sent while the relay had nothing to publish."""
        try:
            while True:
                self._amqp.drain_events(timeout=0)
        except TimeoutError:
            pass
        self._amqp.heartbeat_tick()

    def run_once(self):
        self._connect_db()
        self._connect_amqp()
        self._forget_wakeups()  # the claim sees every row committed before it
        published = self.publish_batch()
        self._update_stats()
        if published == 0:
            self._wait_for_work()
        elif published < self.batch_size:
            time.sleep(GATHER_SECONDS)
        return published

    def _forget_wakeups(self):
        self._listener.poll()
        self._listener.notifies.clear()

    def run(self):
        log.info("outbox relay started", extra={"service": self.service})
        broker.report(self.broker_link)
        backoff = 0.5
        try:
            while not self.stopping:
                backoff = self._run_once_or_recover(backoff)
        finally:
            self.close()
            broker.forget(self.broker_link)

    def _run_once_or_recover(self, backoff):
        """One round; after a lost connection, waits `backoff` seconds and returns the next."""
        try:
            self.run_once()
            return 0.5
        except psycopg2.Error as exc:
            self._log_lost("database", exc, backoff)
            self._close_db()  # the broker's connection has nothing wrong with it: kept
            self._pause(backoff)
        except BROKER_ERRORS as exc:
            self.broker_link.disconnected(exc)
            self._log_lost("broker", exc, backoff)
            self.close(broken=True)  # whatever state the round left behind, start afresh
            time.sleep(backoff)
        return min(backoff * 2, 10)

    def _log_lost(self, connection, exc, backoff):
        log.warning("relay lost a connection, reconnecting",
                    extra={"connection": connection, "error": type(exc).__name__,
                           "retry_in_seconds": backoff})

    def _pause(self, seconds):
        """Waits out a backoff while keeping the broker's connection: its heartbeats are
        answered, and a close by the broker is noticed (and reported) at once."""
        time.sleep(seconds)
        if self._amqp is None:
            return
        try:
            self._read_idle_broker_frames()
        except BROKER_ERRORS as exc:
            self.broker_link.disconnected(exc)
            self._close_broker(broken=True)


def main(service, config, on_confirmed=None):
    from prometheus_client import start_http_server

    logs.setup(config.get("LOG_LEVEL", "INFO"))
    start_http_server(int(config["RELAY_METRICS_PORT"]), addr="0.0.0.0")
    Relay(service, config["DB_URL"], config["AMQP_URI"], on_confirmed=on_confirmed).run()
