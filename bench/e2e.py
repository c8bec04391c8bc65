"""End-to-end benchmark: dossiers submitted over HTTP until they are on their department's queue.

Starts the whole stack (scripts.stack) on its own database and RabbitMQ virtual host (both
`motcua_bench`, recreated on every run) with ports shifted by 100, consumes every
`department.<code>` queue, submits a realistic mix of counter and online dossiers, and
measures HTTP and end-to-end latency, throughput, lost and duplicated dossiers. Then, with
the stack stopped, it measures two ceilings on the same machine to compare against: the
broker alone (confirmed persistent publishes and acked consumes) and a bare pipeline (one
INSERT+COMMIT, one confirmed publish and one consume per dossier).

    python -m bench.e2e [--dossiers N] [--concurrency C] [--rate R] [--json PATH]

See bench/README.md for what each figure means.
"""
import argparse
import itertools
import json
import math
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import pika
import psycopg2
import requests
from pika.exceptions import AMQPError

# nameko (imported through services.common.topology) announces deprecations: noise here.
warnings.filterwarnings("ignore", message=".*pkg_resources.*")
warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

from scripts.stack import ROOT, Stack, ensure_database  # noqa: E402
from services.common.auth import issue_token  # noqa: E402
from services.common.consumer import DEAD_LETTER_QUEUE  # noqa: E402
from services.common.topology import department_queue_name  # noqa: E402

NAME = "motcua_bench"  # database and RabbitMQ virtual host
DB_URL = f"postgresql://postgres@127.0.0.1:5432/{NAME}"
AMQP_URI = f"amqp://guest:guest@127.0.0.1:5672/{NAME}"
RABBIT_API = "http://127.0.0.1:15672/api"
PORT_OFFSET = 100  # intake 8101, routing 8102: clear of a demo on 8001/8002
LOG_DIR = ROOT / ".run" / "bench-logs"
RESULTS_DIR = ROOT / "bench" / "results"

COUNTER_SHARE = 0.55   # the rest is online (portal)
POST_SHARE = 0.2       # of dossiers whose result may be sent by post
OPTIONAL_SHARE = 0.4   # chance of handing in each optional document
OFFICERS_PER_DEPARTMENT = 3
HTTP_TIMEOUT = 30
SETTLE_SECONDS = 2.0   # keep consuming after the last arrival, to catch late duplicates
DEFAULT_MESSAGE_BYTES = 1500
INFRASTRUCTURE = {"beam.smp": "rabbitmq", "postgres": "postgres"}  # process name -> server


# ----------------------------------------------------------------------------- infrastructure
def fresh_vhost():
    """Delete and recreate the bench's virtual host: management API, else rabbitmqctl."""
    auth, vhost = ("guest", "guest"), f"{RABBIT_API}/vhosts/{NAME}"
    try:
        requests.delete(vhost, auth=auth, timeout=30)
        requests.put(vhost, auth=auth, timeout=30).raise_for_status()
        requests.put(f"{RABBIT_API}/permissions/{NAME}/guest", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return
    except requests.RequestException as exc:
        print(f"management API unusable ({type(exc).__name__}); trying rabbitmqctl")
    if not shutil.which("rabbitmqctl"):
        sys.exit(f"cannot recreate the RabbitMQ virtual host {NAME}: enable the management plugin "
                 "or run as a user who may use rabbitmqctl")
    subprocess.run(["rabbitmqctl", "delete_vhost", NAME], capture_output=True)  # may not exist
    for command in (["rabbitmqctl", "add_vhost", NAME],
                    ["rabbitmqctl", "set_permissions", "-p", NAME, "guest", ".*", ".*", ".*"]):
        subprocess.run(command, capture_output=True, check=True)


def check_ports_free(stack):
    """nameko listens with SO_REUSEPORT: a leftover process on our port would silently get
    part of the requests (against an old database), so refuse to start instead."""
    ports = dict(stack.ports)
    ports.update({f"{name}_relay metrics": int(stack.env[f"{name.upper()}_RELAY_METRICS_PORT"])
                  for name in ("intake", "routing")})
    for service, port in ports.items():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"port {port} ({service}) is already in use: a bench stack left running? "
                         f"(`ss -ltnp | grep {port}`)")


def fresh_log_dir():
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for log in LOG_DIR.glob("*.log"):
        log.unlink()
    return LOG_DIR


def fetch_procedures(stack):
    response = requests.get(stack.url("intake", "/api/v1/procedures"), timeout=10)
    response.raise_for_status()
    return response.json()["procedures"]


# ----------------------------------------------------------------------------- workload
SURNAMES = ["Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
            "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thu", "Thanh", "Quốc", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Sơn", "Tuấn",
         "Anh", "Chi", "Giang", "Hà", "Hương", "Lan", "Linh", "Mai", "Thảo", "Trang", "Vy"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Quang Trung", "Hùng Vương",
           "Lý Thường Kiệt", "Điện Biên Phủ", "Nguyễn Tất Thành", "Trần Phú", "Y Jút"]
WARDS = ["phường Tân Lập", "phường Tân An", "phường Thành Công", "phường Ea Tam", "xã Hòa Phú",
         "xã Ea Kao", "xã Cư Êbur"]


@dataclass
class Submission:
    """One planned dossier; the run fills in times, status and code."""
    channel: str
    department: str
    token: str
    body: dict
    start: float = 0.0   # when the request was (or, open loop, should have been) sent
    sent: float = 0.0    # when it was sent
    done: float = 0.0
    status: str = ""
    code: str | None = None
    answer: str = ""     # the start of a refusal's body


def address(rng):
    return f"Số {rng.randint(1, 350)} {rng.choice(STREETS)}, {rng.choice(WARDS)}"


def applicant(rng, n):
    """A distinct applicant per dossier (citizen ID and phone built from n)."""
    person = {
        "full_name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "citizen_id": f"{rng.randint(1, 96):03d}{rng.randint(0, 3)}{n % 100_000_000:08d}",
        "phone": f"{rng.choice(('09', '03', '08'))}{n % 100_000_000:08d}",
        "address": address(rng),
    }
    if rng.random() < 0.35:
        person["email"] = f"congdan{n}@example.vn"
    return person


def dossier_body(rng, procedure, n):
    """Every mandatory document, some optional ones, sometimes the result by post."""
    documents = [{"key": d["key"]} for d in procedure["documents"]
                 if d["mandatory"] or rng.random() < OPTIONAL_SHARE]
    body = {"procedure_code": procedure["code"], "applicant": applicant(rng, n),
            "documents": documents, "result_delivery": "counter"}
    if procedure["postal_return"] and rng.random() < POST_SHARE:
        body["result_delivery"] = "post"
        body["delivery_address"] = address(rng)
    return body


def issue_tokens(secret, departments):
    """A portal token, and a few counter officers per department."""
    return {
        "portal": issue_token(secret, "portal", subject="portal.dichvucong"),
        **{dept: [issue_token(secret, "counter_officer", department=dept,
                              subject=f"canbo.{dept}.{k:02d}")
                  for k in range(1, OFFICERS_PER_DEPARTMENT + 1)] for dept in departments},
    }


def plan_workload(procedures, tokens, count, rng):
    """`count` submissions: ~COUNTER_SHARE at the counter, the rest online, over every
    procedure that accepts the channel (so every department)."""
    by_channel = {ch: [p for p in procedures if ch in p["channels"]] for ch in ("counter", "online")}
    plan = []
    for n in range(count):
        channel = "counter" if rng.random() < COUNTER_SHARE else "online"
        procedure = rng.choice(by_channel[channel])
        dept = procedure["department"]
        token = rng.choice(tokens[dept]) if channel == "counter" else tokens["portal"]
        plan.append(Submission(channel, dept, token, dossier_body(rng, procedure, n)))
    return plan


# ----------------------------------------------------------------------------- department queues
@dataclass
class Arrivals:
    """What the department queues delivered: first arrival per dossier code, duplicates."""
    first: dict = field(default_factory=dict)        # code -> (monotonic time, department)
    envelope_ids: set = field(default_factory=set)
    duplicate_ids: int = 0
    duplicate_codes: int = 0
    bytes_total: int = 0
    messages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, at, department, body):
        envelope = json.loads(body)
        with self.lock:
            self.messages += 1
            self.bytes_total += len(body)
            if envelope["id"] in self.envelope_ids:
                self.duplicate_ids += 1
            self.envelope_ids.add(envelope["id"])
            code = envelope["dossier_code"]
            if code in self.first:
                self.duplicate_codes += 1
            else:
                self.first[code] = (at, department)


class DepartmentConsumers:
    """One thread and connection per department queue; records arrivals and acks."""

    def __init__(self, amqp_uri, departments, prefetch=200):
        self.amqp_uri = amqp_uri
        self.departments = departments
        self.prefetch = prefetch
        self.arrivals = Arrivals()
        self.stopping = threading.Event()
        self.errors = []
        self._ready = threading.Semaphore(0)
        self._threads = []

    def start(self, timeout=30):
        for department in self.departments:
            thread = threading.Thread(target=self._consume, args=(department,), daemon=True,
                                      name=f"consume-{department}")
            thread.start()
            self._threads.append(thread)
        for _ in self.departments:
            if not self._ready.acquire(timeout=timeout) or self.errors:
                raise RuntimeError(f"department consumers did not start: {self.errors}")

    def _consume(self, department):
        try:
            connection = self._connect(department)
        except Exception as exc:  # noqa: BLE001 - reported by start()
            self.errors.append(f"{department}: {exc!r}")
            self._ready.release()
            return
        self._ready.release()
        while not self.stopping.is_set():
            try:
                connection = connection or self._connect(department)
                connection.process_data_events(time_limit=0.05)
            except AMQPError as exc:
                # reconnect rather than report dossiers lost that the broker still holds
                self.errors.append(f"{department}: {exc!r}")
                connection = None
                time.sleep(0.5)
        if connection is not None and connection.is_open:
            connection.close()

    def _connect(self, department):
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        channel = connection.channel()
        channel.basic_qos(prefetch_count=self.prefetch)
        channel.basic_consume(department_queue_name(department),
                              partial(self._on_message, department))
        return connection

    def _on_message(self, department, channel, method, properties, body):
        self.arrivals.record(time.monotonic(), department, body)
        channel.basic_ack(method.delivery_tag)

    def wait_for(self, codes, timeout):
        """Until every code arrived or `timeout` seconds passed; returns the missing codes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.arrivals.lock:
                missing = codes - self.arrivals.first.keys()
            if not missing:
                return missing
            time.sleep(0.05)
        with self.arrivals.lock:
            return codes - self.arrivals.first.keys()

    def stop(self):
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)


# ----------------------------------------------------------------------------- submission
def submit_one(session, url, item):
    try:
        response = session.post(url, json=item.body, timeout=HTTP_TIMEOUT,
                                headers={"Authorization": f"Bearer {item.token}"})
        item.status = str(response.status_code)
        if response.status_code == 201:
            item.code = response.json()["code"]
        else:
            item.answer = response.text[:300]
    except requests.RequestException as exc:
        item.status = type(exc).__name__
        item.answer = repr(exc)[:300]
    item.done = time.monotonic()


def submit_all(url, plan, concurrency, rate=None):
    """Closed loop: each worker sends its next dossier as soon as the last one is answered.
    Open loop (rate): dossier i is due at t0 + i/rate and its latency counts from then, so a
    slow system shows as latency instead of silently lowering the offered rate."""
    counter, lock = itertools.count(), threading.Lock()
    t0 = time.monotonic() + 0.05

    def worker():
        session = requests.Session()
        while True:
            with lock:
                i = next(counter)
            if i >= len(plan):
                break
            item = plan[i]
            if rate:
                item.start = t0 + i / rate
                time.sleep(max(0.0, item.start - time.monotonic()))
            else:
                item.start = time.monotonic()
            item.sent = time.monotonic()
            submit_one(session, url, item)
        session.close()

    workers = [threading.Thread(target=worker, name=f"submit-{k}") for k in range(concurrency)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


# ----------------------------------------------------------------------------- statistics
def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(seconds):
    values = sorted(seconds)
    ms = {f"p{q}": percentile(values, q) for q in (50, 95, 99)}
    ms["max"] = values[-1] if values else None
    ms["mean"] = sum(values) / len(values) if values else None
    return {k: (round(v * 1000, 1) if v is not None else None) for k, v in ms.items()}


def per_second(count, seconds):
    return round(count / seconds, 1) if seconds and seconds > 0 else None


def cpu_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def process_stats():
    """(command name, session id, CPU seconds) of every process, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # exited meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        rest = text.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ... utime, stime
        yield name, int(rest[3]), (int(rest[11]) + int(rest[12])) / ticks


def cpu_by_owner(stack):
    """CPU seconds so far of each stack process with its children (start_new_session=True
    makes each a session of its own), and of RabbitMQ and PostgreSQL (all their processes:
    anything else using them on this machine is counted too)."""
    sessions = {proc.pid: name for name, proc in stack.processes.items()}
    totals = dict.fromkeys([*sessions.values(), "rabbitmq", "postgres"], 0.0)
    for name, session, seconds in process_stats():
        owner = sessions.get(session) or INFRASTRUCTURE.get(name)
        if owner:
            totals[owner] += seconds
    return totals


class CpuMeter:
    """CPU used during a phase: the machine's busy share, the bench process, each service."""

    def __init__(self, stack):
        self.stack = stack
        self.machine = cpu_ticks()
        self.own = os.times()
        self.owners = cpu_by_owner(stack)

    def result(self, wall):
        busy, total = cpu_ticks()
        own = os.times()
        owners = cpu_by_owner(self.stack)
        return {
            "machine_busy_percent": round(100 * (busy - self.machine[0]) /
                                          max(1, total - self.machine[1]), 1),
            "bench_process_seconds": round(own.user + own.system - self.own.user
                                           - self.own.system, 2),
            "processes_seconds": {name: round(owners[name] - self.owners.get(name, 0), 2)
                                  for name in owners},
            "wall_seconds": round(wall, 2),
        }


# ----------------------------------------------------------------------------- end-to-end run
def e2e_figures(plan, consumers, missing):
    """Every figure of the end-to-end run, from the plan's records and the arrivals."""
    arrivals = consumers.arrivals
    accepted = [s for s in plan if s.status == "201"]
    errors = Counter(s.status for s in plan if s.status != "201")
    first_submit = min(s.start for s in plan)
    last_answer = max(s.done for s in plan)
    arrived = [s for s in accepted if s.code in arrivals.first]
    last_arrival = max((arrivals.first[s.code][0] for s in arrived), default=None)
    misrouted = sum(arrivals.first[s.code][1] != s.department for s in arrived)
    accepted_codes = {s.code for s in accepted}
    return {
        "submitted": len(plan),
        "accepted": len(accepted),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "channels": dict(Counter(s.channel for s in accepted)),
        "departments": len({s.department for s in accepted}),
        "procedures": len({s.body["procedure_code"] for s in accepted}),
        "result_by_post": sum(s.body["result_delivery"] == "post" for s in accepted),
        "submit_seconds": round(last_answer - first_submit, 3),
        "accepted_per_s": per_second(len(accepted), last_answer - first_submit),
        "e2e_seconds": round(last_arrival - first_submit, 3) if last_arrival else None,
        "e2e_dossiers_per_s": per_second(len(arrived), (last_arrival or 0) - first_submit),
        "http_latency_ms": latency_summary([s.done - s.start for s in accepted]),
        "e2e_latency_ms": latency_summary([arrivals.first[s.code][0] - s.start for s in arrived]),
        # open loop: how late the client sent (all workers busy); large means add --concurrency
        "send_lag_ms": latency_summary([s.sent - s.start for s in plan]),
        "lost": len(missing),
        "lost_codes": sorted(missing)[:20],
        "duplicated_by_envelope_id": arrivals.duplicate_ids,
        "duplicated_by_dossier_code": arrivals.duplicate_codes,
        "misrouted": misrouted,
        "unexpected_arrivals": len(arrivals.first.keys() - accepted_codes),
        "department_messages": arrivals.messages,
        "consumer_errors": consumers.errors[:20],
        "department_message_bytes_mean": round(arrivals.bytes_total / max(1, arrivals.messages)),
    }


def run_e2e(stack, secret, args):
    procedures = fetch_procedures(stack)
    departments = sorted({p["department"] for p in procedures})
    plan = plan_workload(procedures, issue_tokens(secret, departments), args.dossiers,
                         random.Random(args.seed))
    consumers = DepartmentConsumers(AMQP_URI, departments)
    consumers.start()
    try:
        meter = CpuMeter(stack)
        started = time.monotonic()
        submit_all(stack.url("intake", "/api/v1/dossiers"), plan, args.concurrency, args.rate)
        codes = {s.code for s in plan if s.status == "201"}
        missing = consumers.wait_for(codes, args.timeout)
        cpu = meter.result(time.monotonic() - started)
        time.sleep(SETTLE_SECONDS)
    finally:
        consumers.stop()
    figures = e2e_figures(plan, consumers, missing)
    figures["cpu"] = cpu
    figures["catalogue"] = {"procedures": len(procedures), "departments": len(departments)}
    figures["error_samples"] = error_samples(plan)
    return figures


def error_samples(plan, limit=3):
    """The first refused submissions' answers, so their reason shows in the results."""
    return [{"status": s.status, "procedure_code": s.body["procedure_code"], "channel": s.channel,
             "answer": s.answer} for s in plan if s.status != "201"][:limit]


def stack_diagnostics():
    """After the run: rows still in the outboxes (and why), and dead letters."""
    diagnostics = {"outbox_unpublished": {}}
    conn = psycopg2.connect(DB_URL)
    try:
        with conn.cursor() as cur:
            for service in ("intake", "routing"):
                cur.execute(f"""SELECT routing_key, coalesce(last_error, ''), count(*)
                                FROM {service}.outbox WHERE published_at IS NULL
                                GROUP BY 1, 2 ORDER BY 3 DESC""")
                diagnostics["outbox_unpublished"][service] = [
                    {"routing_key": key, "last_error": error, "rows": rows}
                    for key, error, rows in cur.fetchall()]
            cur.execute("SHOW server_version")
            diagnostics["postgres_version"] = cur.fetchone()[0]
    finally:
        conn.close()
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    try:
        queue = connection.channel().queue_declare(DEAD_LETTER_QUEUE, passive=True)
        diagnostics["dead_letters"] = queue.method.message_count
        version = connection._impl.server_properties.get("version")  # pika keeps it only there
        diagnostics["rabbitmq_version"] = version.decode() if isinstance(version, bytes) else version
    finally:
        connection.close()
    return diagnostics


# ----------------------------------------------------------------------------- ceilings
def padded_message(size):
    """A JSON body of about `size` bytes, like a department message."""
    body = {"id": str(uuid.uuid4()), "type": "bench.ceiling", "dossier_code": "", "data": {}}
    pad = max(0, size - len(json.dumps(body)) - 12)
    body["data"]["pad"] = "x" * pad
    return json.dumps(body).encode()


def fresh_quorum_queue(queue):
    """Same queue type as the department queues (quorum, durable)."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    try:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    finally:
        connection.close()


def drop_queue(queue):
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    try:
        connection.channel().queue_delete(queue)
    finally:
        connection.close()


class CountingConsumer(threading.Thread):
    """Consumes and acks `expected` messages from a queue; remembers when the last came."""

    def __init__(self, queue, expected, timeout):
        super().__init__(daemon=True, name=f"count-{queue}")
        self.queue, self.expected, self.timeout = queue, expected, timeout
        self.received, self.last = 0, None
        self.ready = threading.Event()

    def run(self):
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
        channel = connection.channel()
        channel.basic_qos(prefetch_count=500)
        channel.basic_consume(self.queue, self._on_message)
        self.ready.set()
        deadline = time.monotonic() + self.timeout
        while self.received < self.expected and time.monotonic() < deadline:
            connection.process_data_events(time_limit=0.05)
        connection.close()

    def _on_message(self, channel, method, properties, body):
        channel.basic_ack(method.delivery_tag)
        self.received += 1
        self.last = time.monotonic()


def confirmed_publisher(queue, count, body, go, db_url=None):
    """Publish `count` persistent messages, each waiting for its confirm; with db_url, each
    one after its own INSERT+COMMIT (what intake and its relay do, at the least). Connects
    first and waits for `go`, so connection setup is not timed."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.confirm_delivery()
    conn = psycopg2.connect(db_url) if db_url else None
    properties = pika.BasicProperties(content_type="application/json",
                                      delivery_mode=pika.DeliveryMode.Persistent)
    text = body.decode()
    go.wait()
    for _ in range(count):
        if conn is not None:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO bench_bare (body) VALUES (%s)", (text,))
            conn.commit()
        channel.basic_publish("", queue, body, properties, mandatory=True)
    if conn is not None:
        conn.close()
    connection.close()


def confirmed_flow(label, count, publishers, size, db_url=None, timeout=300):
    """`count` messages from `publishers` threads through a fresh quorum queue to one
    consumer; rate from the first publish to the last ack."""
    queue = f"bench.{label}"
    fresh_quorum_queue(queue)
    consumer = CountingConsumer(queue, count, timeout)
    consumer.start()
    consumer.ready.wait(30)
    shares = [count // publishers + (k < count % publishers) for k in range(publishers)]
    body = padded_message(size)
    shares = [share for share in shares if share]
    go = threading.Barrier(len(shares) + 1)
    threads = [threading.Thread(target=confirmed_publisher, args=(queue, share, body, go, db_url))
               for share in shares]
    for thread in threads:
        thread.start()
    go.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    consumer.join()
    drop_queue(queue)
    seconds = (consumer.last or time.monotonic()) - started
    return {"messages": count, "received": consumer.received, "publishers": publishers,
            "message_bytes": len(body), "seconds": round(seconds, 3),
            "per_s": per_second(consumer.received, seconds)}


def bare_table(db_url, create=True):
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        if create:
            cur.execute("""CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body jsonb NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT now())""")
    conn.close()


def measure_ceilings(count, concurrency, size):
    """Broker alone (concurrent publishers, and one publisher as the relays publish) and
    the bare pipeline, on the same vhost and database as the run."""
    ceilings = {
        "broker": confirmed_flow("broker", count, concurrency, size),
        "broker_one_publisher": confirmed_flow("broker1", count, 1, size),
    }
    bare_table(DB_URL)
    try:
        ceilings["bare_pipeline"] = confirmed_flow("bare", count, concurrency, size, DB_URL)
    finally:
        bare_table(DB_URL, create=False)
    return ceilings


# ----------------------------------------------------------------------------- reporting
def machine():
    return {"hostname": socket.gethostname(), "nproc": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform()}


def git_commit():
    def git(*args):
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def fmt(value):
    return "-" if value is None else f"{value:,}"


def print_report(results):
    run, e2e = results["run"], results["e2e"]
    mode = f"open loop at {run['rate']}/s" if run["rate"] else "closed loop"
    print(f"\n== motcua end to end: {run['dossiers']} dossiers, {run['concurrency']} workers, "
          f"{mode} ==")
    print_counts(e2e)
    print_latencies(e2e, open_loop=bool(run["rate"]))
    print_cpu(e2e["cpu"], results["machine"]["nproc"])
    if results["ceilings"]["broker"]:
        print_ceilings(results["ceilings"], results["ratios"])
    diagnostics = results["diagnostics"]
    left = {service: sum(r["rows"] for r in found)
            for service, found in diagnostics["outbox_unpublished"].items()}
    print(f"\nafter the run: outbox rows unpublished {left}; dead letters "
          f"{diagnostics.get('dead_letters')}")


def print_counts(e2e):
    rows = [
        ("accepted (201)", fmt(e2e["accepted"])),
        ("errors", f"{e2e['errors']} {e2e['errors_by_status'] or ''}".strip()),
        ("channels", ", ".join(f"{k} {v}" for k, v in sorted(e2e["channels"].items()))
         + f"; result by post {e2e['result_by_post']}"),
        ("departments / procedures", f"{e2e['departments']} / {e2e['procedures']}"),
        ("accepted/s (HTTP)", fmt(e2e["accepted_per_s"])),
        ("end-to-end dossiers/s", fmt(e2e["e2e_dossiers_per_s"])),
        ("lost", fmt(e2e["lost"])),
        ("duplicated (by envelope id / code)",
         f"{e2e['duplicated_by_envelope_id']} / {e2e['duplicated_by_dossier_code']}"),
        ("misrouted", fmt(e2e["misrouted"])),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def print_latencies(e2e, open_loop):
    print(f"\n{'latency (ms)':<14}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    lines = [("HTTP", "http_latency_ms"), ("end to end", "e2e_latency_ms")]
    if open_loop:
        lines.append(("send lag", "send_lag_ms"))
    for label, key in lines:
        stats = e2e[key]
        print(f"{label:<14}" + "".join(f"{fmt(stats[p]):>9}" for p in ("p50", "p95", "p99", "max")))


def print_cpu(cpu, nproc):
    print(f"\nCPU during the run: machine {cpu['machine_busy_percent']}% busy ({nproc} CPUs); "
          f"bench client {cpu['bench_process_seconds']} s; "
          + ", ".join(f"{k} {v} s" for k, v in cpu["processes_seconds"].items()))


def print_ceilings(ceilings, ratios):
    print("\n== ceilings on this machine (stack stopped) ==")
    broker, one, bare = (ceilings["broker"], ceilings["broker_one_publisher"],
                         ceilings["bare_pipeline"])
    print(f"broker: {fmt(broker['per_s'])} msgs/s ({broker['publishers']} confirmed publishers, "
          f"{broker['message_bytes']} B, quorum queue); one publisher: {fmt(one['per_s'])} msgs/s")
    print(f"bare pipeline (INSERT+COMMIT, confirmed publish, consume): "
          f"{fmt(bare['per_s'])} dossiers/s with {bare['publishers']} threads")
    print(f"e2e / bare pipeline: {fmt(ratios['e2e_over_bare_pipeline'])}   "
          f"e2e / broker: {fmt(ratios['e2e_over_broker'])}")


def write_json(results, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {path}")


# ----------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=2000, help="dossiers to submit")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP workers (threads)")
    parser.add_argument("--rate", type=float, help="open loop: dossiers offered per second")
    parser.add_argument("--json", type=Path, help="results file (default bench/results/e2e-<timestamp>.json)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for every accepted dossier on its queue")
    parser.add_argument("--seed", type=int, default=20251124, help="workload's random seed")
    parser.add_argument("--skip-ceilings", action="store_true", help="only the end-to-end run")
    args = parser.parse_args(argv)
    if args.dossiers < 1 or args.concurrency < 1 or (args.rate is not None and args.rate <= 0):
        parser.error("--dossiers, --concurrency and --rate must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = args.json or RESULTS_DIR / f"e2e-{stamp}.json"
    secret = secrets.token_urlsafe(48)
    print(f"fresh database and RabbitMQ virtual host {NAME}")
    ensure_database(DB_URL, fresh=True)
    fresh_vhost()
    stack = Stack(DB_URL, AMQP_URI, secret, fresh_log_dir(), port_offset=PORT_OFFSET)
    check_ports_free(stack)
    try:
        stack.prepare()
        stack.start()
        print(f"stack up (intake {stack.url('intake')}, logs in {stack.log_dir}); "
              f"submitting {args.dossiers} dossiers")
        e2e = run_e2e(stack, secret, args)
        diagnostics = stack_diagnostics()
    finally:
        stack.stop()
    ceilings = {"broker": {}, "broker_one_publisher": {}, "bare_pipeline": {}}
    if not args.skip_ceilings:
        print("stack stopped; measuring the broker and bare-pipeline ceilings")
        size = e2e["department_message_bytes_mean"] or DEFAULT_MESSAGE_BYTES
        ceilings = measure_ceilings(args.dossiers, args.concurrency, size)
    results = {
        "started_at": stamp,
        "machine": machine(),
        "git": git_commit(),
        "run": {"dossiers": args.dossiers, "concurrency": args.concurrency, "rate": args.rate,
                "seed": args.seed, "timeout": args.timeout, "counter_share": COUNTER_SHARE,
                "port_offset": PORT_OFFSET, "vhost": NAME, "database": NAME},
        "e2e": e2e,
        "ceilings": ceilings,
        "ratios": {
            "e2e_over_bare_pipeline": ratio(e2e["e2e_dossiers_per_s"],
                                            ceilings["bare_pipeline"].get("per_s")),
            "e2e_over_broker": ratio(e2e["e2e_dossiers_per_s"], ceilings["broker"].get("per_s")),
        },
        "diagnostics": diagnostics,
        "log_dir": str(stack.log_dir),
    }
    print_report(results)
    write_json(results, json_path)
    return 0 if e2e["lost"] == 0 and e2e["accepted"] == e2e["submitted"] else 1


if __name__ == "__main__":
    sys.exit(main())
