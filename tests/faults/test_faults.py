"""Fault injection with an exactly-once audit.

A stream of dossiers goes through the whole stack (the Procfile's processes) while faults
are injected one after another; after each, every service must be connected to the broker
again within RECOVERY_SECONDS (a service's /ready and a relay's `motcua_broker_connected`
report their own connections), and the time it took is printed. Afterwards the audit
compares every accepted dossier (each 201) with what exists downstream and prints
`accepted=N lost=0 duplicated=0 faults=K`, then how many receipt SMS went twice to the
gateway and how many reached the SMSC twice.

`make test` runs a reduced stream; `make test-faults` runs 5,000 dossiers. Settings:
MOTCUA_FAULT_DOSSIERS (how many), MOTCUA_FAULTS (comma-separated kinds, default all).
"""
import os
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import eventlet
import pytest
import requests

from scripts.stack import Stack, ensure_database
from tests.common.test_broker_recovery import all_connected, not_connected, poll
from tests.conftest import TOKEN_SECRET, connect, token, wait_for
from tests.e2e.test_flow import counter_dossiers
from tests.faults import audit
from tests.faults.proxy import FaultyProxy
from tests.notify.gateway_proxy import GatewayProxy, handed_texts
from tests.notify.notify_gateways import Kannel

pytestmark = pytest.mark.faults

DOSSIERS = int(os.environ.get("MOTCUA_FAULT_DOSSIERS", "300"))
KINDS = os.environ.get("MOTCUA_FAULTS", "all")
FAULTS_DB_URL = os.environ.get("MOTCUA_FAULTS_DB", "postgresql://postgres@127.0.0.1:5432/motcua_faults")
PORT_OFFSET = int(os.environ.get("MOTCUA_FAULTS_PORT_OFFSET", "800"))
SUBMITTERS = 6
GIVE_UP_AFTER = 180  # seconds a single submission may keep being retried through faults
RECOVERY_SECONDS = 30  # after a fault is lifted, until every service is connected again
SEND_LEASE_SECONDS = 20
HELD_DOSSIERS = 5  # submitted while Kannel's answers are held


def through(proxy, amqp_uri):
    parts = urllib.parse.urlsplit(amqp_uri)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def proxy():
    running = FaultyProxy(5672)
    yield running
    running.close()


@pytest.fixture
def kannel(tmp_path):
    """The real SMS gateway (bearerbox, smsbox, the fake SMSC); .ci/run installs it."""
    (tmp_path / "kannel").mkdir()
    gateway = Kannel(tmp_path / "kannel")
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def gateway(kannel, tmp_path):
    """notify's links with Kannel through a proxy that can hold Kannel's answers and keep
    the delivery reports away; it notes every SMS handed to Kannel."""
    running = GatewayProxy(kannel.sendsms_url, f"http://127.0.0.1:{8003 + PORT_OFFSET}",
                           handed_file=tmp_path / "kannel-handed.jsonl")
    running.handed = lambda: handed_texts(tmp_path / "kannel-handed.jsonl")
    yield running
    running.close()


@pytest.fixture
def stack(rabbit_config, proxy, kannel, gateway, tmp_path):
    ensure_database(FAULTS_DB_URL, fresh=True)
    amqp_uri = rabbit_config["AMQP_URI"]
    sms_gateway = {
        "KANNEL_SENDSMS_URL": gateway.sendsms_url, "KANNEL_USERNAME": kannel.username,
        "KANNEL_PASSWORD": kannel.password, "NOTIFY_DLR_SECRET": "dlr-" + "x" * 20,
        "NOTIFY_PUBLIC_URL": gateway.dlr_url, "NOTIFY_QUIET_HOURS": "",
        # a gateway back after a few seconds is tried again within seconds, not minutes
        "NOTIFY_RETRY_FIRST_SECONDS": "2", "NOTIFY_RETRY_MAX_SECONDS": "8",
        # a sender killed mid-batch leaves its claimed rows `sending`: small batches, short
        # lease, and a window for Kannel's reports (retried every 3 s) to settle them
        "NOTIFY_SEND_BATCH": "20", "NOTIFY_SEND_CONCURRENCY": "20",
        "NOTIFY_SEND_LEASE_SECONDS": str(SEND_LEASE_SECONDS),
        "NOTIFY_ACCEPTANCE_WINDOW_SECONDS": "30",
    }
    # nationalportal: a portal back, or a process killed mid-send, is caught up within seconds
    portal_sync = {"PORTAL_PUSH_SECONDS": "0.5", "PORTAL_BACKOFF_FIRST_SECONDS": "0.5",
                   "PORTAL_BACKOFF_MAX_SECONDS": "4", "PORTAL_BREAKER_SECONDS": "2",
                   "PORTAL_LEASE_SECONDS": "10", "PORTAL_TIMEOUT_SECONDS": "5"}
    # routing talks to the broker through the proxy, so the broker link can be slowed or cut.
    with Stack(FAULTS_DB_URL, amqp_uri, TOKEN_SECRET, tmp_path / "logs", port_offset=PORT_OFFSET,
               extra_env={**sms_gateway, **portal_sync},
               process_env={"routing": {"AMQP_URI": through(proxy, amqp_uri)}}) as running:
        running.prepare()
        running.start()
        yield running


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)


def postgres_cluster():
    version = sorted(Path("/etc/postgresql").iterdir())[0].name
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def fault_catalogue(stack, proxy, kannel, gateway, stream, vhost):
    """name → action; each action returns once the fault has been injected and lifted."""

    def kill(name):
        def action():
            stack.kill(name)
            eventlet.sleep(1)
            stack.restart(name)
        return action

    def proxy_fault(mode):
        def action():
            proxy.set(mode)
            eventlet.sleep(4)
            proxy.set("pass")
        return action

    def restart_rabbitmq():
        rabbitmqctl("stop_app")
        eventlet.sleep(1)
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")

    def restart_postgres():
        subprocess.run([*postgres_cluster(), "restart", "-m", "fast"], check=True, timeout=120,
                       stdout=subprocess.DEVNULL)

    def sms_gateway_down():
        kannel.stop()
        eventlet.sleep(5)
        kannel.start()

    def notify_killed_between_acceptance_and_record():
        """Kannel has accepted SMS (they reach the SMSC) whose answers notify never gets: it
        is killed first. Their reports, which Kannel tries again every few seconds, reach
        the notify that is started again, as they would after a crash."""
        gateway.set("sendsms", "hold")
        gateway.set("dlr", "down")  # no report settles them before the kill
        held = gateway.held()
        # dossiers of its own, so that receipts are being sent whenever it comes
        submitting = eventlet.spawn(stream.submit_more, counter_dossiers(HELD_DOSSIERS, seed=31))
        wait_for(lambda: gateway.held() > held, timeout=60)
        eventlet.sleep(0.5)  # more of the batch accepted meanwhile
        stack.kill("notify")
        gateway.set("sendsms", "pass")
        stack.restart("notify")
        gateway.set("dlr", "pass")
        submitting.wait()

    def portal(switches, seconds):
        def action():
            requests.post(f"{stack.portal_url}/_control/faults", json=switches,
                          timeout=10).raise_for_status()
            eventlet.sleep(seconds)
            requests.post(f"{stack.portal_url}/_control/faults", json={},
                          timeout=10).raise_for_status()
        return action

    # the fake DVCQG stands for the national portal, whose data a kill would not lose
    faults = {f"kill -9 {name}": kill(name) for name in stack.commands if name != "dvcqg"}
    faults.update({
        # without --vhost only the connections of the default virtual host would be closed
        "amqp connections closed": lambda: rabbitmqctl("close_all_connections", "--vhost",
                                                       vhost, "fault test"),
        "sms gateway down": sms_gateway_down,
        "notify killed between the sms gateway's acceptance and its record":
            notify_killed_between_acceptance_and_record,
        "broker link slow (proxy)": proxy_fault("slow"),
        "broker link dead (proxy)": proxy_fault("dead"),
        "rabbitmq restarted": restart_rabbitmq,
        "postgresql restarted": restart_postgres,
        # DVCQG answers 500 for a while, then forgets every session in the middle of a batch
        "portal down for a while": portal({"error500": True}, 8),
        "session expired mid-batch": portal({"expire_sessions": 1}, 2),
    })
    return faults


def chosen(faults):
    if KINDS == "all":
        return faults
    wanted = [kind.strip() for kind in KINDS.split(",")]
    return {name: action for name, action in faults.items()
            if any(kind in name.replace(" ", "_").lower() or kind in name for kind in wanted)}


class Stream:
    """Submitting threads: each dossier is retried with its Idempotency-Key until accepted."""

    def __init__(self, stack, dossiers):
        self.stack, self.pending = stack, list(dossiers)
        self.submitted = len(self.pending)
        self.accepted, self.rejected, self.retries, self.replayed = [], [], 0, 0

    def run(self):
        threads = [eventlet.spawn(self._submit_all, self.pending[i::SUBMITTERS])
                   for i in range(SUBMITTERS)]
        for thread in threads:
            thread.wait()

    def _submit_all(self, part):
        session = requests.Session()
        for department, body in part:
            self._submit(session, department, body)

    def submit_more(self, dossiers):
        """Dossiers beyond the stream's, submitted one after another (a fault's own)."""
        dossiers = list(dossiers)
        self.submitted += len(dossiers)
        self._submit_all(dossiers)

    def _submit(self, session, department, body):
        headers = {"Authorization": "Bearer " + token("counter_officer", department=department),
                   "Idempotency-Key": str(uuid.uuid4())}
        give_up = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < give_up:
            try:
                response = session.post(self.stack.url("intake", "/api/v1/dossiers"), json=body,
                                        headers=headers, timeout=10)
            except requests.RequestException:
                response = None
            # 200 is the replay of an earlier attempt whose answer was lost in a fault.
            if response is not None and response.status_code in (200, 201):
                self.accepted.append({**response.json(), "department": department,
                                      "procedure_code": body["procedure_code"]})
                self.replayed += response.status_code == 200
                return
            if response is not None and response.status_code < 500:
                self.rejected.append((response.status_code, response.text))
                return
            self.retries += 1
            eventlet.sleep(0.3)
        self.rejected.append(("gave up", body["procedure_code"]))


def seconds_until_connected(stack, fault):
    """Seconds until every service answers /ready (its own broker connection consuming, its
    database reachable) and every relay's own broker connection is up; fails past
    RECOVERY_SECONDS."""
    started = time.monotonic()
    assert poll(lambda: all_connected(stack), RECOVERY_SECONDS), (
        f"not connected {RECOVERY_SECONDS} s after {fault!r} was lifted: "
        f"{', '.join(not_connected(stack))}; see {stack.log_dir}")
    return time.monotonic() - started


def test_no_dossier_lost_or_duplicated_through_faults(stack, proxy, kannel, gateway,
                                                      rabbit_config):
    started = time.monotonic()
    stream = Stream(stack, counter_dossiers(DOSSIERS, seed=29))
    faults = chosen(fault_catalogue(stack, proxy, kannel, gateway, stream,
                                    rabbit_config["vhost"]))
    submitting = eventlet.spawn(stream.run)
    injected, recovery = [], {}
    for n, (name, action) in enumerate(faults.items(), start=1):
        threshold = DOSSIERS * n // (len(faults) + 1)
        wait_for(lambda: len(stream.accepted) >= threshold or submitting.dead,  # noqa: B023
                 timeout=GIVE_UP_AFTER)
        action()
        injected.append(name)
        recovery[name] = seconds_until_connected(stack, name)
    submitting.wait()
    assert not stream.rejected, stream.rejected[:5]
    assert all(a["receipt_url"] == f"/api/v1/dossiers/{a['code']}/receipt" for a in stream.accepted)

    submitted = time.monotonic()
    with connect(FAULTS_DB_URL) as conn:
        result = audit.run(stream.accepted, rabbit_config["AMQP_URI"], conn,
                           sms_sent=gateway.handed, sms_received=kannel.received)
    print(f"\nfaults injected: {', '.join(injected)}; submissions retried: {stream.retries}, "
          f"answered by an idempotent replay: {stream.replayed}; submitting took "
          f"{submitted - started:.0f} s, everything downstream {time.monotonic() - submitted:.0f} s later")
    slowest = max(recovery, key=recovery.get)
    print(f"every service connected again after each fault within {recovery[slowest]:.1f} s "
          f"(slowest: {slowest}; limit {RECOVERY_SECONDS} s)")
    portal = audit.portal_run(stream.accepted, lambda: requests.get(
        f"{stack.portal_url}/_control/received", timeout=30).json())
    print(audit.line(result, faults=len(injected)) + " " + audit.portal_line(portal))
    print(audit.sms_line(result))
    print(audit.details(result))
    assert len(stream.accepted) == stream.submitted
    assert result.lost == {} and result.duplicated == {} and result.dead_letters == 0
    assert portal.missing == [] and portal.duplicated_steps == {}


def test_audit_reports_a_lost_and_a_duplicated_dossier():
    """The audit itself can fail: fed one missing and one doubled dossier, it says so."""
    result = audit.compare({
        "department queue": ({"A", "B"}, {"B": 1}),
        "bill": ({"B"}, {"B": 2}),
    }, accepted_count=2)
    assert result.lost == {"department queue": ["A"]}
    assert result.duplicated == {"bill": {"B": 2}}
    assert audit.line(result, faults=0) == "accepted=2 lost=1 duplicated=1 faults=0"
    row = {"ThoiDiemXuLy": "20261208093000", "TrangThai": "2", "NoiDungXuLy": "Tiếp nhận"}
    portal = audit.portal_compare({"A", "B", "C"}, {
        "dossiers": {"A": {}, "B": {}},
        "progress": {"A": [row, {**row, "TrangThai": "4"}], "B": [row, row, row]}})
    assert audit.portal_line(portal) == "synced=2 missing=1 duplicated_steps=2"
    twice_at_the_smsc = audit.compare({audit.SENT: ({"A"}, {"A": 1}),
                                       audit.DELIVERED: ({"A"}, {"A": 2})}, accepted_count=1)
    assert audit.sms_line(twice_at_the_smsc) == "receipt sms sent twice=0 delivered twice=1"
    assert audit.line(twice_at_the_smsc, faults=1) == "accepted=1 lost=0 duplicated=1 faults=1"
    # handed over again after a lost answer, but at the SMSC once: not a duplicate
    resent = audit.compare({audit.SENT: ({"A"}, {"A": 2}),
                            audit.DELIVERED: ({"A"}, {"A": 1})}, accepted_count=1)
    assert audit.line(resent, faults=1) == "accepted=1 lost=0 duplicated=0 faults=1"
    assert audit.sms_line(resent) == "receipt sms sent twice=1 delivered twice=0"
    texts = [("+84912345678", "Hồ sơ 000.00.31.H33-261123-0001 đã được tiếp nhận"),
             ("+84912345678", "Hồ sơ 000.00.31.H33-261123-0001 đã được tiếp nhận"),
             ("+84912345678", "Hồ sơ 000.00.31.H33-261123-0001 cần nộp 200.000 đ")]
    assert audit.texts_by_code(texts, {"000.00.31.H33-261123-0001"}) == {
        "000.00.31.H33-261123-0001": 2}
