"""The event envelope, and writing events to a service's transactional outbox.

An event is written in the same transaction as the change it announces; the outbox relay
publishes it afterwards with confirms. Its `id` is fixed when it is written, so every retry
and redelivery carries the same id and consumers can recognise it.
"""
import uuid
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import psycopg2.extras
from marshmallow import RAISE, Schema, fields, validate

from .db import PreparedStatement, json_param

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ENVELOPE_VERSION = 1
DEPARTMENTS_EXCHANGE = "motcua.departments"


def events_exchange(service):
    """nameko's event exchange for a service: `@event_handler(service, type)` consumes it."""
    return f"{service}.events"


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+(\.[a-z_]+)+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=40))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    dossier_code = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


def now():
    return datetime.now(TIMEZONE)


def new_envelope(event_type, source, data, correlation_id, dossier_code=None):
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": ENVELOPE_VERSION,
        "occurred_at": now().isoformat(),
        "source": source,
        "correlation_id": correlation_id,
        "dossier_code": dossier_code,
        "data": data,
    }


@cache
def outbox_insert(schema):
    return PreparedStatement(
        f"{schema}_outbox_insert",
        f"INSERT INTO {schema}.outbox (id, exchange, routing_key, body)"
        " VALUES (%(id)s, %(exchange)s, %(routing_key)s, %(body)s)")


def add_to_outbox(cur, schema, envelope, exchange, routing_key):
    """On a cursor, or into a StatementBatch."""
    outbox_insert(schema).execute(cur, {"id": envelope["id"], "exchange": exchange,
                                        "routing_key": routing_key,
                                        "body": json_param(envelope)})


def add_all_to_outbox(cur, schema, events):
    """Several events, (envelope, exchange, routing_key) each, in one statement."""
    psycopg2.extras.execute_values(
        cur, f"INSERT INTO {schema}.outbox (id, exchange, routing_key, body) VALUES %s",
        [(envelope["id"], exchange, routing_key, json_param(envelope))
         for envelope, exchange, routing_key in events],
        page_size=max(1, len(events)))
