# eventlet must patch the standard library before anything else imports it (nameko's tests).
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
from collections import Counter  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import pika  # noqa: E402
import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from psycogreen.eventlet import patch_psycopg  # noqa: E402

from scripts.stack import Stack, ensure_database  # noqa: E402
from services.common import lookup  # noqa: E402
from services.common.auth import issue_token  # noqa: E402
from services.common.config import SERVICE_NAMES, load_config  # noqa: E402
from services.common.events import now  # noqa: E402
from services.common.migrations import migrate  # noqa: E402
from services.common.relay import Relay  # noqa: E402
from services.intake.catalogue import read_catalogue  # noqa: E402
from services.intake.service import IntakeService  # noqa: E402
from services.intake.store import save_catalogue  # noqa: E402
from services.routing.service import RoutingService  # noqa: E402
from tests.vhosts import SharedVhost  # noqa: E402
from tooling.relays import confirmed_event_observer  # noqa: E402

patch_psycopg()

# `make test` (scripts/run_tests.sh) runs the tests that start no stack of processes in shards
# at once, MOTCUA_SHARD=k/n: each a share of the test modules, on a database of its own.
SHARD = os.environ.get("MOTCUA_SHARD", "")
# Two checkouts on one machine test side by side when each sets its own database.
TEST_DB_URL = os.environ.get(
    "MOTCUA_TEST_DB", "postgresql://postgres@127.0.0.1:5432/motcua_test"
    + (f"_shard{SHARD.partition('/')[0]}" if SHARD else ""))
TOKEN_SECRET = secrets.token_urlsafe(32)
LOOKUP_PEPPER = secrets.token_urlsafe(32)
NOTIFY_SECRET_KEY = Fernet.generate_key().decode()
CATALOGUE = read_catalogue()
# Reference data loaded once per session; every other table of every service is emptied.
KEPT_TABLES = {"intake.procedures", "intake.departments", "intake.centers"}


# Ports of a whole stack under test: DESIGN.md's plus this offset (another checkout sets its own).
E2E_PORT_OFFSET = int(os.environ.get("MOTCUA_E2E_PORT_OFFSET", "200"))


@contextmanager
def running_stack(name, amqp_uri, log_dir, **env):
    """The Procfile's services and relays as processes, ready, on a fresh database of their own
    (`<test database>_<name>`, or MOTCUA_E2E_DB) and the given RabbitMQ virtual host."""
    db_url = os.environ.get("MOTCUA_E2E_DB") or f"{TEST_DB_URL}_{name}"
    ensure_database(db_url, fresh=True)
    keys = {"LOOKUP_PEPPER": LOOKUP_PEPPER, "NOTIFY_SECRET_KEY": NOTIFY_SECRET_KEY}
    with Stack(db_url, amqp_uri, TOKEN_SECRET, log_dir, port_offset=E2E_PORT_OFFSET,
               extra_env={**keys, **env}) as stack:
        stack.prepare()
        stack.start()
        yield stack


@pytest.fixture(scope="session")
def db_url():
    ensure_database(TEST_DB_URL, fresh=True)
    for service in SERVICE_NAMES:
        migrate(TEST_DB_URL, service)
    with connect(TEST_DB_URL) as conn, conn.cursor() as cur:
        save_catalogue(cur, CATALOGUE)
    return TEST_DB_URL


def connect(db_url):
    return psycopg2.connect(db_url, cursor_factory=psycopg2.extras.RealDictCursor)


@pytest.fixture
def db(db_url):
    """A connection to the test database, emptied of dossiers before the test."""
    conn = connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        holding = tables_holding_rows(cur, tables_to_clean(cur))
        if holding:  # CASCADE: an empty table that references one of them goes with it
            cur.execute(f"TRUNCATE {', '.join(holding)} CASCADE")
    yield conn
    conn.close()


def tables_to_clean(cur):
    cur.execute(
        "SELECT schemaname || '.' || tablename AS name FROM pg_tables"
        " WHERE schemaname = ANY(%s) AND tablename NOT LIKE '%%yoyo%%'",
        (list(SERVICE_NAMES),),
    )
    return [row["name"] for row in cur.fetchall() if row["name"] not in KEPT_TABLES]


def tables_holding_rows(cur, tables):
    """Those of `tables` with a row: a test touches a few, and emptying every table of every
    service takes seconds where finding the few takes milliseconds."""
    cur.execute(" UNION ALL ".join(f"(SELECT %s AS name FROM {table} LIMIT 1)"
                                   for table in tables), tables)
    return [row["name"] for row in cur.fetchall()]


def query(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def free_ports(count):
    """`count` distinct free TCP ports of 127.0.0.1: all bound at once, so none repeats."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def free_port():
    return free_ports(1)[0]


@pytest.fixture
def config_for(db, db_url, rabbit_config):
    """The service's own config.yml, pointed at the test database and vhost."""

    def build(service, **overrides):
        config = load_config(service)
        config.update(
            AMQP_URI=rabbit_config["AMQP_URI"],
            DB_URL=db_url,
            TOKEN_SECRET=TOKEN_SECRET,
            LOOKUP_PEPPER=LOOKUP_PEPPER,
            NOTIFY_SECRET_KEY=NOTIFY_SECRET_KEY,
            WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}",
            HANDLER_FIRST_BACKOFF_MS=50,
        )
        config.update(overrides)
        return config

    return build


def shared_vhost(request, rabbit_manager, with_topology):
    vhost = SharedVhost(rabbit_manager, request.config.getoption("RABBIT_AMQP_URI"),
                        with_topology)
    vhost.create()
    yield vhost
    vhost.delete()


@pytest.fixture(scope="session")
def topology_vhost(request, rabbit_manager):
    yield from shared_vhost(request, rabbit_manager, with_topology=True)


@pytest.fixture(scope="session")
def bare_vhost(request, rabbit_manager):
    yield from shared_vhost(request, rabbit_manager, with_topology=False)


@pytest.fixture
def rabbit_config(request):
    """Replaces nameko's fixture (a fresh virtual host per test): the tests share two, one
    with the deployment's topology for the tests asking for it, emptied before each
    (tests/vhosts.py)."""
    shared = request.getfixturevalue(
        "topology_vhost" if "topology" in request.fixturenames else "bare_vhost")
    shared.empty()
    return shared.config


@pytest.fixture
def topology(rabbit_config):
    """Queues and bindings as a deployment declares them."""
    return rabbit_config["AMQP_URI"]


@pytest.fixture
def intake_and_routing(container_factory, config_for, client_for, topology, relays):
    """intake and routing with their relays: (intake client, routing client, AMQP URI)."""
    intake_config, routing_config = config_for("intake"), config_for("routing")
    container_factory(IntakeService, intake_config).start()
    container_factory(RoutingService, routing_config).start()
    relays("intake", "routing")
    return client_for(intake_config), client_for(routing_config), topology


@pytest.fixture
def relays(db_url, rabbit_config):
    """Outbox relays running in green threads: relays('intake', 'routing')."""
    running = []

    def start(*services):
        for service in services:
            relay = Relay(service, db_url, rabbit_config["AMQP_URI"],
                          on_confirmed=confirmed_event_observer(service))
            running.append((relay, eventlet.spawn(relay.run)))

    yield start
    for relay, _ in running:
        relay.stopping = True
    for _, thread in running:
        thread.wait()


class Client:
    """A small HTTP client for a service under test (nameko's web_session breaks on Werkzeug 3)."""

    def __init__(self, address):
        self.base = f"http://{address}"
        self.session = requests.Session()

    def request(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=10,
                                    **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)


@pytest.fixture
def client_for():
    return lambda config: Client(config["WEB_SERVER_ADDRESS"])


def local_today():
    """The center's date: months and days in reports and delegations are Vietnamese, and
    from 17:00 UTC they are a day ahead of the machine's."""
    return now().date()


def token(role, **scope):
    return issue_token(TOKEN_SECRET, role, **scope)


def procedure(department=None, channel="counter", cooperating=None):
    """A catalogue procedure matching the criteria."""
    for proc in CATALOGUE["procedures"].values():
        if department and proc["department"] != department:
            continue
        if channel not in proc["channels"]:
            continue
        if cooperating is not None and bool(proc["cooperating"]) != cooperating:
            continue
        return proc
    raise LookupError(f"no procedure for {department} {channel}")


def lookup_fields(secret):
    """What dossier.received carries of a lookup secret, made with the tests' keys."""
    return {"lookup_proof": lookup.proof(LOOKUP_PEPPER, secret),
            "lookup_secret_for_notify": lookup.seal(Fernet(NOTIFY_SECRET_KEY), secret)}


def competent(proc, pick=0):
    """The agency that decides a dossier of `proc`: its department, or (a commune-level
    procedure) one of its competent agencies."""
    agencies = proc["competent_agencies"]
    return proc["department"] or agencies[pick % len(agencies)]


def dossier_body(proc, **overrides):
    """A valid dossier of `proc` (of its first competent agency, for a commune-level one)."""
    body = {
        "procedure_code": proc["code"],
        "applicant": {
            "full_name": "Trần Thị Bích Ngọc",
            "citizen_id": "079190001234",
            "phone": "0912345678",
            "email": "ngoc.tran@example.vn",
            "address": "25 Nguyễn Huệ, phường Sài Gòn, TP. Hồ Chí Minh",
        },
        "documents": [{"key": d["key"]} for d in proc["documents"] if d["mandatory"]],
    }
    if not proc["department"]:
        body["agency"] = competent(proc)
    body.update(overrides)
    return body


def drain(amqp_uri, queue, wait=0.5):
    """Every message now on a queue, acked (as a department would take them)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    messages, idle_since = [], None
    try:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                idle_since = idle_since or eventlet.hubs.get_hub().clock()
                if eventlet.hubs.get_hub().clock() - idle_since > wait:
                    return messages
                eventlet.sleep(0.05)
                continue
            idle_since = None
            messages.append((properties, json.loads(body)))
            channel.basic_ack(method.delivery_tag)
    finally:
        connection.close()


def wait_for(predicate, timeout=15, interval=0.1):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while eventlet.hubs.get_hub().clock() < deadline:
        result = predicate()
        if result:
            return result
        eventlet.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


ROOT = Path(__file__).resolve().parent.parent


FUZZ_CASES = {}


def count_fuzz_case(kind):
    """Fuzzing tests count their generated cases; the summary prints them."""
    FUZZ_CASES[kind] = FUZZ_CASES.get(kind, 0) + 1


# The desk's pages axe-core checked (tests/browser): {page: [violations]}
AXE_RESULTS = {}


def pytest_collection_modifyitems(config, items):
    """MOTCUA_SHARD=k/n keeps the k-th share of the test modules, whole (a module's fixtures
    are set up in one shard only): the modules, most tests first, each to the share holding
    the fewest tests so far."""
    if not SHARD:
        return
    index, count = shard_of(SHARD)
    tests = Counter(module_of(item) for item in items)
    shares = [[] for _ in range(count)]
    for module in sorted(tests, key=lambda m: (-tests[m], m)):
        min(shares, key=lambda share: sum(tests[m] for m in share)).append(module)
    mine = set(shares[index - 1])
    kept, others = [], []
    for item in items:
        (kept if module_of(item) in mine else others).append(item)
    config.hook.pytest_deselected(items=others)
    items[:] = kept


def module_of(item):
    return item.nodeid.partition("::")[0]


def shard_of(text):
    match = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", text)
    if not match or int(match[1]) > int(match[2]):
        raise pytest.UsageError(f"MOTCUA_SHARD={text!r}: give k/n with 1 <= k <= n, e.g. 1/2")
    return int(match[1]), int(match[2])


def pytest_terminal_summary(terminalreporter):
    if AXE_RESULTS:
        found = [v for violations in AXE_RESULTS.values() for v in violations]
        impacts = ", ".join(f"{impact} {sum(v['impact'] == impact for v in found)}"
                            for impact in ("critical", "serious", "moderate", "minor"))
        terminalreporter.write_line(f"axe-core: {len(AXE_RESULTS)} desk pages checked, "
                                    f"{len(found)} violations ({impacts})")
    if FUZZ_CASES:
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(FUZZ_CASES.items()))
        terminalreporter.write_line(f"fuzz cases run: {sum(FUZZ_CASES.values())} ({counts})")


def publish_envelope(amqp_uri, envelope, exchange=None, routing_key=None):
    """An event as a relay publishes it: by default on its source's exchange with its type as
    routing key."""
    publish_all(amqp_uri, [envelope],
                exchange if exchange is not None else f"{envelope['source']}.events",
                routing_key or envelope["type"])


def publish_all(amqp_uri, envelopes, exchange="intake.events", routing_key="dossier.received"):
    """Envelopes published as a busy relay publishes them: persistent, confirmed, mandatory,
    back to back on one connection."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for envelope in envelopes:
            channel.basic_publish(
                exchange, routing_key, json.dumps(envelope).encode(),
                pika.BasicProperties(content_type="application/json", delivery_mode=2),
                mandatory=True)
    finally:
        connection.close()


# Words of an English sentence that a Vietnamese message never needs (a field name such as
# `valid_from` does not match: `_` joins it into one word).
ENGLISH_WORDS = re.compile(
    r"\b(must|not|missing|unknown|invalid|length|valid|is|are|the|field|required|may|"
    r"only|exceeds|than|between|one of|such|no|give|try|again|request|body|too|"
    r"shorter|longer|greater|less|equal|number|string|date|type|list|input|cannot|"
    r"should|already|does|with|without|for|this)\b",
    re.IGNORECASE)


def english_words_in(text):
    """The English words of a message, outside its format variables ({min}, {input}...)."""
    return ENGLISH_WORDS.findall(re.sub(r"\{[^{}]*\}", "", text))
