"""The API documents in docs/, generated from the code so they cannot drift from it.

- OpenAPI 3.0 of each HTTP service: the document it serves at /openapi.json
  (services/common/apidocs.py).
- AsyncAPI 3.0 of the department queues: the messages a department receives, built from the
  DossierReceived contract (dossier.assigned, the version before too) and routing's schemas
  of the others; and of intake's events about online dossiers before their reception and
  the calendar, and routing's evaluations, which the national-portal link and the services
  read.

`motcua docs` writes both into docs/; a test fails when the committed ones are stale.
"""
import inspect
import json
import re

import yaml

from services.common import contracts
from services.common.apidocs import endpoints, openapi_document
from services.common.config import SERVICE_NAMES
from services.common.events import (
    DEPARTMENTS_EXCHANGE,
    ENVELOPE_VERSION,
    EnvelopeSchema,
    events_exchange,
)
from services.common.jsonschemas import json_schema
from services.common.topology import DEPARTMENT_DELIVERY_LIMIT, department_queue_name
from services.routing.schemas import DEPARTMENT_MESSAGES, PREVIOUS_DEPARTMENT_MESSAGES

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
        "dossier_code": "H15.50.05.13-260302-0001",
        "data": {
            "code": "H15.50.05.13-260302-0001",
            "procedure": {
                "code": "1.001234", "name": "Cấp Phiếu lý lịch tư pháp", "department": "stp",
                "department_name": "Sở Tư pháp",
                "cooperating": [], "processing_days": 10, "day_kind": "working", "fee": 0,
                "charge": 200000, "postal_return": True, "refund_on_refusal": False,
                "hold_result_until_paid": False, "sector_code": "ly_lich_tu_phap",
                "sector_name": "Lý lịch tư pháp",
            },
            "channel": "counter",
            "receiving_unit": "H15.50.01",
            "center": "trung_tam_tinh",
            "received_at": "2026-03-02T09:15:03+07:00",
            "due_date": "2026-03-16",
            # fictitious person: department messages carry the applicant, as the contract says
            "applicant": {"kind": "citizen", "full_name": "Nguyễn Văn A",
                          "citizen_id": "*********000",
                          "phone": "0900000000", "address": "1 Đường Ví Dụ, Phường Mẫu"},
            "documents": [{"key": "to_khai", "copies": 1}],
            "result_delivery": "counter",
            "receiver": {"kind": "counter_officer", "id": "officer-1", "department": "stp"},
            "paper_handover_on": "2026-03-02",
            "submission_id": None,
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


def _title(schema, event_type):
    return (inspect.getdoc(schema) or event_type).splitlines()[0]


def department_messages():
    """{message id: AsyncAPI message} of everything routing sends to a department's queue:
    dossier.assigned first, then the lifecycle messages routing's schemas describe, each at
    its contract's version, then the earlier versions a queue may still hold
    (`<id>V<version>`)."""
    messages = {"dossierAssigned": _message(
        "dossier.assigned", "A dossier assigned to the department",
        _envelope_payload("dossier.assigned", contracts.DossierAssignedMessage,
                          contracts.DossierAssignedMessage.VERSION),
        [{"name": "counter_dossier", "payload": department_message_example()}])}
    for event_type, schema in DEPARTMENT_MESSAGES.items():
        messages[_message_id(event_type)] = _lifecycle_message(event_type, schema)
    for (event_type, version), schema in PREVIOUS_DEPARTMENT_MESSAGES.items():
        messages[f"{_message_id(event_type)}V{version}"] = _lifecycle_message(
            event_type, schema, version)
    for previous in (contracts.DossierAssignedMessageV3, contracts.DossierAssignedMessageV2):
        messages[f"dossierAssignedV{previous.VERSION}"] = _lifecycle_message(
            "dossier.assigned", previous, previous.VERSION)
    return messages


def _lifecycle_message(event_type, schema, version=None):
    version = version or getattr(schema, "VERSION", ENVELOPE_VERSION)
    return _message(event_type, _title(schema, event_type),
                    _envelope_payload(event_type, schema, version))


# intake's events for the national-portal link and the services (on `intake.events`)
INTAKE_EVENTS = {
    "dossier.awaiting_reception": contracts.DossierAwaitingReception,
    "dossier.corrections_requested": contracts.DossierCorrectionsRequested,
    "dossier.reception_overdue": contracts.DossierReceptionOverdue,
    "calendar.changed": contracts.CalendarChanged,
}
# routing's events for the national-portal link (on `routing.events`)
ROUTING_EVENTS = {
    "dossier.evaluated": contracts.DossierEvaluated,
}

# the national-portal link's own events (on `nationalportal.events`)
NATIONALPORTAL_EVENTS = {
    "portal.dossier_synced": contracts.PortalDossierSynced,
    "portal.sync_failed": contracts.PortalSyncFailed,
}


def events_messages(events):
    return {_message_id(event_type): _message(
        event_type, _title(schema, event_type),
        _envelope_payload(event_type, schema, getattr(schema, "VERSION", ENVELOPE_VERSION)))
        for event_type, schema in events.items()}


def events_channel(service, what, messages):
    exchange = events_exchange(service)
    return {
        "address": exchange,
        "title": f"{service}'s events",
        "description": (
            f"The topic exchange `{exchange}`, each event with its type as routing key: bind a "
            f"queue of your own to the types you read. {what}"),
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}
                     for message_id in messages},
        "bindings": {"amqp": {
            "is": "routingKey",
            "exchange": {"name": exchange, "type": "topic", "durable": True,
                         "autoDelete": False, "vhost": "/"},
            "bindingVersion": "0.3.0",
        }},
    }


EVENTS_CHANNELS = {
    "intake": (INTAKE_EVENTS, (
        "Online dossiers before their formal reception (no code yet: `submission_id` names "
        "them; once received they are announced as `dossier.received`, with that "
        "`submission_id`), and the province's calendar overrides, the whole set at every "
        "change.")),
    "routing": (ROUTING_EVENTS, (
        "The applicants' evaluations of their dossiers (Decree 118/2025 art. 33), which the "
        "national-portal link sends to DVCQG.")),
    "nationalportal": (NATIONALPORTAL_EVENTS, (
        "What DVCQG acknowledged of each dossier (Decision 766/QĐ-TTg scores the share "
        "synced), and the dossiers it will not show until a person acts.")),
}


def asyncapi_document(departments):
    messages = department_messages()
    events = {service: events_messages(found) for service, (found, _) in EVENTS_CHANNELS.items()}
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
    for service, (_, what) in EVENTS_CHANNELS.items():
        channels[f"{service}_events"] = events_channel(service, what, events[service])
        operations[f"receive_{service}_events"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{service}_events"},
            "summary": f"The national-portal link and the services receive {service}'s events",
            "messages": [{"$ref": f"#/channels/{service}_events/messages/{message_id}"}
                         for message_id in events[service]],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "motcua department queues",
            "version": "4",
            "description": (
                "Each department of the catalogue has its own queue of the dossiers assigned "
                "to it and of what happens to them that it must act on (a supplement handed "
                "in, a consultation asked or answered, a due date near or passed). Messages "
                "are JSON event envelopes, delivered at least once: the envelope `id` is "
                "stable, so deduplicate on it; `type` says which message it is, `version` "
                "which shape of it. Ack and skip a type you do not know: a later version of "
                "this document may add one.\n\n"
                "Version 4 of this document: `dossier.assigned` is at envelope version 4: "
                "the applicant is a citizen or an organisation (`kind`, DVCQG's "
                "LoaiDoiTuong; `organisation` with its name, enterprise or tax code and "
                "address, the person fields then its representative's), either possibly "
                "through an authorised person (`authorised_person`, the authorisation "
                "recorded, the citizen ID masked); its procedure carries its lĩnh vực "
                "(`sector_code`, `sector_name`), by which the statutory reports are "
                "grouped, and the competent agency's name "
                "(`department_name`); `center` is the one-stop center that received the "
                "dossier (none by post), `receiving_unit` that center's or the post office's "
                "identifier. Codes start with the competent agency's electronic identifier "
                "(Decision 20/2020/QĐ-TTg, `H15.50.05.13-260302-0001`); codes issued before "
                "keep the older shape (`000.00.01.H33-260302-0001`): accept both. "
                "Version 3 of this document follows Decree 118/2025/NĐ-CP art. 18, 19 and 21. "
                "`dossier.assigned` was at envelope version 3: a same-day procedure has "
                "`processing_days` 0 (due the day of reception, or the next working day when "
                "received after the same-day cut-off, 15:00), `paper_handover_on` is the day "
                "the paper dossier reaches the department (none for an online dossier, "
                "received electronically) and `submission_id` the online submission it was "
                "formally received from. `dossier.resubmitted` version 2 (the period restarts "
                "from zero with the complete dossier: no `paused_working_days`), "
                "`dossier.due_soon` version 2 (`extension_deadline`, the last day to ask for "
                "the one extension; its `status` may be `awaiting_approval`, a result "
                "proposed, waiting for a leader), and new messages `dossier.closed` (a "
                "supplement not handed in by its last day), `dossier.withdrawn` (the "
                "applicant asked to stop), `dossier.consultation_late` (a cooperating "
                "department answered late or not at all) and `dossier.handed_over` (each "
                "hand-over between the department's people and processing units: an officer "
                "assigned, a result proposed to the leaders, sent back or approved, a transfer "
                "between units, a result completed, with who gave, who took, when, why and "
                "whether the step kept its deadline: the rows of Mẫu 06). The versions they "
                "replace stay documented (`…V<n>`) for messages a queue may still hold. The "
                "channel `intake.events` is new: online dossiers awaiting their formal "
                "reception and the calendar's overrides; so is `routing.events`, with the "
                "applicants' evaluations (`dossier.evaluated`). Version 2 masked the applicant's "
                "`citizen_id` to its last three digits and carried nothing of the citizen's "
                "lookup secret. Other messages are at version 1."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "motcua-rabbitmq.motcua.svc:5671", "protocol": "amqps",
                "protocolVersion": "0.9.1",
                "description": "the province's RabbitMQ cluster (deploy/k8s/components/"
                               "rabbitmq): TLS only; a department's user reads its queue"},
            "local": {
                "host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                "description": "one machine: `make run`, `make demo` and the tests"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": {**messages, **events["intake"], **events["routing"]}},
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
