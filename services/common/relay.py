"""Outbox relay: publishes a service's outbox rows to RabbitMQ with publisher confirms.

A row is marked published only after the broker confirmed it. Publishing is mandatory: an
event no queue is bound to comes back unroutable, stays in the outbox and is tried again
later, so it is never dropped. Several relays may run for one service: rows are claimed
with FOR UPDATE SKIP LOCKED. New rows wake the relay through LISTEN/NOTIFY.
"""
import json
import logging
import select
import time
from datetime import datetime

import pika
import psycopg2
import psycopg2.extras
from pika.exceptions import AMQPError, NackError, UnroutableError
from prometheus_client import Counter, Gauge, Histogram

from . import logs
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
# From the dossier's reception (`received_at`, committed by intake) to the broker's confirm of
# the message on the department's queue: the whole pipeline a citizen's dossier goes through
# before a department can see it. Observed by the relay that publishes department messages.
RECEPTION_TO_DEPARTMENT = Histogram(
    "motcua_dossier_reception_to_department_seconds",
    "Time from a dossier's reception to its confirmed delivery to the department queue",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

REFUSED_FIRST_RETRY_SECONDS = 5
REFUSED_MAX_RETRY_SECONDS = 600
IDLE_WAIT_SECONDS = 1.0
STATS_EVERY_SECONDS = 5.0


class Relay:
    def __init__(self, service, db_url, amqp_uri, batch_size=200):
        self.service = service
        self.schema = service
        self.db_url = db_url
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.channel_name = f"{service}_outbox"
        self._db = None
        self._listener = None
        self._amqp = None
        self._channel = None
        self._stats_at = 0.0
        self.stopping = False

    # connections -------------------------------------------------------------------------
    def _connect_db(self):
        if self._db is None or self._db.closed:
            self._db = psycopg2.connect(self.db_url, cursor_factory=psycopg2.extras.RealDictCursor)
        if self._listener is None or self._listener.closed:
            self._listener = psycopg2.connect(self.db_url)
            self._listener.set_session(autocommit=True)
            with self._listener.cursor() as cur:
                cur.execute(f"LISTEN {self.channel_name}")

    def _connect_amqp(self):
        if self._channel is not None and self._channel.is_open:
            return
        params = pika.URLParameters(self.amqp_uri)
        params.heartbeat = 30
        self._amqp = pika.BlockingConnection(params)
        channel = self._amqp.channel()
        channel.confirm_delivery()
        for exchange in (events_exchange(self.service), DEPARTMENTS_EXCHANGE):
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self._channel = channel

    def close(self):
        for conn in (self._db, self._listener):
            if conn is not None and not conn.closed:
                conn.close()
        if self._amqp is not None and self._amqp.is_open:
            try:
                self._amqp.close()
            except AMQPError:
                pass
        self._db = self._listener = self._amqp = self._channel = None

    # work --------------------------------------------------------------------------------
    def publish_batch(self):
        """Publish one batch of due rows; returns how many rows were published."""
        published, refused = [], []
        with self._db, self._db.cursor() as cur:
            cur.execute(
                f"""SELECT seq, id, exchange, routing_key, body FROM {self.schema}.outbox
                    WHERE published_at IS NULL AND next_attempt_at <= now()
                    ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED""",
                (self.batch_size,),
            )
            for row in cur.fetchall():
                problem = self._publish(row)
                if problem is None:
                    published.append(row["seq"])
                else:
                    refused.append((row["seq"], problem))
            if published:
                cur.execute(
                    f"UPDATE {self.schema}.outbox SET published_at = now(), attempts = attempts + 1"
                    " WHERE seq = ANY(%s)",
                    (published,),
                )
            for seq, problem in refused:
                cur.execute(
                    f"""UPDATE {self.schema}.outbox SET attempts = attempts + 1, last_error = %s,
                        next_attempt_at = now() + make_interval(
                            secs => least(%s * power(2, attempts), %s))
                        WHERE seq = %s""",
                    (problem, REFUSED_FIRST_RETRY_SECONDS, REFUSED_MAX_RETRY_SECONDS, seq),
                )
        return len(published)

    def _publish(self, row):
        """None once the broker confirmed the message, else why it was not taken."""
        envelope = row["body"]
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=str(row["id"]),
            correlation_id=envelope.get("correlation_id"),
            type=envelope.get("type"),
            headers={"nameko.correlation_id": envelope.get("correlation_id")},
        )
        body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        try:
            self._channel.basic_publish(
                row["exchange"], row["routing_key"], body, properties, mandatory=True
            )
        except UnroutableError:
            PUBLISHED.labels(self.service, envelope.get("type"), "unroutable").inc()
            log.warning(
                "event unroutable, kept for retry",
                extra={"event_id": str(row["id"]), "routing_key": row["routing_key"]},
            )
            return "unroutable: no queue bound"
        except NackError:
            PUBLISHED.labels(self.service, envelope.get("type"), "nacked").inc()
            return "nacked by the broker"
        PUBLISHED.labels(self.service, envelope.get("type"), "confirmed").inc()
        if row["exchange"] == DEPARTMENTS_EXCHANGE:
            observe_reception_to_department(envelope)
        return None

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
        ready, _, _ = select.select([self._listener], [], [], IDLE_WAIT_SECONDS)
        if ready:
            self._listener.poll()
            self._listener.notifies.clear()
        if self._amqp is not None:
            self._amqp.process_data_events(0)

    def run_once(self):
        self._connect_db()
        self._connect_amqp()
        published = self.publish_batch()
        self._update_stats()
        if published < self.batch_size:
            self._wait_for_work()
        return published

    def run(self):
        log.info("outbox relay started", extra={"service": self.service})
        backoff = 0.5
        while not self.stopping:
            try:
                self.run_once()
                backoff = 0.5
            except (psycopg2.Error, AMQPError, OSError) as exc:
                log.warning(
                    "relay lost a connection, reconnecting",
                    extra={"error": type(exc).__name__, "retry_in_seconds": backoff},
                )
                self.close()
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)
        self.close()


def observe_reception_to_department(envelope):
    received_at = (envelope.get("data") or {}).get("received_at")
    try:
        received = datetime.fromisoformat(received_at)
    except (TypeError, ValueError):
        return  # not a dossier message: nothing to measure
    if received.tzinfo is not None:
        RECEPTION_TO_DEPARTMENT.observe(max(0.0, time.time() - received.timestamp()))


def main(service, config):
    from prometheus_client import start_http_server

    logs.setup(config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("pika").setLevel(logging.ERROR)  # we log unroutable returns ourselves
    start_http_server(int(config["RELAY_METRICS_PORT"]), addr="0.0.0.0")
    Relay(service, config["DB_URL"], config["AMQP_URI"]).run()
