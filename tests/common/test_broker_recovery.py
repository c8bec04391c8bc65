"""The services and relays, running as processes, get their broker connections back by
themselves: after every AMQP connection of their virtual host is closed, and after RabbitMQ
is restarted. No proxy in between and no process restarted. While a connection is down the
process says so (/ready 503 naming the broker, `motcua_broker_connected` 0); within
RECOVERY_SECONDS of the broker being usable again every service is ready, and a dossier
submitted then reaches its department's queue (routing consumed it and routing's relay
published) and every consumer of `dossier.received` records it."""
import json
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from services.common.config import SERVICE_NAMES
from tests.conftest import connect, dossier_body, drain, procedure, query, running_stack, token

pytestmark = pytest.mark.e2e

RECOVERY_SECONDS = 30
DEPARTMENT = "stp"
# Every consumer of dossier.received records the envelope id in its own table.
RECEIVED_BY = ("routing", "notify", "payment", "postal", "nationalportal", "docstore")


@pytest.fixture
def stack(rabbit_config, tmp_path):
    with running_stack("broker_recovery", rabbit_config["AMQP_URI"], tmp_path / "logs",
                       NOTIFY_QUIET_HOURS="") as running:
        yield running


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)


def relays(stack):
    return [name for name in stack.commands if name.endswith("_relay")]


def readiness(stack, service):
    """(status, broker check) of the service's /ready; (None, None) if it does not answer."""
    try:
        response = requests.get(stack.url(service, "/ready"), timeout=2)
    except requests.RequestException:
        return None, None
    return response.status_code, response.json()["checks"]["broker"]


def broker_connected(stack, name):
    """`motcua_broker_connected` of a service or relay process (None if not scraped)."""
    try:
        text = requests.get(f"http://127.0.0.1:{stack.port_of(name)}/metrics", timeout=2).text
    except requests.RequestException:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "motcua_broker_connected":
                return sample.value
    return None


def poll(predicate, timeout, interval=0.2):
    """The predicate's first true result within `timeout` seconds, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


def broker_users(stack):
    """The services with a broker connection: all but those whose check says "not used" (the
    desk: HTTP pages only)."""
    return [service for service in SERVICE_NAMES if readiness(stack, service)[1] != "not used"]


def all_disconnected(stack):
    """Every service with a broker connection answers 503 with its broker check saying since
    when it is down, and every such process's gauge says 0."""
    users = broker_users(stack)
    services = [readiness(stack, service) for service in users]
    if not all(status == 503 and check.startswith("disconnected for") for status, check
               in services):
        return False
    return all(broker_connected(stack, name) == 0 for name in (*users, *relays(stack)))


def not_connected(stack):
    """The services whose /ready is not 200 (with what it answered) and the relays whose
    own broker connection is not up."""
    services = {service: readiness(stack, service) for service in SERVICE_NAMES}
    return ([f"{service} ({status}: {check})" for service, (status, check) in services.items()
             if status != 200]
            + [name for name in relays(stack) if broker_connected(stack, name) != 1])


def all_connected(stack):
    return not not_connected(stack)


def submit(stack):
    response = requests.post(
        stack.url("intake", "/api/v1/dossiers"), json=dossier_body(procedure(DEPARTMENT)),
        headers={"Authorization": "Bearer " + token("counter_officer", department=DEPARTMENT)},
        timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["code"]


def delivered_everywhere(stack, amqp_uri, db, code, on_queue):
    """True once the dossier is on its department's queue and every consumer recorded its
    dossier.received envelope."""
    on_queue.update(message["dossier_code"] for _, message
                    in drain(amqp_uri, f"department.{DEPARTMENT}", wait=0.1))
    if code not in on_queue:
        return False
    envelope = query(db, "SELECT id FROM intake.outbox WHERE body->>'dossier_code' = %s", (code,))
    return all(query(db, f"SELECT 1 FROM {schema}.processed_messages WHERE message_id = %s",
                     (envelope[0]["id"],)) for schema in RECEIVED_BY)


def recovery_seconds(stack, amqp_uri, db, since):
    """Seconds from `since` until every process is connected again and a dossier submitted
    then has gone everywhere; fails after RECOVERY_SECONDS."""
    assert poll(lambda: all_connected(stack), RECOVERY_SECONDS), (
        f"not every service and relay is connected {RECOVERY_SECONDS} s after the broker came "
        f"back: {[readiness(stack, s) for s in SERVICE_NAMES]}; see {stack.log_dir}")
    code, on_queue = submit(stack), set()
    remaining = RECOVERY_SECONDS - (time.monotonic() - since)
    assert poll(lambda: delivered_everywhere(stack, amqp_uri, db, code, on_queue), remaining), (
        f"dossier {code} submitted after recovery did not reach its department's queue and "
        f"every consumer within {RECOVERY_SECONDS} s; see {stack.log_dir}")
    return time.monotonic() - since


def logged(stack, name, message):
    """How many times a process logged this message (its log is JSON lines)."""
    lines = (stack.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
    return sum(1 for line in lines if line.startswith("{") and json.loads(line)["message"] == message)


def test_services_and_relays_get_their_broker_connections_back(stack, rabbit_config):
    amqp_uri, vhost = rabbit_config["AMQP_URI"], rabbit_config["vhost"]
    db = connect(stack.env["DB_URL"])
    db.autocommit = True
    assert poll(lambda: all_connected(stack), 10)
    processes = [*broker_users(stack), *relays(stack)]

    # (a) every connection of the stack's virtual host closed by the broker (without --vhost
    # rabbitmqctl closes those of "/" only); they reconnect at once, too fast to see a 503
    rabbitmqctl("close_all_connections", "--vhost", vhost, "broker recovery test")
    closed_at = time.monotonic()
    took = recovery_seconds(stack, amqp_uri, db, closed_at)
    print(f"\nall AMQP connections closed: everything consuming and publishing again "
          f"{took:.1f} s later")
    assert [name for name in processes if not logged(stack, name, "broker connection lost")] == []

    # (b) RabbitMQ stopped, then started again
    rabbitmqctl("stop_app")
    try:
        seen_down = poll(lambda: all_disconnected(stack), 15)
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
    back_at = time.monotonic()
    assert seen_down, "/ready and the gauges did not all say the broker was down while it was"
    took = recovery_seconds(stack, amqp_uri, db, back_at)
    print(f"RabbitMQ restarted: everything consuming and publishing again {took:.1f} s after "
          "it was up")
    assert [name for name in processes if logged(stack, name, "broker connection back") < 2] == []
    db.close()
