"""The restore drill of docs/operations.md on one machine: `motcua backup` while dossiers
flow, then the broker lost: `motcua restore` into a fresh database and a new RabbitMQ node
(tests/private_broker.py), the whole stack started on them.

At the backup, some events are still in the broker (routing is down: a backlog in its queue)
and some not yet published (intake's relay is down); both come back up after it, and the
department (the test) takes every message of the first world before that world is lost. The
restore must bring back every dossier accepted before the backup began, routed, with its
receipt and its bill once, and the department's messages on rebuilt queues with the ids the
department already had: nothing applied twice, nothing a department cannot recognise. Each run
prints the backup's size and the time the restore took (`-s`).
"""
import json
import stat
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import datetime
from urllib.parse import urlsplit

import eventlet
import pytest
import requests

from scripts.stack import Stack, ensure_database
from services.common.config import SERVICE_NAMES
from services.common.consumer import DELIVERY_LIMIT
from tests.conftest import (
    CATALOGUE,
    E2E_PORT_OFFSET,
    LOOKUP_PEPPER,
    NOTIFY_SECRET_KEY,
    ROOT,
    TEST_DB_URL,
    TOKEN_SECRET,
    connect,
    drain,
    running_stack,
    token,
    wait_for,
)
from tests.e2e.test_flow import counter_dossiers
from tests.faults import audit
from tests.private_broker import private_broker
from tooling.backup import MANIFEST_FILE, BackupError, broker, read_backup, restore, take_backup
from tooling.cli import main

pytestmark = pytest.mark.e2e

RESTORED_DB_URL = f"{TEST_DB_URL}_restored"
PACE_SECONDS = 0.05  # between one officer's submissions
RESTORED_VHOST = "motcua"
SMALL_POOLS = {"DB_POOL_SIZE": "4"}  # two stacks on a PostgreSQL the other test runs share


class Stream:
    """Counter officers submitting dossiers one after another until stopped."""

    def __init__(self, stack, dossiers):
        self.stack, self.dossiers = stack, iter(dossiers)
        self.accepted, self.stopping = [], False

    def run(self):
        session = requests.Session()
        for department, body in self.dossiers:
            if self.stopping:
                return
            response = session.post(
                self.stack.url("intake", "/api/v1/dossiers"), json=body, timeout=10,
                headers={"Authorization": "Bearer " + token("counter_officer",
                                                            department=department),
                         "Idempotency-Key": str(uuid.uuid4())})
            assert response.status_code == 201, response.text
            self.accepted.append({**response.json(), "department": department,
                                  "procedure_code": body["procedure_code"]})
            eventlet.sleep(PACE_SECONDS)

    def more(self, count):
        wanted = len(self.accepted) + count
        wait_for(lambda: len(self.accepted) >= wanted, timeout=60)


@pytest.fixture
def new_broker(tmp_path):
    """The broker the restore goes to: a new one, the first having been lost."""
    with private_broker(tmp_path / "broker", "motcua-drill") as node:
        yield node


def taken_by_departments(amqp_uri):
    """What the departments take from their queues: envelope ids by dossier code."""
    taken = {}
    for department in CATALOGUE["departments"]:
        for _, message in drain(amqp_uri, f"department.{department}", wait=0.2):
            taken.setdefault(message["dossier_code"], []).append(message["id"])
    return taken


def take_everything(amqp_uri, accepted):
    """The departments take their messages until every accepted dossier's has come."""
    taken = {}

    def complete():
        for code, ids in taken_by_departments(amqp_uri).items():
            taken.setdefault(code, []).extend(ids)
        return {a["code"] for a in accepted} <= set(taken)

    try:
        wait_for(complete, timeout=60, interval=0.5)
    except AssertionError:
        missing = {a["code"] for a in accepted} - set(taken)
        raise AssertionError(f"{len(missing)} dossiers never reached their department") from None
    return taken


def restored_codes():
    with closing(connect(RESTORED_DB_URL)) as conn, conn.cursor() as cur:
        cur.execute("SELECT code FROM intake.dossiers")
        return {row["code"] for row in cur.fetchall()}


def outboxes_empty(db_url):
    with closing(connect(db_url)) as conn, conn.cursor() as cur:
        cur.execute(" UNION ALL ".join(
            f"SELECT count(*) AS n FROM {service}.outbox WHERE published_at IS NULL"
            for service in SERVICE_NAMES))
        return all(row["n"] == 0 for row in cur.fetchall())


def test_a_backup_taken_while_dossiers_flow_restores_with_nothing_lost_or_applied_twice(
        rabbit_config, new_broker, tmp_path):
    first_world = rabbit_config["AMQP_URI"]
    started_at = time.time()
    with running_stack("restore_drill", first_world, tmp_path / "first", **SMALL_POOLS) as stack:
        stream = Stream(stack, counter_dossiers(2000, seed=43))
        submitting = eventlet.spawn(stream.run)
        stream.more(15)
        stack.kill("routing")  # what intake publishes now waits in routing's queue
        stream.more(10)
        stack.kill("intake_relay")  # what intake accepts now waits in its outbox
        stream.more(10)
        before_backup = list(stream.accepted)
        stack.cli("backup", "--output", str(tmp_path / "backups"))
        stack.restart("routing")
        stack.restart("intake_relay")
        stream.more(10)  # after the backup: beyond its recovery point
        stream.stopping = True
        submitting.wait()
        taken_before_the_loss = take_everything(first_world, stream.accepted)

    backup = next((tmp_path / "backups").iterdir())
    manifest = json.loads((backup / MANIFEST_FILE).read_text())
    ensure_database(RESTORED_DB_URL, fresh=True)  # empty, as a new server's would be
    restoring = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tooling.cli", "restore", str(backup),
         "--database", RESTORED_DB_URL, "--vhost", RESTORED_VHOST,
         "--management", new_broker.management_url,
         "--departments-since", time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                              time.gmtime(started_at))],
        cwd=ROOT, env={**stack.env, "AMQP_URI": new_broker.amqp_uri}, capture_output=True,
        text=True, timeout=120)
    restore_seconds = time.monotonic() - restoring
    assert done.returncode == 0, done.stderr
    restored = json.loads(done.stdout)
    # the scenario happened: events in routing's backlog, and rows intake had not published
    assert restored["republished"]["unconsumed"]["intake"] > 0
    assert restored["republished"]["to_publish"]["intake"] > 0

    second_world = broker.with_vhost(new_broker.amqp_uri, RESTORED_VHOST)
    with Stack(RESTORED_DB_URL, second_world, TOKEN_SECRET, tmp_path / "second",
               port_offset=E2E_PORT_OFFSET,
               extra_env={"LOOKUP_PEPPER": LOOKUP_PEPPER, "NOTIFY_SECRET_KEY": NOTIFY_SECRET_KEY,
                          **SMALL_POOLS}) as second:
        second.prepare()
        second.start()
        for dossier in before_backup:  # the citizen looks it up with the receipt's secret
            lookup = requests.get(second.url("routing", f"/api/v1/dossiers/{dossier['code']}"),
                                  params={"secret": dossier["lookup_secret"]}, timeout=5)
            assert lookup.status_code == 200, (dossier["code"], lookup.text)
        # the dossiers accepted while pg_dump started are in the backup too
        restored_dossiers = restored_codes()
        in_backup = [a for a in stream.accepted if a["code"] in restored_dossiers]
        assert {a["code"] for a in before_backup} <= {a["code"] for a in in_backup}
        with closing(connect(RESTORED_DB_URL)) as conn:
            result = audit.run(in_backup, second_world, conn, stall=30)
        wait_for(lambda: outboxes_empty(RESTORED_DB_URL), timeout=30)
        taken_after_the_restore = taken_by_departments(second_world)

    print(f"\nrestore drill: {len(before_backup)} dossiers accepted before the backup "
          f"({len(stream.accepted)} in all); backup {manifest['database']['bytes'] / 1024:.0f} KiB "
          f"of database and {manifest['broker']['bytes'] / 1024:.0f} KiB of definitions, taken in "
          f"{_seconds(manifest)} s; restore {restore_seconds:.1f} s; {audit.line(result, 0)}")
    assert result.lost == {} and result.duplicated == {}, audit.details(result)
    assert result.redelivered == 0  # each department message published once after the restore
    assert not taken_after_the_restore
    # What the department took before the loss comes again with the same id (sent again, or
    # made again by routing from the same event), which the department skips.
    for code in (d["code"] for d in in_backup):
        ids = set(taken_before_the_loss.get(code, ())) | set(result.arrived[code])
        assert len(ids) == 1, (code, ids)
    queues = new_broker.queues(RESTORED_VHOST)
    for department in CATALOGUE["departments"]:
        arguments = queues[f"department.{department}"]["arguments"]
        assert arguments["x-queue-type"] == "quorum"
        assert arguments["x-delivery-limit"] == DELIVERY_LIMIT


def _seconds(manifest):
    return round((datetime.fromisoformat(manifest["finished_at"])
                  - datetime.fromisoformat(manifest["taken_at"])).total_seconds(), 1)


def test_a_backup_is_private_and_refused_when_altered_or_aimed_at_a_database_in_use(
        db, db_url, rabbit_config, tmp_path):
    backup = take_backup(tmp_path, db_url, rabbit_config["AMQP_URI"])
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in backup.iterdir()} == {0o600}
    assert read_backup(backup)["database"]["name"] == urlsplit(db_url).path.lstrip("/")
    with pytest.raises(BackupError, match="already holds .*intake"):
        restore(backup, db_url, rabbit_config["AMQP_URI"])
    dump = backup / "database.dump"
    data = dump.read_bytes()
    dump.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        read_backup(backup)


def test_restore_asks_for_a_backup_or_recovered_not_both(capsys):
    assert main(["restore"]) == 2
    assert main(["restore", "somewhere", "--recovered"]) == 2
    assert "--recovered" in capsys.readouterr().err
