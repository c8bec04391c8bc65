"""deploy/rabbitmq/definitions.json: generated from the catalogue, imported into the real local
RabbitMQ (its own vhost and users), then used over real AMQP connections as a department."""
import base64
import json
import secrets
from urllib.parse import quote

import pika
import pytest
import requests
from pika.exceptions import ChannelClosedByBroker

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.events import DEPARTMENTS_EXCHANGE
from services.common.topology import EVENT_LOG, EVENT_LOG_ARGUMENTS, department_queue_arguments
from services.intake.catalogue import read_catalogue
from tooling.provision import rabbitmq

MANAGEMENT = "http://127.0.0.1:15672"
GUEST = ("guest", "guest")
CATALOGUE_DEPARTMENTS = sorted(read_catalogue()["departments"])


def test_committed_definitions_are_those_of_the_catalogue():
    committed = json.loads(rabbitmq.DEFINITIONS_FILE.read_text(encoding="utf-8"))
    assert committed == rabbitmq.definitions(CATALOGUE_DEPARTMENTS), (
        "deploy/rabbitmq/definitions.json is stale: run "
        "`motcua departments provision -o deploy/rabbitmq/definitions.json`"
    )
    assert {q["name"] for q in committed["queues"]} == (
        {f"department.{code}" for code in CATALOGUE_DEPARTMENTS} | {DEAD_LETTER_QUEUE}
    )
    # no secret is ever committed: the users there cannot log in until given a password
    assert committed["users"]
    assert all(user["password_hash"] == "" for user in committed["users"])


def test_password_hash_is_what_rabbitmq_computes():
    salt = bytes.fromhex("908dc60a")
    # the example of RabbitMQ's "Credentials and Passwords" guide for password "test12"
    assert rabbitmq.password_hash("test12", salt) == "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"


def test_apply_refuses_users_without_password():
    document = rabbitmq.definitions(["stp"])
    with pytest.raises(rabbitmq.ProvisionError, match="--passwords"):
        rabbitmq.apply_definitions(document, MANAGEMENT)


@pytest.fixture
def imported():
    """Two departments imported into a fresh vhost, with their own users and passwords."""
    tag = secrets.token_hex(4)
    vhost = f"motcua-provision-{tag}"
    prefix = f"test-{tag}-department-"
    system_prefix = f"test-{tag}-"
    passwords = {name: secrets.token_urlsafe(16) for name in (
        "stp", "ca", *rabbitmq.SYSTEM_USERS)}
    document = rabbitmq.definitions(["ca", "stp"], vhost=vhost, passwords=passwords,
                                     user_prefix=prefix, system_prefix=system_prefix)
    rabbitmq.apply_definitions(document, "http://guest:guest@127.0.0.1:15672")
    path = quote(vhost, safe="")
    requests.put(f"{MANAGEMENT}/api/permissions/{path}/guest", auth=GUEST,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield {"vhost": vhost, "prefix": prefix, "system_prefix": system_prefix,
           "passwords": passwords}
    requests.delete(f"{MANAGEMENT}/api/vhosts/{path}", auth=GUEST)
    for user in document["users"]:
        requests.delete(f"{MANAGEMENT}/api/users/{quote(user['name'], safe='')}", auth=GUEST)


def connect(vhost, user, password):
    return pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", 5672, vhost, pika.PlainCredentials(user, password)))


def test_imported_queues_and_policies_are_as_declared(imported):
    path = quote(imported["vhost"], safe="")
    queue = requests.get(f"{MANAGEMENT}/api/queues/{path}/department.stp", auth=GUEST).json()
    assert queue["type"] == "quorum" and queue["durable"]
    assert queue["arguments"] == department_queue_arguments()
    policies = requests.get(f"{MANAGEMENT}/api/policies/{path}", auth=GUEST).json()
    assert {p["name"]: p["definition"].get("delivery-limit") for p in policies} == {
        "department-queues": 20, "dead-letters-bound": None}
    bindings = requests.get(f"{MANAGEMENT}/api/queues/{path}/department.stp/bindings",
                            auth=GUEST).json()
    assert {(b["source"], b["routing_key"]) for b in bindings} >= {(DEPARTMENTS_EXCHANGE, "stp.#")}


def test_a_department_reads_its_own_queue_and_nothing_else(imported):
    vhost, prefix, passwords = imported["vhost"], imported["prefix"], imported["passwords"]
    with connect(vhost, "guest", "guest") as guest:
        channel = guest.channel()
        channel.confirm_delivery()
        for code in ("stp", "ca"):
            channel.basic_publish(DEPARTMENTS_EXCHANGE, f"{code}.dossier.assigned",
                                  json.dumps({"for": code}).encode(), mandatory=True)

    with connect(vhost, f"{prefix}stp", passwords["stp"]) as stp:
        channel = stp.channel()
        method, _, body = channel.basic_get("department.stp")
        assert json.loads(body) == {"for": "stp"}
        channel.basic_ack(method.delivery_tag)
        channel.basic_consume("department.stp", lambda *args: None)  # consuming is allowed

        refusals = {
            "another department's queue": lambda ch: ch.basic_get("department.ca"),
            "consuming another department's queue":
                lambda ch: ch.basic_consume("department.ca", lambda *args: None),
            "declaring a queue": lambda ch: ch.queue_declare("department.stp.copy"),
            "publishing to the departments exchange": lambda ch: (
                ch.confirm_delivery(),
                ch.basic_publish(DEPARTMENTS_EXCHANGE, "stp.x", b"{}")),
            "publishing to the default exchange": lambda ch: (
                ch.confirm_delivery(), ch.basic_publish("", "department.ca", b"{}")),
        }
        for what, action in refusals.items():
            channel = stp.channel()
            with pytest.raises(ChannelClosedByBroker) as refused:
                action(channel)
            assert refused.value.reply_code == 403, what

    with connect(vhost, "guest", "guest") as guest:  # ca's message is untouched
        method, _, body = guest.channel().basic_get("department.ca", auto_ack=True)
        assert json.loads(body) == {"for": "ca"}


def test_the_event_log_is_read_by_the_operations_user_alone(imported):
    """The stream keeps the citizens' personal data for its retention: the services' own user
    cannot read it (nor can a department's), the operations user reads it and nothing else."""
    vhost, passwords = imported["vhost"], imported["passwords"]
    services_user = imported["system_prefix"] + rabbitmq.SERVICES_USER
    operations_user = imported["system_prefix"] + rabbitmq.OPERATIONS_USER
    with connect(vhost, services_user, passwords[rabbitmq.SERVICES_USER]) as services:
        channel = services.channel()  # what a deployment declares, as the services' user
        channel.queue_declare(EVENT_LOG, durable=True, arguments=EVENT_LOG_ARGUMENTS)
        channel.exchange_declare("intake.events", exchange_type="topic", durable=True)
        channel.queue_bind(EVENT_LOG, "intake.events", routing_key="#")
        channel.queue_declare("evt-intake-dossier.received--routing.x", durable=True)
        channel.confirm_delivery()
        channel.basic_publish("intake.events", "dossier.received", b'{"logged": true}',
                              mandatory=True)
        channel.basic_get("evt-intake-dossier.received--routing.x")  # reads its own queues
        refused = services.channel()
        refused.basic_qos(prefetch_count=10)
        with pytest.raises(ChannelClosedByBroker) as closed:
            refused.basic_consume(EVENT_LOG, lambda *args: None,
                                  arguments={"x-stream-offset": "first"})
        assert closed.value.reply_code == 403

    with connect(vhost, f"{imported['prefix']}stp", passwords["stp"]) as stp:
        channel = stp.channel()
        channel.basic_qos(prefetch_count=10)
        with pytest.raises(ChannelClosedByBroker) as closed:
            channel.basic_consume(EVENT_LOG, lambda *args: None,
                                  arguments={"x-stream-offset": "first"})
        assert closed.value.reply_code == 403

    with connect(vhost, operations_user, passwords[rabbitmq.OPERATIONS_USER]) as operations:
        channel = operations.channel()
        channel.basic_qos(prefetch_count=10)
        bodies = []
        channel.basic_consume(EVENT_LOG, lambda ch, method, props, body: bodies.append(body),
                              arguments={"x-stream-offset": "first"})
        operations.process_data_events(time_limit=2)
        assert bodies == [b'{"logged": true}']
        refusals = {
            "a department's queue": lambda ch: ch.basic_get("department.stp"),
            "declaring a queue": lambda ch: ch.queue_declare("copy-of-the-log"),
            "publishing": lambda ch: (ch.confirm_delivery(),
                                      ch.basic_publish("intake.events", "x", b"{}")),
        }
        for what, action in refusals.items():
            with pytest.raises(ChannelClosedByBroker) as closed:
                action(operations.channel())
            assert closed.value.reply_code == 403, what


def test_cli_writes_the_definitions_with_hashed_passwords(tmp_path, capsys):
    from tooling.cli import main

    passwords = tmp_path / "passwords.yml"
    passwords.write_text("stp: a-long-enough-password\n")
    output = tmp_path / "definitions.json"
    assert main(["departments", "provision", "--passwords", str(passwords), "-o", str(output)]) == 0
    users = {u["name"]: u["password_hash"] for u in json.loads(output.read_text())["users"]}
    assert len(users) == len(CATALOGUE_DEPARTMENTS) + len(rabbitmq.SYSTEM_USERS)
    salt_and_digest = base64.b64decode(users["department-stp"])
    salt = salt_and_digest[:4]
    assert rabbitmq.password_hash("a-long-enough-password", salt) == users["department-stp"]
    assert "a-long-enough-password" not in output.read_text()
    assert users["department-ca"] == ""


@pytest.mark.parametrize("content, problem", [
    ("stp: short\n", "12+ characters"),
    ("nowhere: a-long-enough-password\n", "not in the catalogue"),
    ("- just a list\n", "expected a mapping"),
])
def test_cli_refuses_a_bad_passwords_file(tmp_path, capsys, content, problem):
    from tooling.cli import main

    passwords = tmp_path / "passwords.yml"
    passwords.write_text(content)
    assert main(["departments", "provision", "--passwords", str(passwords)]) == 2
    assert problem in capsys.readouterr().err


def test_cli_refuses_an_invalid_catalogue(tmp_path, capsys):
    from tooling.cli import main

    catalogue = tmp_path / "procedures.yml"
    catalogue.write_text("version: 1\ndepartments: nothing\n")
    assert main(["departments", "provision", "--catalogue", str(catalogue)]) == 2
    assert "rejected" in capsys.readouterr().err


def test_the_monitoring_user_sees_queue_depths_and_reads_no_message(imported):
    """What KEDA does with it; and a broker that imports the definitions at boot has no other
    administrator than motcua-admin."""
    vhost, passwords = imported["vhost"], imported["passwords"]
    monitoring = imported["system_prefix"] + rabbitmq.MONITORING_USER
    admin = imported["system_prefix"] + rabbitmq.ADMIN_USER
    depth = requests.get(f"{MANAGEMENT}/api/queues/{quote(vhost, safe='')}/department.stp",
                         auth=(monitoring, passwords[rabbitmq.MONITORING_USER]))
    assert depth.status_code == 200 and depth.json()["name"] == "department.stp"
    with connect(vhost, monitoring, passwords[rabbitmq.MONITORING_USER]) as connection:
        with pytest.raises(ChannelClosedByBroker) as refused:
            connection.channel().basic_get("department.stp")
        assert refused.value.reply_code == 403
    whoami = requests.get(f"{MANAGEMENT}/api/whoami", auth=(admin, passwords[rabbitmq.ADMIN_USER]))
    assert whoami.json()["tags"] == ["administrator"]
