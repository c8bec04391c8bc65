"""Start and stop the whole motcua stack (the Procfile's processes) against a given database
and RabbitMQ virtual host: used by `make demo`, the benchmark and the end-to-end tests.
`instances={"routing": 2}` also runs `routing#2` (same command and config, its own ports):
competing consumers, as on Kubernetes."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg2
import requests
from cryptography.fernet import Fernet

from services.common.config import SERVICE_NAMES

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"

# DESIGN.md's ports; a service's relay serves its metrics RELAY_PORT_GAP above them (9101...).
RELAY_PORT_GAP = 1100
# The fake National Public Service Portal (scripts/dvcqg.py) a stack runs beside itself: no
# stack talks to the real one.
DVCQG_PORT = 8090
DESIGNED_PORTS = {"intake": 8001, "routing": 8002, "notify": 8003, "payment": 8004, "postal": 8005,
                  "desk": 8006, "nationalportal": 8007, "docstore": 8008}
# docstore's document worker serves its metrics this far above docstore's HTTP port (9118)
WORKER_PORT_GAP = 1110
HTTP_PORTS = {name: DESIGNED_PORTS[name] for name in SERVICE_NAMES}
CATALOGUE = ROOT / "services" / "intake" / "catalogue" / "procedures.yml"
# Extra instances of a Procfile entry are named "<entry>#<k>" (k = 2, 3, ...) and listen
# INSTANCE_PORT_STEP * (k - 1) above the first one (HTTP and relay metrics ports).
INSTANCE_PORT_STEP = 10


def instance_of(name):
    """("routing", 2) for "routing#2", ("routing", 1) for "routing"."""
    entry, _, k = name.partition("#")
    return entry, int(k) if k else 1


def procfile_commands():
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def ensure_database(db_url, fresh=False):
    parts = urllib.parse.urlsplit(db_url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def signal_group(process, sig):
    """`sig` to the process and its children (it leads its own session); nothing if gone."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


class Stack:
    def __init__(self, db_url, amqp_uri, token_secret, log_dir, port_offset=0, extra_env=None,
                 process_env=None, instances=None):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.ports = {name: port + port_offset for name, port in HTTP_PORTS.items()}
        self.env = {
            **os.environ,
            "DB_URL": db_url,
            "AMQP_URI": amqp_uri,
            "TOKEN_SECRET": token_secret,
            # the lookup secret's keys: the caller's, or new ones for this stack alone
            "LOOKUP_PEPPER": os.environ.get("LOOKUP_PEPPER") or secrets.token_urlsafe(32),
            "NOTIFY_SECRET_KEY": os.environ.get("NOTIFY_SECRET_KEY")
            or Fernet.generate_key().decode(),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            **{f"{name.upper()}_HTTP": f"127.0.0.1:{port}" for name, port in self.ports.items()},
            **{f"{name.upper()}_RELAY_METRICS_PORT": str(port + RELAY_PORT_GAP)
               for name, port in self.ports.items()},
            # where the desk's pages call the services, and nationalportal this stack's intake
            **{f"{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in self.ports.items()},
            "PORTAL_URL": f"http://127.0.0.1:{DVCQG_PORT + port_offset}",
            "DOCSTORE_WORKER_METRICS_PORT": str(self.ports["docstore"] + WORKER_PORT_GAP),
            **(extra_env or {}),
        }
        self.commands = procfile_commands()
        self.commands["dvcqg"] = f"python -m scripts.dvcqg --port {DVCQG_PORT + port_offset}"
        self.portal_url = self.env["PORTAL_URL"]
        # Competing consumers: {"routing": 2} also runs "routing#2", same command and config.
        for entry, count in (instances or {}).items():
            if entry not in self.commands:
                raise ValueError(f"no Procfile entry {entry!r}")
            for k in range(2, count + 1):
                self.commands[f"{entry}#{k}"] = self.commands[entry]
        # Settings for one process only, e.g. {"routing": {"AMQP_URI": <through a proxy>}}.
        self.process_env = process_env or {}
        self.processes = {}

    def url(self, service, path=""):
        return f"http://127.0.0.1:{self.port_of(service)}{path}"

    def port_of(self, name):
        """The HTTP port of a service process, or the metrics port of a relay (None if neither)."""
        entry, k = instance_of(name)
        service = entry.removesuffix("_relay")
        if service not in self.ports:
            return None
        port = self.ports[service] + (RELAY_PORT_GAP if entry.endswith("_relay") else 0)
        return port + INSTANCE_PORT_STEP * (k - 1)

    def instance_env(self, name):
        """A second instance's own ports: nameko's HTTP address, or a relay's metrics port."""
        entry, k = instance_of(name)
        if k == 1 or self.port_of(name) is None:
            return {}
        service = entry.removesuffix("_relay")
        key = (f"{service.upper()}_RELAY_METRICS_PORT" if entry.endswith("_relay")
               else f"{service.upper()}_HTTP")
        value = str(self.port_of(name))
        return {key: value if key.endswith("_PORT") else f"127.0.0.1:{value}"}

    def cli(self, *args):
        subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=self.env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)

    def prepare(self, catalogue=CATALOGUE):
        self.cli("migrate")
        self.cli("docstore", "test-ca")
        self.cli("catalogue", "load", str(catalogue))

    def check_ports_free(self, names):
        """nameko listens with SO_REUSEPORT: a leftover process on our port would silently
        take part of the requests, so refuse to start beside one (relays' metrics ports too)."""
        for name in names:
            port = self.port_of(name)
            if port is None:
                continue
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise RuntimeError(f"port {port} for {name} is already in use")

    def start(self, names=None, wait=True):
        self.check_ports_free(names or self.commands)
        for name in names or self.commands:
            log = open(self.log_dir / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                "exec " + self.commands[name], shell=True, cwd=ROOT, stdout=log,
                env={**self.env, **self.instance_env(name), **self.process_env.get(name, {})},
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        if wait:
            self.wait_ready([n for n in names or self.commands
                             if not n.split("#")[0].endswith("_relay") and self.port_of(n)])

    def wait_ready(self, services, timeout=60):
        deadline = time.monotonic() + timeout
        for service in services:
            while True:
                try:
                    if requests.get(self.url(service, "/ready"), timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} not ready after {timeout}s; see {self.log_dir}")
                time.sleep(0.2)

    def kill(self, name, sig=signal.SIGKILL, timeout=30):
        process = self.processes.pop(name)
        signal_group(process, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()

    def restart(self, name):
        self.start([name])

    def stop(self, timeout=15):
        """Stop every process, all at once (each stops gracefully in parallel with the others),
        killing those still running after `timeout` seconds."""
        stopping = self.processes
        self.processes = {}
        for process in stopping.values():
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in stopping.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(process, signal.SIGKILL)
                process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
