"""/health, /ready and /metrics answer while every worker of the service is busy: a backlog
of events takes all of them, and Kubernetes would otherwise restart a pod that is only
working (its liveness probe timing out) or a scrape would show it down. /ready says when a
migration is not applied, until it is."""
import eventlet
import pytest
import requests

from scripts.stack import ensure_database
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response
from services.common.migrations import migrate
from tests.conftest import TEST_DB_URL, connect, free_port

released = eventlet.event.Event()


class BusyService(OpsEndpoints):
    # a service whose migrations the test database has, so that /ready finds them applied
    name = "intake"
    db = Database()

    @api("GET", "/work")
    def work(self, request):
        released.wait()
        return json_response({"done": True})


@pytest.fixture
def start(container_factory, rabbit_config):
    def started(db_url):
        port = free_port()
        container = container_factory(BusyService, {
            **rabbit_config, "DB_URL": db_url, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "max_workers": 1})
        container.start()
        return f"http://127.0.0.1:{port}"

    global released
    released = eventlet.event.Event()
    yield started
    if not released.ready():  # the test failed before it let the worker finish
        released.send()


def test_probes_and_metrics_answer_while_every_worker_is_busy(start, db_url):
    busy = start(db_url)
    taking_the_worker = eventlet.spawn(requests.get, f"{busy}/work", timeout=30)
    eventlet.sleep(0.5)
    # the one worker is taken: an ordinary endpoint waits for it
    with pytest.raises(requests.Timeout):
        requests.get(f"{busy}/work", timeout=1)

    health = requests.get(f"{busy}/health", timeout=2)
    ready = requests.get(f"{busy}/ready", timeout=2)
    metrics = requests.get(f"{busy}/metrics", timeout=2)

    assert health.status_code == 200 and health.json() == {"status": "alive", "service": "intake"}
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["migrations"] == "ok"
    assert metrics.status_code == 200 and "motcua_http_requests_total" in metrics.text
    released.send()
    assert taking_the_worker.wait().json() == {"done": True}


def test_ready_says_pending_until_the_migrations_are_applied(start):
    """As when a migration of the running code has not been applied yet: its row in yoyo's
    table taken away, then given back (on a database of its own: once a process found the
    migrations applied, it does not read them again)."""
    db_url = f"{TEST_DB_URL}_ops"
    ensure_database(db_url, fresh=True)
    migrate(db_url, "intake")
    service = start(db_url)
    with connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM intake._yoyo_migration WHERE migration_id = ("
                    " SELECT max(migration_id) FROM intake._yoyo_migration) RETURNING *")
        [latest] = cur.fetchall()
    try:
        before = requests.get(f"{service}/ready", timeout=5)
    finally:
        with connect(db_url) as conn, conn.cursor() as cur:
            cur.execute(f"INSERT INTO intake._yoyo_migration ({', '.join(latest)})"
                        f" VALUES ({', '.join(['%s'] * len(latest))})", list(latest.values()))
    after = requests.get(f"{service}/ready", timeout=5)

    assert before.status_code == 503 and before.json()["checks"]["migrations"] == "pending"
    assert after.status_code == 200 and after.json()["checks"]["migrations"] == "ok"
