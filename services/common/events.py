"""The event envelope, and writing events to a service's transactional outbox.

An event is written in the same transaction as the change it announces; the outbox relay
publishes it afterwards with confirms. Its `id` is fixed when it is written, so every retry
and redelivery carries the same id and consumers can recognise it.

An event made while a consumer handles a delivered event (`caused_by`) takes an id derived
from that event's id, the consumer and its place among the events of that handling, not a
random one: when a database restored from a backup handles that event again (its effect was
after the backup), the events it makes carry the ids they had the first time, which a
department that took them then recognises.
"""
import threading
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import psycopg2.extras
from marshmallow import RAISE, Schema, fields, validate

from .db import PreparedStatement, json_param
from .jsonschemas import contract_problems

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
    # carried into the AMQP headers of the events it causes: a short string there holds 255 bytes
    correlation_id = fields.String(required=True, validate=[
        validate.Length(min=1, max=100),
        validate.Predicate("isascii", error="Chỉ gồm ký tự ASCII.")])
    dossier_code = fields.String(load_default=None, allow_none=True)
    data = fields.Dict(required=True)


def now():
    return datetime.now(TIMEZONE)


CAUSED_EVENT_IDS = uuid.UUID("6f1d3c52-8a0e-4d8b-9b61-2f4a7e0c5d13")  # uuid5 namespace
_handling = threading.local()  # green-thread local once eventlet has patched threading


@contextmanager
def caused_by(consumer, envelope_id):
    """Events made inside take their ids from the delivered event's id and `consumer`."""
    outer = getattr(_handling, "cause", None)
    _handling.cause = {"key": f"{consumer}:{uuid.UUID(str(envelope_id))}", "made": 0}
    try:
        yield
    finally:
        _handling.cause = outer


def event_id():
    cause = getattr(_handling, "cause", None)
    if cause is None:
        return str(uuid.uuid4())
    cause["made"] += 1
    return str(uuid.uuid5(CAUSED_EVENT_IDS, f"{cause['key']}:{cause['made']}"))


def new_envelope(event_type, source, data, correlation_id, dossier_code=None,
                 version=ENVELOPE_VERSION):
    return {
        "id": event_id(),
        "type": event_type,
        "version": version,
        "occurred_at": now().isoformat(),
        "source": source,
        "correlation_id": correlation_id,
        "dossier_code": dossier_code,
        "data": data,
    }


class BrokenContract(ValueError):
    """Our own bug: an event that does not fit its contract is never kept."""


def jsonable(value):
    """`value` with dates, times, UUIDs and decimals as the strings JSON carries."""
    if value is None or isinstance(value, str | int | float):  # most of an event: as it is
        return value
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def event(source, event_type, contract, data, correlation_id, dossier_code=None):
    """The envelope of a new event of `source`, its data checked against its contract (a
    schema class): the one way an event is made. Its version is the contract's `VERSION`
    (1 unless a change a consumer could notice raised it)."""
    payload = jsonable(data)
    problems = contract_problems(contract, payload)
    if problems:
        raise BrokenContract(f"{event_type} does not fit its contract: {problems}")
    return new_envelope(event_type, source, payload, correlation_id, dossier_code,
                        getattr(contract, "VERSION", ENVELOPE_VERSION))


def publish(cur, source, event_type, contract, data, correlation_id, dossier_code=None):
    """A new event on `source`'s exchange, kept in its outbox in the caller's transaction (on
    a cursor or into a StatementBatch); returns its envelope."""
    envelope = event(source, event_type, contract, data, correlation_id, dossier_code)
    add_to_outbox(cur, source, envelope, events_exchange(source), event_type)
    return envelope


def to_department(cur, source, department, event_type, contract, data, correlation_id,
                  dossier_code=None):
    """A message on a department's own queue (`<department>.<event type>` on the
    departments' exchange), checked against its contract like any event."""
    envelope = event(source, event_type, contract, data, correlation_id, dossier_code)
    add_to_outbox(cur, source, envelope, DEPARTMENTS_EXCHANGE, f"{department}.{event_type}")
    return envelope


def publish_all(cur, source, envelopes):
    """Envelopes made by `event` for `source`'s exchange, kept in one statement."""
    add_all_to_outbox(cur, source, [(envelope, events_exchange(source), envelope["type"])
                                    for envelope in envelopes])


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
