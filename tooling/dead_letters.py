"""The dead-letter queue, for the operator: see what failed and why, replay it after a fix.

Messages are read with basic.get and left unacked while listing, so closing the channel puts
them back in their order; nothing is removed except by `replay` (after the broker confirmed
the copy on the original queue) or `purge`. Replay is idempotent: a replayed message leaves
the dead-letter queue, and a copy delivered twice (a crash between publish and ack) is
recognised by its envelope id in the consumer's processed-message table.
"""
import hashlib
import json

import pika

from services.common.consumer import ATTEMPT_HEADER, DEAD_LETTER_QUEUE

REASON_HEADER = "x-motcua-reason"
ORIGINAL_QUEUE_HEADER = "x-motcua-original-queue"
CONSUMER_HEADER = "x-motcua-consumer"
MOTCUA_HEADERS = (ATTEMPT_HEADER, REASON_HEADER, ORIGINAL_QUEUE_HEADER, CONSUMER_HEADER)


class DeadLetterError(Exception):
    """An operator asked for something the queue cannot do; the message says why."""


def message_key(body):
    """The envelope id when the body is an envelope, else a digest of the raw bytes."""
    try:
        envelope = json.loads(body)
        if isinstance(envelope, dict) and isinstance(envelope.get("id"), str):
            return envelope["id"]
    except (ValueError, UnicodeDecodeError):
        pass
    return "sha1:" + hashlib.sha1(body).hexdigest()[:16]


def describe(properties, body):
    headers = properties.headers or {}
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    return {
        "key": message_key(body),
        "type": envelope.get("type"),
        "dossier_code": envelope.get("dossier_code"),
        "correlation_id": envelope.get("correlation_id"),
        "original_queue": headers.get(ORIGINAL_QUEUE_HEADER),
        "consumer": headers.get(CONSUMER_HEADER),
        "attempts": headers.get(ATTEMPT_HEADER),
        "reason": headers.get(REASON_HEADER),
        "bytes": len(body),
    }


class DeadLetters:
    def __init__(self, amqp_uri, queue=DEAD_LETTER_QUEUE):
        self.queue = queue
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))

    def close(self):
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _browse(self, channel):
        """Every message on the queue as (delivery tag, properties, body), all left unacked."""
        channel.queue_declare(self.queue, durable=True, passive=True)
        messages = []
        while True:
            method, properties, body = channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                return messages
            messages.append((method.delivery_tag, properties, body))

    def list(self):
        channel = self.connection.channel()
        try:
            return [describe(p, b) for _, p, b in self._browse(channel)]
        finally:
            channel.close()  # unacked messages go back to the queue

    def show(self, key):
        channel = self.connection.channel()
        try:
            for _, properties, body in self._browse(channel):
                if message_key(body) == key:
                    return {**describe(properties, body), "headers": properties.headers or {},
                            "body": body.decode("utf-8", errors="replace")}
        finally:
            channel.close()
        raise DeadLetterError(f"no dead letter with key {key}")

    def replay(self, keys=None):
        """Send the chosen messages (all when keys is None) back to the queue they failed on.
        Returns the keys replayed."""
        return self._take(keys, self._republish)

    def purge(self, keys=None):
        return self._take(keys, lambda channel, properties, body: None)

    def _take(self, keys, action):
        channel = self.connection.channel()
        channel.confirm_delivery()
        done = []
        try:
            for tag, properties, body in self._browse(channel):
                key = message_key(body)
                if keys is not None and key not in keys:
                    continue
                action(channel, properties, body)
                channel.basic_ack(tag)
                done.append(key)
        finally:
            channel.close()
        missing = set(keys or ()) - set(done)
        if missing:
            raise DeadLetterError(f"not in the dead-letter queue: {', '.join(sorted(missing))}"
                                  f" (done: {len(done)})")
        return done

    @staticmethod
    def _republish(channel, properties, body):
        headers = dict(properties.headers or {})
        queue = headers.get(ORIGINAL_QUEUE_HEADER)
        if not queue:
            raise DeadLetterError(f"{message_key(body)} has no original queue; purge it instead")
        for name in MOTCUA_HEADERS:
            headers.pop(name, None)
        headers["x-motcua-replayed"] = True
        channel.basic_publish(
            "", queue, body, mandatory=True,
            properties=pika.BasicProperties(
                content_type=properties.content_type, content_encoding=properties.content_encoding,
                headers=headers, delivery_mode=pika.DeliveryMode.Persistent,
            ),
        )
