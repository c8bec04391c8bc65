"""The dead-letter queue, for the operator (`motcua dlq`) and the center's manager (the desk,
through the HTTP API that DeadLetterEndpoints gives the one service that mixes it in): see
what failed and why, replay it after a fix, or purge it.

Messages are read with basic.get and left unacked while listing, so closing the channel puts
them back in their order; nothing is removed except by `replay` (after the broker confirmed
the copy on the original queue) or `purge`. Replay is idempotent: a replayed message leaves
the dead-letter queue, and a copy delivered twice (a crash between publish and ack) is
recognised by its envelope id in the consumer's processed-message table.
"""
import hashlib
import json

import pika
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .consumer import ATTEMPT_HEADER, DEAD_LETTER_QUEUE
from .errors import Conflict, NotFound, Unavailable
from .http import api, json_response

REASON_HEADER = "x-motcua-reason"
ORIGINAL_QUEUE_HEADER = "x-motcua-original-queue"
CONSUMER_HEADER = "x-motcua-consumer"
MOTCUA_HEADERS = (ATTEMPT_HEADER, REASON_HEADER, ORIGINAL_QUEUE_HEADER, CONSUMER_HEADER)


class DeadLetterError(Conflict):
    """An operator asked for something the queue cannot do; the message says why (409)."""

    def __init__(self, message):
        super().__init__(message, "dead_letter_conflict")


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
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        except pika.exceptions.AMQPConnectionError as exc:
            raise Unavailable("Không kết nối được RabbitMQ để đọc hàng đợi thư lỗi; hãy thử lại "
                              "sau giây lát.", "broker_unavailable") from exc

    def close(self):
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _browse(self, channel):
        """Every message on the queue as (delivery tag, properties, body), all left unacked."""
        try:
            channel.queue_declare(self.queue, durable=True, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            raise Unavailable(f"Chưa có hàng đợi thư lỗi {self.queue}: hãy khai báo các hàng "
                              "đợi (motcua migrate).", "no_dead_letter_queue") from exc
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
            _close(channel)  # unacked messages go back to the queue

    def show(self, key):
        channel = self.connection.channel()
        try:
            for _, properties, body in self._browse(channel):
                if message_key(body) == key:
                    return {**describe(properties, body), "headers": properties.headers or {},
                            "body": body.decode("utf-8", errors="replace")}
        finally:
            _close(channel)
        raise NotFound(f"Không có thư lỗi nào mang mã {key} trong hàng đợi.", "no_dead_letter")

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
            _close(channel)
        missing = set(keys or ()) - set(done)
        if missing:
            raise DeadLetterError(f"Không còn trong hàng đợi thư lỗi: {', '.join(sorted(missing))}"
                                  f" (đã xử lý {len(done)} thư).")
        return done

    @staticmethod
    def _republish(channel, properties, body):
        headers = dict(properties.headers or {})
        queue = headers.get(ORIGINAL_QUEUE_HEADER)
        if not queue:
            raise DeadLetterError(f"Thư {message_key(body)} không ghi hàng đợi gốc nên không phát "
                                  "lại được; hãy xóa nó.")
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


def _close(channel):
    if channel.is_open:
        channel.close()


# HTTP ----------------------------------------------------------------------------------------
class DeadLetterView(Schema):
    key = fields.String(required=True, metadata={"description": "the envelope id, else a "
                                                                "digest of the raw bytes"})
    type = fields.String(allow_none=True)
    dossier_code = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    original_queue = fields.String(allow_none=True)
    consumer = fields.String(allow_none=True)
    attempts = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    bytes = fields.Integer(required=True)


class DeadLetterList(Schema):
    messages = fields.List(fields.Nested(DeadLetterView), required=True)
    count = fields.Integer(required=True)


class DeadLetterChoice(Schema):
    """The messages to replay or purge: their keys, or every one with `all` (as `motcua dlq
    replay|purge KEY... | --all`)."""
    keys = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                       load_default=None, validate=validate.Length(min=1, max=1000))
    all = fields.Boolean(load_default=False)

    @validates_schema
    def one_choice(self, data, **kwargs):
        if bool(data["keys"]) == data["all"]:
            raise ValidationError("Chọn các thư (mã trong danh sách) hoặc chọn tất cả, "
                                  "không chọn cả hai.", "keys")


class DeadLettersDone(Schema):
    action = fields.String(required=True, metadata={"enum": ["replay", "purge"]})
    messages = fields.List(fields.String(), required=True, metadata={
        "description": "the keys replayed or purged"})


DONE = {200: ("done", DeadLettersDone),
        409: "a key is not in the queue, or a message to replay names no original queue"}


class DeadLetterEndpoints:
    """The dead-letter queue over HTTP, for the center's manager; mixed into one service
    (routing), which has the broker's address in `config`."""

    def _dead_letters(self):
        return DeadLetters(self.config["AMQP_URI"])

    @api("GET", "/api/v1/dead-letters", summary="The messages no consumer could process, "
         "with why (the queue is browsed, nothing is removed)", auth=("manager",),
         responses={200: ("the messages, oldest first", DeadLetterList)})
    def list_dead_letters(self, request, caller):
        with self._dead_letters() as queue:
            found = queue.list()
        return json_response({"messages": found, "count": len(found)})

    @api("GET", "/api/v1/dead-letters/<key>", summary="One dead letter, its headers and body",
         auth=("manager",), responses={200: "the message", 404: "no message with this key"})
    def show_dead_letter(self, request, caller, key):
        with self._dead_letters() as queue:
            return json_response(queue.show(key))

    @api("POST", "/api/v1/dead-letters/replay", summary="Send messages back to the queue "
         "they failed on (after a fix)", auth=("manager",), body=DeadLetterChoice,
         responses=DONE)
    def replay_dead_letters(self, request, caller, body):
        with self._dead_letters() as queue:
            done = queue.replay(None if body["all"] else body["keys"])
        return json_response({"action": "replay", "messages": done})

    @api("POST", "/api/v1/dead-letters/purge", summary="Remove messages for good",
         auth=("manager",), body=DeadLetterChoice, responses=DONE)
    def purge_dead_letters(self, request, caller, body):
        with self._dead_letters() as queue:
            done = queue.purge(None if body["all"] else body["keys"])
        return json_response({"action": "purge", "messages": done})
