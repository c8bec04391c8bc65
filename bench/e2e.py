"""End-to-end benchmark: dossiers submitted over HTTP until every stage of their path is done.

Starts the stack (scripts.stack: the whole Procfile, or with --core intake, routing and their
relays; --instances adds competing consumers) on its own database and RabbitMQ virtual host
(both `motcua_bench`, recreated on every run) with ports shifted by 100, consumes every
`department.<code>` queue, polls the database for the receipt SMS and the fee bill
(bench.stages), submits a realistic mix of counter and online dossiers (an online one is
handed in by the portal, then formally received by a counter officer) for --duration
seconds or --dossiers dossiers, closed or open loop (--rate), and measures throughput (also
over the steady window), latency per stage, CPU and peak RSS per process, and audits lost
and duplicated effects per stage. Then, with the stack stopped, it measures the broker's
ceiling and a bare pipeline doing the run's own commits and confirmed publishes per dossier.

    python -m bench.e2e [--duration S | --dossiers N] [--rate R] [--core]
                        [--instances routing=2,notify=2] [--json PATH]

See bench/README.md for what each figure means.
"""
import argparse
import http.client
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
import urllib.parse
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import amqp
import pika
import psycopg2
import requests
from pika.exceptions import AMQPError

# nameko (imported through services.common.topology) announces deprecations: noise here.
warnings.filterwarnings("ignore", message=".*pkg_resources.*")
warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

from bench.stages import AUDIT_QUERIES, StageCollector, audit, audit_counts  # noqa: E402
from scripts.stack import ROOT, Stack, ensure_database, procfile_commands  # noqa: E402
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

DEFAULT_COUNTER_SHARE = 0.55   # the rest is online (the portal's, then an officer's reception)
POST_SHARE = 0.2       # of dossiers whose result may be sent by post
OPTIONAL_SHARE = 0.4   # chance of handing in each optional document
OFFICERS_PER_DEPARTMENT = 3
HTTP_TIMEOUT = 30
SETTLE_SECONDS = 2.0   # keep consuming after the last arrival, to catch late duplicates
PROGRESS_SECONDS = 10  # how often the wait for the last stages says what is left
DEFAULT_MESSAGE_BYTES = 1500
# XXXX of a dossier code has 4 digits: a receiving unit numbers at most 9,999 dossiers a day
# (intake answers 503 `numbers_exhausted` after that). A fast run may reach it for the busiest
# agency, whose identifier numbers its dossiers of every channel, so the workload stops there.
NUMBERS_PER_UNIT_PER_DAY = 9999
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


def fresh_log_dir():
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for log in LOG_DIR.glob("*.log"):
        log.unlink()
    return LOG_DIR


def fetch_procedures(stack):
    """The procedures of one department each: a commune-level one's dossiers name their
    agency, and the bench keeps the provincial workload its earlier runs measured."""
    response = requests.get(stack.url("intake", "/api/v1/procedures"), timeout=10)
    response.raise_for_status()
    return [p for p in response.json()["procedures"] if p["department"]]


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
    """One planned dossier; the run fills in times, status and code. An online one is handed
    in with the portal's `token`, then formally received with its agency's officer's
    `receiver` token, which numbers it."""
    channel: str
    department: str
    token: str
    body: dict
    receiver: str | None = None
    start: float = 0.0   # when the request was (or, open loop, should have been) sent
    sent: float = 0.0    # when it was sent
    done: float = 0.0
    status: str = ""
    code: str | None = None
    answer: str = ""     # the start of a refusal's body
    fee: bool = False    # the procedure has a fee or charge: a bill is expected


def address(rng):
    return f"Số {rng.randint(1, 350)} {rng.choice(STREETS)}, {rng.choice(WARDS)}"


def applicant(rng, n):
    """A distinct applicant per dossier (citizen ID and phone built from n)."""
    person = {
        "full_name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "citizen_id": f"{rng.randint(1, 96):03d}{rng.randint(0, 3)}{n % 100_000_000:08d}",
        "phone": f"{rng.choice(('090', '039', '088'))}{n % 10_000_000:07d}",  # allocated prefixes
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


def has_fee(procedure):
    return procedure.get("fee", 0) + procedure.get("charge", 0) > 0


class Workload:
    """The submissions, made on demand (a --duration run does not know how many):
    counter_share at the counter, the rest online, over every procedure that accepts the
    channel (so every department). Same seed, same sequence. It ends, keeping its mix, before
    a receiving unit would need more numbers than a day has (`full` then says which)."""

    def __init__(self, procedures, tokens, rng, counter_share=DEFAULT_COUNTER_SHARE,
                 numbers_per_unit=NUMBERS_PER_UNIT_PER_DAY):
        self.counter_share = counter_share
        self.by_channel = {ch: [p for p in procedures if ch in p["channels"]]
                           for ch in ("counter", "online")}
        self.tokens, self.rng = tokens, rng
        self.numbers_per_unit = numbers_per_unit
        self.per_unit = Counter()
        self.full = None  # the receiving unit whose day of numbers ended the workload
        self.plan = []
        self.lock = threading.Lock()

    def item(self, n):
        """The n-th submission, made (with those before it) if needed; None once the
        workload has ended."""
        with self.lock:
            while len(self.plan) <= n and self.full is None:
                submission = self._make(len(self.plan))
                unit = receiving_unit(submission)
                if self.per_unit[unit] == self.numbers_per_unit:
                    self.full = unit
                    break
                self.per_unit[unit] += 1
                self.plan.append(submission)
            return self.plan[n] if n < len(self.plan) else None

    def _make(self, n):
        rng = self.rng
        channel = "counter" if rng.random() < self.counter_share else "online"
        procedure = rng.choice(self.by_channel[channel])
        dept = procedure["department"]
        officer = rng.choice(self.tokens[dept])
        if channel == "counter":
            return Submission(channel, dept, officer, dossier_body(rng, procedure, n),
                              fee=has_fee(procedure))
        return Submission(channel, dept, self.tokens["portal"], dossier_body(rng, procedure, n),
                          receiver=officer, fee=has_fee(procedure))


def receiving_unit(submission):
    """Whose identifier numbers the dossier: its competent department's, on every channel
    (the bench's procedures are no inter-agency groups)."""
    return submission.department


# ----------------------------------------------------------------------------- department queues
@dataclass
class Arrivals:
    """What the department queues delivered: first arrival per dossier code, duplicates."""
    first: dict = field(default_factory=dict)        # code -> (monotonic time, department)
    envelope_ids: set = field(default_factory=set)
    duplicate_ids: int = 0
    duplicate_codes: int = 0
    ids_per_code: Counter = field(default_factory=Counter)  # distinct envelope ids per code
    bytes_total: int = 0
    messages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, at, department, body):
        envelope = json.loads(body)
        with self.lock:
            self.messages += 1
            self.bytes_total += len(body)
            if envelope["type"] != "dossier.assigned":
                return  # a later message about the dossier (due soon, overdue): not an arrival
            code = envelope["dossier_code"]
            if envelope["id"] in self.envelope_ids:
                self.duplicate_ids += 1
            else:
                self.ids_per_code[code] += 1
            self.envelope_ids.add(envelope["id"])
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

    def missing(self, codes):
        with self.arrivals.lock:
            return codes - self.arrivals.first.keys()

    def stop(self):
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)


# ----------------------------------------------------------------------------- submission
class Poster:
    """A keep-alive HTTP/1.1 connection posting JSON to one server: http.client, not
    requests, because the load generator shares the machine's two cores with the system it
    measures."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def post(self, path, body, token):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port,
                                                         timeout=HTTP_TIMEOUT)
        try:
            self.connection.request("POST", path, body, {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()  # the next post opens a new connection
            raise

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def submit_one(poster, item, accepted):
    """The dossier handed in; an online one then formally received by its agency's officer
    (only that numbers it). `status` is the last answer's."""
    try:
        path = "/api/v1/dossiers" if item.channel == "counter" else "/api/v1/submissions"
        status, answer = poster.post(path, json.dumps(item.body).encode(), item.token)
        if status == 201 and item.channel == "online":
            submission = json.loads(answer)["id"]
            status, answer = poster.post(f"/api/v1/submissions/{submission}/reception", b"",
                                         item.receiver)
        item.status = str(status)
        if status == 201:
            item.code = json.loads(answer)["code"]
            accepted.append(item)  # list.append is atomic: the collectors read it meanwhile
        else:
            item.answer = answer[:300].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        item.status = type(exc).__name__
        item.answer = repr(exc)[:300]
    item.done = time.monotonic()


def submit_all(url, workload, accepted, concurrency, rate=None, count=None, duration=None):
    """Closed loop: each worker sends its next dossier as soon as the last one is answered.
    Open loop (rate): dossier i is due at t0 + i/rate and its latency counts from then, so a
    slow system shows as latency instead of silently lowering the offered rate.
    Stops after `count` dossiers or, with `duration`, when no dossier is due before
    t0 + duration. Returns t0."""
    counter, lock = itertools.count(), threading.Lock()
    t0 = time.monotonic() + 0.05
    end = t0 + duration if duration else None

    def worker():
        poster = Poster(url)
        while True:
            with lock:
                i = next(counter)
            if count is not None and i >= count:
                break
            due = t0 + i / rate if rate else time.monotonic()
            if end is not None and due >= end:
                break
            item = workload.item(i)
            if item is None:
                break
            if rate:
                item.start = t0 + i / rate
                time.sleep(max(0.0, item.start - time.monotonic()))
            else:
                item.start = time.monotonic()
            item.sent = time.monotonic()
            submit_one(poster, item, accepted)
        poster.close()

    workers = [threading.Thread(target=worker, name=f"submit-{k}") for k in range(concurrency)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return t0


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


def peak_rss_mb(pid):
    """VmHWM (peak resident set) of a process in MB, None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def peak_memory(stack):
    """Peak RSS of every stack process (since it started: the run and its start-up), and
    the largest peak among RabbitMQ's and PostgreSQL's processes (since the server started,
    so possibly before this run) with how many processes each has."""
    memory = {name: peak_rss_mb(process.pid) for name, process in stack.processes.items()}
    servers = {}
    for pid, name in infrastructure_pids():
        owner = INFRASTRUCTURE[name]
        peak = peak_rss_mb(pid) or 0
        largest, count = servers.get(owner, (0, 0))
        servers[owner] = (max(largest, peak), count + 1)
    for owner, (largest, count) in servers.items():
        memory[owner] = largest
        memory[f"{owner}_processes"] = count
    return memory


def infrastructure_pids():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    name = comm.read().strip()
            except OSError:
                continue
            if name in INFRASTRUCTURE:
                yield int(entry), name


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


# What PostgreSQL did for the whole stack, from its own statistics: transactions committed
# in the bench database (a relay's LISTEN connection commits up to one more each time any outbox
# of the database notifies, whichever channel: PostgreSQL wakes every listener), rows
# written, and the server's WAL (pg_stat_wal, PostgreSQL 14 and later; the whole server).
DATABASE_COUNTERS = {
    "transactions": "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    "rows_written": "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint"
                    " FROM pg_stat_user_tables",
    "wal_records": "SELECT wal_records FROM pg_stat_wal",
    "wal_bytes": "SELECT wal_bytes::bigint FROM pg_stat_wal",
    "wal_syncs": "SELECT wal_sync FROM pg_stat_wal",
}
# a backend that closed its connection may take a moment to have reported its counts
STATISTICS_LAG_SECONDS = 1.5


def database_counters(db_url):
    counters = {}
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name, sql in DATABASE_COUNTERS.items():
                try:
                    cur.execute(sql)
                    counters[name] = int(cur.fetchone()[0])
                except psycopg2.errors.UndefinedTable:  # no pg_stat_wal before PostgreSQL 14
                    counters[name] = None
    finally:
        conn.close()
    return counters


class DatabaseMeter:
    """PostgreSQL's work during a phase, per accepted dossier."""

    def __init__(self, db_url):
        self.db_url = db_url
        self.before = database_counters(db_url)

    def result(self, dossiers):
        time.sleep(STATISTICS_LAG_SECONDS)
        after = database_counters(self.db_url)
        totals = {name: None if after[name] is None else after[name] - self.before[name]
                  for name in after}
        return {"totals": totals,
                "per_dossier": {name: None if total is None else round(total / max(1, dossiers), 2)
                                for name, total in totals.items()}}


# ----------------------------------------------------------------------------- end-to-end run
STAGE_LABELS = {"http": "HTTP answer", "department_queue": "department queue",
                "receipt_sms": "receipt SMS sent", "bill": "bill created",
                "full_path": "full path"}


def stage_times(accepted, arrivals, collector):
    """code -> {stage: seconds after submission} for each stage a dossier reached, and
    `full_path` once it reached every stage it should (the bill only with a fee)."""
    times = {}
    for s in accepted:
        reached = {"http": s.done}
        if s.code in arrivals.first:
            reached["department_queue"] = arrivals.first[s.code][0]
        for stage, seen in collector.seen.items():
            if s.code in seen:
                reached[stage] = seen[s.code]
        wanted = ["department_queue", *(st for st in collector.stages if st != "bill" or s.fee)]
        if all(st in reached for st in wanted):
            reached["full_path"] = max(reached[st] for st in wanted)
        times[s.code] = {stage: at - s.start for stage, at in reached.items()}
    return times


def steady_window(t0, duration, warmup, load_ended=None):
    """[start, end] of the steady window: after the warm-up, before the drain (or before the
    load ended, when the workload ran out of dossier numbers first)."""
    end = t0 + duration if load_ended is None else min(t0 + duration, load_ended)
    return t0 + warmup, end


def e2e_figures(workload, accepted, consumers, collector, t0, args):
    """Every figure of the end-to-end run, from the plan's records, arrivals and stages."""
    plan = workload.plan
    arrivals = consumers.arrivals
    errors = Counter(s.status for s in plan if s.status != "201")
    first_submit = min(s.start for s in plan)
    last_answer = max(s.done for s in plan)
    times = stage_times(accepted, arrivals, collector)
    full_done = {s.code: s.start + times[s.code]["full_path"] for s in accepted
                 if "full_path" in times[s.code]}
    arrived = [s for s in accepted if s.code in arrivals.first]
    misrouted = sum(arrivals.first[s.code][1] != s.department for s in arrived)
    last_full = max(full_done.values(), default=None)
    stages = ["http", "department_queue", *collector.stages, "full_path"]
    figures = {
        "submitted": len(plan),
        "accepted": len(accepted),
        "with_fee": sum(s.fee for s in accepted),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "channels": dict(Counter(s.channel for s in accepted)),
        "departments": len({s.department for s in accepted}),
        "procedures": len({s.body["procedure_code"] for s in accepted}),
        "result_by_post": sum(s.body["result_delivery"] == "post" for s in accepted),
        "submit_seconds": round(last_answer - first_submit, 3),
        "accepted_per_s": per_second(len(accepted), last_answer - first_submit),
        "stages": stages,
        "reached": {stage: sum(stage in t for t in times.values()) for stage in stages},
        "e2e_seconds": round(last_full - first_submit, 3) if last_full else None,
        # dossiers that went the whole path ÷ (last of them done − first submission)
        "e2e_dossiers_per_s": per_second(len(full_done), (last_full or 0) - first_submit),
        "latency_ms": {stage: latency_summary([t[stage] for t in times.values() if stage in t])
                       for stage in stages},
        # open loop: how late the client sent (all workers busy); large means add --concurrency
        "send_lag_ms": latency_summary([s.sent - s.start for s in plan]),
        "duplicated_by_envelope_id": arrivals.duplicate_ids,
        "duplicated_by_dossier_code": arrivals.duplicate_codes,
        "misrouted": misrouted,
        "department_messages": arrivals.messages,
        "consumer_errors": consumers.errors[:20],
        "collector_errors": collector.errors[:5],
        "collector_queries": collector.queries,
        "department_message_bytes_mean": round(arrivals.bytes_total / max(1, arrivals.messages)),
        "numbers_ran_out_at": workload.full,
    }
    if args.duration:
        load_ended = max(s.start for s in plan) if workload.full else None
        start, end = steady_window(t0, args.duration, args.warmup, load_ended)
        seconds = end - start
        figures["steady"] = {
            "from_s": round(start - t0, 1), "to_s": round(end - t0, 1),
            "accepted": sum(start <= s.done < end for s in accepted),
            "completed": sum(start <= at < end for at in full_done.values()),
            # of the dossiers submitted (due) in the window; one never done is left out here
            # but shows in `reached` and the audit
            "full_path_latency_ms": latency_summary(
                [times[s.code]["full_path"] for s in accepted
                 if start <= s.start < end and "full_path" in times[s.code]]),
        }
        figures["steady"]["accepted_per_s"] = per_second(figures["steady"]["accepted"], seconds)
        figures["steady"]["e2e_dossiers_per_s"] = per_second(figures["steady"]["completed"],
                                                             seconds)
    return figures


def wait_for_stages(consumers, collector, codes, timeout):
    """Until every accepted dossier reached every stage, or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + PROGRESS_SECONDS
    while time.monotonic() < deadline:
        missing = {"department_queue": len(consumers.missing(codes)),
                   **{stage: len(collector.missing(stage)) for stage in collector.stages}}
        if not any(missing.values()):
            return
        if time.monotonic() >= next_report:  # a draining backlog, not a hang
            next_report += PROGRESS_SECONDS
            print("  still to reach: " + ", ".join(f"{STAGE_LABELS[k]} {v}"
                                                    for k, v in missing.items()))
        time.sleep(0.2)


def run_e2e(stack, secret, args, stages):
    procedures = fetch_procedures(stack)
    departments = sorted({p["department"] for p in procedures})
    workload = Workload(procedures, issue_tokens(secret, departments), random.Random(args.seed),
                        args.counter_share)
    accepted = []

    def expected(stage):
        return {s.code for s in list(accepted) if stage != "bill" or s.fee}

    consumers = DepartmentConsumers(AMQP_URI, departments)
    consumers.start()
    collector = StageCollector(DB_URL, stages, expected)
    collector.start()
    try:
        meter = CpuMeter(stack)
        started = time.monotonic()
        count = None if args.duration else args.dossiers
        if args.duration and args.rate:
            count = math.ceil(args.rate * args.duration)
        t0 = submit_all(stack.url("intake"), workload, accepted,
                        args.concurrency, args.rate, count, args.duration)
        print(f"submitted {len(workload.plan)} ({len(accepted)} accepted) in "
              f"{time.monotonic() - t0:.1f} s; waiting for every stage")
        if workload.full:
            print(f"  the load stopped early: receiving unit '{workload.full}' had given all "
                  f"{NUMBERS_PER_UNIT_PER_DAY:,} dossier numbers of the day")
        wait_for_stages(consumers, collector, {s.code for s in accepted}, args.timeout)
        cpu = meter.result(time.monotonic() - started)
        memory = peak_memory(stack)
        time.sleep(SETTLE_SECONDS)
    finally:
        consumers.stop()
        collector.stop()
    figures = e2e_figures(workload, accepted, consumers, collector, t0, args)
    figures["audit"] = run_audit(accepted, consumers.arrivals, stages)
    figures["lost"] = max((check["lost"] for check in figures["audit"].values()), default=0)
    figures["duplicated"] = max((check["duplicated"] for check in figures["audit"].values()),
                                default=0)
    figures["cpu"] = cpu
    figures["memory"] = memory
    figures["catalogue"] = {"procedures": len(procedures), "departments": len(departments),
                            "with_fee": sum(has_fee(p) for p in procedures)}
    figures["error_samples"] = error_samples(workload.plan)
    return figures


def run_audit(accepted, arrivals, stages):
    """Lost and duplicated per stage: every accepted dossier once on its department queue
    (distinct envelope ids), routed once, and (full stack) one receipt SMS, one fee bill
    exactly for the dossiers with a fee."""
    codes = {s.code for s in accepted}
    expected = {"department_queue": codes, "routed": codes,
                "formal_reception": {s.code for s in accepted if s.channel == "online"}}
    if "receipt_sms" in stages:
        expected["receipt_sms"] = codes
    if "bill" in stages:
        expected["bill"] = {s.code for s in accepted if s.fee}
    found = audit_counts(DB_URL, [name for name in expected if name in AUDIT_QUERIES])
    with arrivals.lock:
        found["department_queue"] = dict(arrivals.ids_per_code)
    return audit(expected, found)


def error_samples(plan, limit=3):
    """The first refused submissions' answers, so their reason shows in the results."""
    return [{"status": s.status, "procedure_code": s.body["procedure_code"], "channel": s.channel,
             "answer": s.answer} for s in plan if s.status != "201"][:limit]


def stack_diagnostics(services):
    """After the run: rows still in the outboxes (and why), and dead letters."""
    diagnostics = {"outbox_unpublished": {}}
    conn = psycopg2.connect(DB_URL)
    try:
        with conn.cursor() as cur:
            for service in services:
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


# Durable work per dossier, counted in the database after the run (see bench/README.md):
# every consumer's transaction leaves one processed_messages row, intake's one dossier row
# (and an online dossier's submission one more),
# every notification handed to the gateway one committed status update, and every confirmed
# publish (all five relays) one outbox row marked published.
WORK_QUERIES = {
    "intake_transactions": "(SELECT count(*) FROM intake.dossiers)"
                           " + (SELECT count(*) FROM intake.submissions)",
    "consumer_transactions": " + ".join(
        f"(SELECT count(*) FROM {s}.processed_messages)"
        for s in ("routing", "notify", "payment", "postal")),
    # notify records a sent batch in one transaction: its rows share that transaction's now()
    "notification_sends": "SELECT count(DISTINCT sent_at) FROM notify.notifications"
                          " WHERE sent_at IS NOT NULL",
    "confirmed_publishes": " + ".join(
        f"(SELECT count(*) FROM {s}.outbox WHERE published_at IS NOT NULL)"
        for s in ("intake", "routing", "notify", "payment", "postal")),
}


def work_per_dossier(accepted):
    """Committed write transactions and confirmed publishes per accepted dossier."""
    conn = psycopg2.connect(DB_URL)
    try:
        with conn.cursor() as cur:
            counts = {}
            for name, sql in WORK_QUERIES.items():
                cur.execute(sql if sql.startswith("SELECT") else f"SELECT {sql}")
                counts[name] = cur.fetchone()[0]
    finally:
        conn.close()
    commits = (counts["intake_transactions"] + counts["consumer_transactions"]
               + counts["notification_sends"])
    return {"counts": counts, "dossiers": accepted,
            "commits_per_dossier": round(commits / max(1, accepted), 3),
            "publishes_per_dossier": round(counts["confirmed_publishes"] / max(1, accepted), 3)}


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


def spread(per_dossier, index):
    """How many of a fractional per-dossier amount dossier `index` does (0.4 per dossier:
    0, 0, 1, 0, 1, ...), so n dossiers do round(n * per_dossier) in all."""
    return math.floor((index + 1) * per_dossier) - math.floor(index * per_dossier)


@dataclass
class Work:
    """Per dossier: committed write transactions and confirmed publishes (one consume each)."""
    commits: float = 0.0
    publishes: float = 1.0

    def total_publishes(self, dossiers):
        return sum(spread(self.publishes, i) for i in range(dossiers))


def confirmed_publisher(queue, indices, body, go, work, db_url=None):
    """For each dossier index, its share of `work`: INSERT+COMMITs and persistent publishes,
    each waiting for its confirm, each publish then marked on a row (the relay's UPDATE),
    committed with the next transaction (relays commit their marks per batch). Connects first
    and waits for `go`, so connection setup is not timed."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.confirm_delivery()
    conn = psycopg2.connect(db_url) if db_url else None
    properties = pika.BasicProperties(content_type="application/json",
                                      delivery_mode=pika.DeliveryMode.Persistent)
    text = body.decode()
    go.wait()
    last_row = None
    for i in indices:
        commits, publishes = spread(work.commits, i), spread(work.publishes, i)
        for k in range(max(commits, publishes)):
            if k < commits:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO bench_bare (body) VALUES (%s) RETURNING id", (text,))
                    last_row = cur.fetchone()[0]
                conn.commit()
            if k < publishes:
                channel.basic_publish("", queue, body, properties, mandatory=True)
                if conn is not None and last_row is not None:
                    with conn.cursor() as cur:
                        cur.execute("UPDATE bench_bare SET published_at = now() WHERE id = %s",
                                    (last_row,))
    if conn is not None:
        conn.commit()
        conn.close()
    connection.close()


RELAY_BATCH = 100  # the one-publisher ceiling publishes like a busy relay: batches, one wait


def batch_publisher(queue, indices, body, go, work, db_url=None):
    """One message per index, as the outbox relays publish: RELAY_BATCH messages back to back,
    then one wait for all their confirms (py-amqp, like the relays)."""
    connection = amqp.Connection("127.0.0.1:5672", userid="guest", password="guest",
                                 virtual_host=NAME)
    connection.connect()
    channel = connection.channel()
    channel.confirm_select()
    confirmed = [0]
    channel.events["basic_ack"].add(
        lambda tag, multiple: confirmed.__setitem__(0, max(confirmed[0], tag)))
    total, sent = len(indices), 0
    go.wait()
    while sent < total:
        for _ in range(min(RELAY_BATCH, total - sent)):
            channel.basic_publish(amqp.Message(body, delivery_mode=2,
                                               content_type="application/json"),
                                  exchange="", routing_key=queue, mandatory=True)
            sent += 1
        while confirmed[0] < sent:
            connection.drain_events(timeout=30)
    connection.close()


def confirmed_flow(label, dossiers, publishers, size, work=None, db_url=None, timeout=300,
                   publisher=None):
    """`dossiers` units of `work` from `publishers` threads (`publisher`, by default each
    publish waiting for its confirm), messages through a fresh quorum queue to one consumer;
    rate from the first publish to the last ack."""
    queue = f"bench.{label}"
    work = work or Work()
    fresh_quorum_queue(queue)
    expected = work.total_publishes(dossiers)
    consumer = CountingConsumer(queue, expected, timeout)
    consumer.start()
    consumer.ready.wait(30)
    body = padded_message(size)
    shares = [range(k, dossiers, publishers) for k in range(min(publishers, dossiers))]
    go = threading.Barrier(len(shares) + 1)
    threads = [threading.Thread(target=publisher or confirmed_publisher,
                                args=(queue, share, body, go, work, db_url))
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
    done = dossiers if consumer.received >= expected else None
    return {"dossiers": dossiers, "messages": expected, "received": consumer.received,
            "publishers": publishers, "message_bytes": len(body), "seconds": round(seconds, 3),
            "commits_per_dossier": work.commits, "publishes_per_dossier": work.publishes,
            # bare pipeline: only if every dossier's messages came (else a timeout, no figure)
            "per_s": (per_second(done, seconds) if done else None) if work.commits
            else per_second(consumer.received, seconds)}


def bare_table(db_url, create=True):
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        if create:
            cur.execute("""CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body jsonb NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT now(),
                           published_at timestamptz)""")
    conn.close()


def measure_ceilings(count, concurrency, size, work):
    """Broker alone (concurrent publishers each waiting for its confirms, and one publisher
    batching as the relays do) and
    the bare pipeline doing `work` per dossier, on the same vhost and database as the run."""
    ceilings = {
        "broker": confirmed_flow("broker", count, concurrency, size),
        "broker_one_publisher": confirmed_flow("broker1", count, 1, size,
                                               publisher=batch_publisher),
    }
    bare_table(DB_URL)
    try:
        ceilings["bare_pipeline"] = confirmed_flow("bare", count, concurrency, size, work, DB_URL)
    finally:
        bare_table(DB_URL, create=False)
    return ceilings


# ----------------------------------------------------------------------------- reporting
def machine():
    def first(path, prefix):
        try:
            with open(path) as text:
                for line in text:
                    if line.startswith(prefix):
                        return line.split(":", 1)[1].strip()
        except OSError:
            return None
        return None

    memory = first("/proc/meminfo", "MemTotal")
    return {"hostname": socket.gethostname(), "nproc": os.cpu_count(),
            "cpu_model": first("/proc/cpuinfo", "model name"),
            "ram_mb": int(memory.split()[0]) // 1024 if memory else None,
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
    size = f"{run['duration']} s" if run["duration"] else f"{run['dossiers']} dossiers"
    scope = "core (intake, routing)" if run["core"] else "full stack"
    extra = ", ".join(f"{k}×{v}" for k, v in run["instances"].items())
    print(f"\n== motcua end to end: {scope}{', ' + extra if extra else ''}; {size}, "
          f"{run['concurrency']} workers, {mode} ==")
    print_counts(e2e)
    print_latencies(e2e, open_loop=bool(run["rate"]))
    print_audit(e2e["audit"])
    print_cpu(e2e["cpu"], results["machine"]["nproc"])
    print_memory(e2e["memory"])
    print_database(e2e["database"]["per_dossier"])
    if results["ceilings"]["broker"]:
        print_ceilings(results["ceilings"], results["ratios"])
    diagnostics = results["diagnostics"]
    left = {service: sum(r["rows"] for r in found)
            for service, found in diagnostics["outbox_unpublished"].items()}
    print(f"\nafter the run: outbox rows unpublished {left}; dead letters "
          f"{diagnostics.get('dead_letters')}")


def print_counts(e2e):
    rows = [
        ("accepted (201)", f"{fmt(e2e['accepted'])} ({e2e['with_fee']} with a fee)"),
        ("errors", f"{e2e['errors']} {e2e['errors_by_status'] or ''}".strip()),
        ("channels", ", ".join(f"{k} {v}" for k, v in sorted(e2e["channels"].items()))
         + f"; result by post {e2e['result_by_post']}"),
        ("departments / procedures", f"{e2e['departments']} / {e2e['procedures']}"),
    ]
    if e2e["numbers_ran_out_at"]:
        rows += [("load ended early", f"receiving unit '{e2e['numbers_ran_out_at']}' gave all "
                                      f"{NUMBERS_PER_UNIT_PER_DAY:,} numbers of the day")]
    rows += [
        ("accepted/s (HTTP)", fmt(e2e["accepted_per_s"])),
        ("end-to-end dossiers/s (full path)", fmt(e2e["e2e_dossiers_per_s"])),
    ]
    if "steady" in e2e:
        steady = e2e["steady"]
        latency = steady["full_path_latency_ms"]
        rows += [(f"steady window {steady['from_s']}-{steady['to_s']} s",
                  f"accepted/s {fmt(steady['accepted_per_s'])}, end-to-end/s "
                  f"{fmt(steady['e2e_dossiers_per_s'])}, full path p50/p99 "
                  f"{fmt(latency['p50'])}/{fmt(latency['p99'])} ms")]
    rows += [
        ("reached", ", ".join(f"{STAGE_LABELS[k]} {v}" for k, v in e2e["reached"].items())),
        ("lost / duplicated (worst stage)", f"{e2e['lost']} / {e2e['duplicated']}"),
        ("redelivered (same envelope id)", fmt(e2e["duplicated_by_envelope_id"])),
        ("misrouted", fmt(e2e["misrouted"])),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def print_latencies(e2e, open_loop):
    print(f"\n{'latency from submission (ms)':<30}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    lines = [(STAGE_LABELS[stage], e2e["latency_ms"][stage]) for stage in e2e["stages"]]
    if open_loop:
        lines.append(("send lag", e2e["send_lag_ms"]))
    for label, stats in lines:
        print(f"{label:<30}" + "".join(f"{fmt(stats[p]):>9}" for p in ("p50", "p95", "p99", "max")))


def print_audit(checks):
    print("\naudit: " + "; ".join(
        f"{name} {c['expected']} expected, {c['lost']} lost, {c['duplicated']} duplicated"
        + (f", {c['unexpected']} unexpected" if c["unexpected"] else "")
        for name, c in checks.items()))


def print_cpu(cpu, nproc):
    print(f"\nCPU during the run: machine {cpu['machine_busy_percent']}% busy ({nproc} CPUs); "
          f"bench client {cpu['bench_process_seconds']} s; "
          + ", ".join(f"{k} {v} s" for k, v in cpu["processes_seconds"].items()))


def print_memory(memory):
    print("peak RSS (MB): " + ", ".join(
        f"{k} {v}" for k, v in memory.items() if not k.endswith("_processes")))


def print_database(per_dossier):
    wal = ("" if per_dossier["wal_records"] is None else
           f", {per_dossier['wal_records']} WAL records ({per_dossier['wal_bytes'] / 1000:.1f} kB),"
           f" {per_dossier['wal_syncs']} WAL syncs")
    print(f"PostgreSQL per dossier: {per_dossier['transactions']} transactions committed, "
          f"{per_dossier['rows_written']} rows written{wal}")


def print_ceilings(ceilings, ratios):
    print("\n== ceilings on this machine (stack stopped) ==")
    broker, one, bare = (ceilings["broker"], ceilings["broker_one_publisher"],
                         ceilings["bare_pipeline"])
    print(f"broker: {fmt(broker['per_s'])} msgs/s ({broker['publishers']} confirmed publishers, "
          f"{broker['message_bytes']} B, quorum queue); one publisher: {fmt(one['per_s'])} msgs/s")
    print(f"bare pipeline ({bare['commits_per_dossier']} INSERT+COMMIT and "
          f"{bare['publishes_per_dossier']} confirmed publishes + consumes per dossier, as the "
          f"run did): {fmt(bare['per_s'])} dossiers/s with {bare['publishers']} threads")
    print(f"e2e / bare pipeline: {fmt(ratios['e2e_over_bare_pipeline'])}   "
          f"e2e / broker: {fmt(ratios['e2e_over_broker'])}")


def write_json(results, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results written to {path}")


# ----------------------------------------------------------------------------- main
CORE = ("intake", "routing", "intake_relay", "routing_relay")  # reception to the department queue
FULL_STAGES = ("receipt_sms", "bill")
DEFAULT_DURATION = 60


def instances_option(text):
    """"routing=2,notify=2" -> {"routing": 2, "notify": 2}."""
    counts = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition("=")
        if not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"{part!r}: expected <procfile entry>=<count ≥ 1>")
        counts[name.strip()] = int(count)
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--dossiers", type=int, help="submit this many dossiers, then stop")
    size.add_argument("--duration", type=float,
                      help=f"submit for this many seconds (default {DEFAULT_DURATION} when "
                           "--dossiers is not given)")
    parser.add_argument("--warmup", type=float,
                        help="seconds left out of the steady window at the start "
                             "(default: a sixth of --duration, at most 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP workers (threads)")
    parser.add_argument("--rate", type=float, help="open loop: dossiers offered per second")
    parser.add_argument("--core", action="store_true",
                        help="only intake, routing and their relays (up to the department queue)")
    parser.add_argument("--instances", type=instances_option, default={},
                        help="extra instances as competing consumers, e.g. routing=2,notify=2")
    parser.add_argument("--json", type=Path, help="results file (default bench/results/e2e-<timestamp>.json)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds to wait, after the last answer, for every stage")
    parser.add_argument("--counter-share", type=float, default=DEFAULT_COUNTER_SHARE,
                        help="share of dossiers handed in at the counter, the rest online "
                             f"(default {DEFAULT_COUNTER_SHARE}; 1 for the counter's path alone)")
    parser.add_argument("--seed", type=int, default=20251124, help="workload's random seed")
    parser.add_argument("--skip-ceilings", action="store_true", help="only the end-to-end run")
    parser.add_argument("--ceiling-dossiers", type=int, default=3000,
                        help="dossiers of each ceiling run (at most as many as were accepted)")
    args = parser.parse_args(argv)
    if args.dossiers is None and args.duration is None:
        args.duration = DEFAULT_DURATION
    if args.duration is not None and args.warmup is None:
        args.warmup = min(10.0, args.duration / 6)
    for name, value in (("--dossiers", args.dossiers), ("--duration", args.duration),
                        ("--concurrency", args.concurrency), ("--rate", args.rate),
                        ("--ceiling-dossiers", args.ceiling_dossiers)):
        if value is not None and value <= 0:
            parser.error(f"{name} must be positive")
    if not 0 <= args.counter_share <= 1:
        parser.error("--counter-share must be between 0 and 1")
    if args.duration is not None and not 0 <= args.warmup < args.duration:
        parser.error("--warmup must be at least 0 and less than --duration")
    allowed = CORE if args.core else tuple(procfile_commands())
    for name in args.instances:
        if name not in allowed:
            parser.error(f"--instances: {name!r} is not one of {', '.join(allowed)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = args.json or RESULTS_DIR / f"e2e-{stamp}.json"
    secret = secrets.token_urlsafe(48)
    print(f"fresh database and RabbitMQ virtual host {NAME}")
    ensure_database(DB_URL, fresh=True)
    fresh_vhost()
    stack = Stack(DB_URL, AMQP_URI, secret, fresh_log_dir(), port_offset=PORT_OFFSET,
                  instances=args.instances)
    names = [n for n in stack.commands if not args.core or n.split("#")[0] in CORE]
    # the services with an outbox: those a relay publishes for
    relayed = sorted({n.split("#")[0].removesuffix("_relay") for n in names
                      if n.split("#")[0].endswith("_relay")})
    stages = [] if args.core else list(FULL_STAGES)
    try:
        stack.check_ports_free(names)
    except RuntimeError as exc:
        sys.exit(f"{exc}: a bench stack left running? (`ss -ltnp`)")
    try:
        stack.prepare()
        stack.start(names)
        size = f"for {args.duration} s" if args.duration else f"{args.dossiers} dossiers"
        print(f"stack up ({', '.join(names)}; intake {stack.url('intake')}, logs in "
              f"{stack.log_dir}); submitting {size}")
        database_meter = DatabaseMeter(DB_URL)
        e2e = run_e2e(stack, secret, args, stages)
        diagnostics = stack_diagnostics(relayed)
        work = work_per_dossier(e2e["accepted"])
    finally:
        stack.stop()
    # after the stop: an idle connection may hold its counts back for seconds, a closed one not
    e2e["database"] = database_meter.result(e2e["accepted"])
    e2e_rate = (e2e["steady"]["e2e_dossiers_per_s"] if "steady" in e2e
                else e2e["e2e_dossiers_per_s"])
    ceilings = {"broker": {}, "broker_one_publisher": {}, "bare_pipeline": {}}
    if not args.skip_ceilings and e2e["accepted"]:
        print("stack stopped; measuring the broker and bare-pipeline ceilings")
        size = e2e["department_message_bytes_mean"] or DEFAULT_MESSAGE_BYTES
        ceilings = measure_ceilings(min(args.ceiling_dossiers, e2e["accepted"]),
                                    args.concurrency, size,
                                    Work(work["commits_per_dossier"], work["publishes_per_dossier"]))
    results = {
        "started_at": stamp,
        "machine": machine(),
        "git": git_commit(),
        "run": {"dossiers": args.dossiers, "duration": args.duration, "warmup": args.warmup,
                "concurrency": args.concurrency, "rate": args.rate, "core": args.core,
                "instances": args.instances, "processes": names, "stages": stages,
                "seed": args.seed, "timeout": args.timeout, "counter_share": args.counter_share,
                "ceiling_dossiers": args.ceiling_dossiers,
                "port_offset": PORT_OFFSET, "vhost": NAME, "database": NAME},
        "e2e": e2e,
        "work_per_dossier": work,
        "ceilings": ceilings,
        "ratios": {
            "e2e_dossiers_per_s": e2e_rate,
            "e2e_over_bare_pipeline": ratio(e2e_rate, ceilings["bare_pipeline"].get("per_s")),
            "e2e_over_broker": ratio(e2e_rate, ceilings["broker"].get("per_s")),
        },
        "diagnostics": diagnostics,
        "log_dir": str(stack.log_dir),
    }
    print_report(results)
    write_json(results, json_path)
    return 0 if e2e["lost"] == 0 and e2e["duplicated"] == 0 and not e2e["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
