"""The API documents in docs/, generated from the code so they cannot drift from it.

- OpenAPI 3.0 of each HTTP service: the document it serves at /openapi.json
  (services/common/apidocs.py).
- AsyncAPI 3.0 of the department queues: the messages a department receives, built from the
  DossierReceived contract (dossier.assigned) and routing's schemas of the others.

`motcua docs` writes both into docs/; a test fails when the committed ones are stale.
"""
import inspect
import json
import re

import yaml

from services.common import contracts
from services.common.apidocs import endpoints, openapi_document
from services.common.config import SERVICE_NAMES
from services.common.events import DEPARTMENTS_EXCHANGE, ENVELOPE_VERSION, EnvelopeSchema
from services.common.jsonschemas import json_schema
from services.common.topology import DEPARTMENT_DELIVERY_LIMIT, department_queue_name
from services.routing.schemas import DEPARTMENT_MESSAGES

from . import ROOT
from .topology import service_class

DOCS_DIR = ROOT / "docs"


def department_message_example():
    return {
        "id": "0b8f4c1e-7d2a-4b5e-9c1f-2a3b4c5d6e7f",
        "type": "dossier.assigned",
        "version": contracts.DossierAssignedMessage.VERSION,
        "occurred_at": "2026-03-02T09:15:04+07:00",
        "source": "routing",
        "correlation_id": "4c9e2f7a-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
        "dossier_code": "000.00.01.H33-260302-0001",
        "data": {
            "code": "000.00.01.H33-260302-0001",
            "procedure": {
                "code": "1.001234", "name": "Cấp Phiếu lý lịch tư pháp", "department": "stp",
                "cooperating": [], "processing_days": 10, "day_kind": "working", "fee": 0,
                "charge": 200000, "postal_return": True, "refund_on_refusal": False,
                "hold_result_until_paid": False,
            },
            "channel": "counter",
            "receiving_unit": "000.00.01.H33",
            "received_at": "2026-03-02T09:15:03+07:00",
            "due_date": "2026-03-16",
            # fictitious person: department messages carry the applicant, as the contract says
            "applicant": {"full_name": "Nguyễn Văn A", "citizen_id": "*********000",
                          "phone": "0900000000", "address": "1 Đường Ví Dụ, Phường Mẫu"},
            "documents": [{"key": "to_khai", "copies": 1}],
            "result_delivery": "counter",
            "receiver": {"kind": "counter_officer", "id": "officer-1", "department": "stp"},
            "department": "stp",
            "role": "lead",
        },
    }


def _message_id(event_type):
    """`dossier.consultation_requested` -> `dossierConsultationRequested`."""
    words = re.split(r"[._]", event_type)
    return words[0] + "".join(word.capitalize() for word in words[1:])


def _envelope_payload(event_type, data_schema, version=ENVELOPE_VERSION):
    envelope = json_schema(EnvelopeSchema)
    envelope["properties"]["data"] = json_schema(data_schema)
    envelope["properties"]["type"]["const"] = event_type
    envelope["properties"]["version"]["const"] = version
    return envelope


def _message(event_type, title, payload, examples=()):
    message = {
        "name": event_type,
        "title": title,
        "contentType": "application/json",
        "payload": payload,
        "bindings": {"amqp": {"messageType": event_type, "contentEncoding": "utf-8",
                              "bindingVersion": "0.3.0"}},
    }
    if examples:
        message["examples"] = list(examples)
    return message


def department_messages():
    """{message id: AsyncAPI message} of everything routing sends to a department's queue:
    dossier.assigned first, then the lifecycle messages routing's schemas describe."""
    messages = {"dossierAssigned": _message(
        "dossier.assigned", "A dossier assigned to the department",
        _envelope_payload("dossier.assigned", contracts.DossierAssignedMessage,
                          contracts.DossierAssignedMessage.VERSION),
        [{"name": "counter_dossier", "payload": department_message_example()}])}
    for event_type, schema in DEPARTMENT_MESSAGES.items():
        title = (inspect.getdoc(schema) or event_type).splitlines()[0]
        messages[_message_id(event_type)] = _message(
            event_type, title, _envelope_payload(event_type, schema,
                                                 getattr(schema, "VERSION", ENVELOPE_VERSION)))
    return messages


def asyncapi_document(departments):
    messages = department_messages()
    channels, operations = {}, {}
    for code in departments:
        queue = department_queue_name(code)
        channel_id = f"department_{code}"
        channels[channel_id] = {
            "address": queue,
            "title": f"Queue of department {code}",
            "description": (
                f"Durable quorum queue `{queue}` bound with `{code}.#` on the topic exchange "
                f"`{DEPARTMENTS_EXCHANGE}` (routing key `{code}.<message type>`). Read it as "
                f"the department's own RabbitMQ user `department-{code}`, which may read it "
                "and nothing else: open it passively (`queue_declare(passive=True)`, or no "
                "declare at all), since declaring it is configuring it, which that user may "
                "not do (403 ACCESS_REFUSED, and the broker closes the channel). Ack after "
                f"your own commit. A message delivered more than {DEPARTMENT_DELIVERY_LIMIT} "
                "times goes to `motcua.dead_letters`."
            ),
            "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}
                         for message_id in messages},
            "bindings": {"amqp": {
                "is": "queue",
                "queue": {"name": queue, "durable": True, "exclusive": False,
                          "autoDelete": False, "vhost": "/"},
                "bindingVersion": "0.3.0",
            }},
        }
        operations[f"receive_{code}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": (f"Department {code} receives the dossiers it leads or cooperates on, "
                        "and what happens to them that it must act on"),
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message_id}"}
                         for message_id in messages],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "motcua department queues",
            "version": "3",
            "description": (
                "Each department of the catalogue has its own queue of the dossiers assigned "
                "to it and of what happens to them that it must act on (a supplement handed "
                "in, a consultation asked or answered, a due date near or passed). Messages "
                "are JSON event envelopes, delivered at least once: the envelope `id` is "
                "stable, so deduplicate on it; `type` says which message it is, `version` "
                "which shape of it. Ack and skip a type you do not know: a later version of "
                "this document may add one.\n\n"
                "Version 3 of this document adds the work inside the department: "
                "`dossier.handed_over` (version 1), each hand-over between its people and "
                "processing units (an officer assigned, a result proposed to the leaders, "
                "sent back or approved, a transfer between units, a result completed), "
                "with who gave, who took, when, why and whether the step kept its deadline "
                "(the rows of Mẫu 06); and `dossier.due_soon` version 2, whose `status` may "
                "be `awaiting_approval` (a result proposed, waiting for a leader), in version "
                "1's shape, so a version 1 reader still reads it.\n\n"
                "Version 2: `dossier.assigned` is at envelope version 2, "
                "whose applicant's `citizen_id` is masked to its last three digits "
                "(`*********567`; version 1 carried the whole number), and which carries "
                "nothing of the citizen's lookup secret. The other messages are unchanged "
                "(version 1)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"broker": {"host": "rabbitmq:5672", "protocol": "amqp",
                               "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def http_services():
    """Services whose class serves HTTP (all of them today: OpsEndpoints)."""
    return [service for service in SERVICE_NAMES if endpoints(service_class(service))]


def write_docs(departments, directory=DOCS_DIR):
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in http_services():
        path = directory / f"openapi-{service}.json"
        document = openapi_document(service_class(service))
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
        written.append(path)
    path = directory / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(asyncapi_document(departments), allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    written.append(path)
    return written
