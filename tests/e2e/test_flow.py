"""The whole stack as processes (the Procfile's services and relays), over HTTP and queues."""
import collections
import json
import random
import threading
import time

import pytest
import requests

from tests.conftest import (
    CATALOGUE,
    competent,
    dossier_body,
    drain,
    running_stack,
    token,
    wait_for,
)

pytestmark = pytest.mark.e2e

SETTLE_SECONDS = 3.0  # after the last expected arrival, keep draining for late duplicates


@pytest.fixture
def stack(rabbit_config, tmp_path):
    with running_stack("e2e", rabbit_config["AMQP_URI"], tmp_path / "logs") as running:
        yield running


def counter_dossiers(count, seed=7):
    """(department, body) pairs across the catalogue, with distinct applicants; a
    commune-level procedure's dossier names one of its competent agencies (its department)."""
    rng = random.Random(seed)
    procedures = [p for p in CATALOGUE["procedures"].values() if "counter" in p["channels"]]
    for n in range(count):
        proc = rng.choice(procedures)
        department = competent(proc, rng.randrange(10))
        body = dossier_body(proc, **({} if proc["department"] else {"agency": department}))
        body["applicant"] = dict(body["applicant"], citizen_id=f"0011{n:08d}",
                                 phone=f"09{n:08d}")
        yield department, body


def submit(stack, department, body):
    response = requests.post(
        stack.url("intake", "/api/v1/dossiers"), json=body, timeout=10,
        headers={"Authorization": "Bearer " + token("counter_officer", department=department)},
    )
    assert response.status_code == 201, response.text
    return response.json()


def collect(amqp_uri, departments, expected, settle=SETTLE_SECONDS):
    """Drain department queues until `expected` dossiers arrived, then `settle` seconds more
    so that a late second copy is caught too; returns the ids of `dossier.assigned` envelopes
    by dossier code (a same-day dossier's `dossier.due_soon` may follow on the same queue)."""
    seen = collections.defaultdict(list)

    def arrived():
        for department in departments:
            for _, message in drain(amqp_uri, f"department.{department}", wait=0.1):
                if message["type"] == "dossier.assigned":
                    seen[message["dossier_code"]].append(message["id"])
        return len(seen) >= expected

    wait_for(arrived, timeout=90, interval=0.2)
    settled = time.monotonic() + settle
    while time.monotonic() < settled:
        arrived()
    return seen


def test_dossiers_submitted_over_http_reach_their_queues_once_and_show_in_lookup(stack,
                                                                                 rabbit_config):
    submitted = [submit(stack, dept, body) for dept, body in counter_dossiers(30)]
    seen = collect(rabbit_config["AMQP_URI"], CATALOGUE["departments"], len(submitted))
    assert sorted(seen) == sorted(d["code"] for d in submitted)
    assert all(len(ids) == 1 for ids in seen.values())
    first = submitted[0]
    lookup = requests.get(stack.url("routing", f"/api/v1/dossiers/{first['code']}"),
                          params={"secret": first["lookup_secret"]}, timeout=5).json()
    assert lookup["status"] == "assigned" and lookup["due_date"] == first["due_at"]
    logs = "".join(p.read_text(errors="replace") for p in stack.log_dir.glob("*.log"))
    received = [json.loads(line.split("| ", 1)[-1]) for line in logs.splitlines()
                if '"dossier received"' in line]
    assert len(received) == 30 and all(r.get("correlation_id") for r in received)
    for _, body in counter_dossiers(30):
        assert body["applicant"]["citizen_id"] not in logs
        assert body["applicant"]["phone"] not in logs


def test_routing_killed_mid_stream_loses_and_duplicates_nothing(stack, rabbit_config):
    """kill -9 of routing while dossiers flow; restarted, every dossier arrives exactly once."""
    submitted, errors = [], []
    dossiers = list(counter_dossiers(300, seed=11))

    def stream(part):
        for department, body in part:
            try:
                submitted.append(submit(stack, department, body))
            except AssertionError as exc:
                errors.append(exc)

    writers = [threading.Thread(target=stream, args=(dossiers[i::4],)) for i in range(4)]
    for writer in writers:
        writer.start()
    wait_for(lambda: len(submitted) > 60, timeout=60)
    stack.kill("routing")
    wait_for(lambda: len(submitted) > 150, timeout=60)
    stack.restart("routing")
    for writer in writers:
        writer.join()
    assert not errors
    seen = collect(rabbit_config["AMQP_URI"], CATALOGUE["departments"], len(submitted))
    lost = {d["code"] for d in submitted} - set(seen)
    duplicated = {code: ids for code, ids in seen.items() if len(ids) > 1}
    print(f"accepted={len(submitted)} lost={len(lost)} duplicated={len(duplicated)} faults=1")
    assert not lost and not duplicated
    assert len(seen) == len(submitted) == 300
