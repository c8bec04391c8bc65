"""Real gateways for notify's tests: Kannel (bearerbox + smsbox + Kannel's fakesmsc) and an
aiosmtpd SMTP server, each a process on loopback with free ports."""
import mailbox
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from functools import partial
from pathlib import Path
from urllib.parse import unquote_to_bytes

import eventlet
import pytest

from services.notify.gateways import kannel_config
from tests.conftest import ROOT, free_port, free_ports, wait_for

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (.*)>$")


def _port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Kannel:
    """bearerbox, smsbox and fakesmsc (the fake SMSC the operator's network stands for)."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.username, self.password = "motcua", secrets.token_urlsafe(12)
        self.conf = self.dir / "kannel.conf"
        self._choose_ports()
        self.processes = []
        self.runs = 0

    def _choose_ports(self):
        """Free ports now, written into the configuration (another process may take one before
        bearerbox binds it: `start` then chooses again)."""
        names = ("admin_port", "smsbox_port", "fake_smsc_port", "sendsms_port")
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        self.conf.write_text(kannel_config(**self.ports, admin_password=secrets.token_urlsafe(8),
                                           username=self.username, password=self.password,
                                           log_dir=str(self.dir), spool_dir=str(self.dir)))

    def _listening_or_dead(self, bearerbox):
        return _port_open(self.ports["smsbox_port"]) or bearerbox.poll() is not None

    @property
    def sendsms_url(self):
        return f"http://127.0.0.1:{self.ports['sendsms_port']}/cgi-bin/sendsms"

    def start(self, attempts=3):
        self.runs += 1
        out = lambda name: open(self.dir / f"{name}.{self.runs}.out", "w")  # noqa: E731
        for attempt in range(1, attempts + 1):
            bearerbox = subprocess.Popen(["bearerbox", str(self.conf)], stdout=out("bb"),
                                         stderr=subprocess.STDOUT)
            wait_for(partial(self._listening_or_dead, bearerbox), timeout=10)
            if bearerbox.poll() is None:
                break
            if self.runs > 1 or attempt == attempts:  # a restart keeps the ports notify knows
                raise RuntimeError("bearerbox did not start: see " + str(self.dir))
            self._choose_ports()
        self.processes = [bearerbox]
        self.processes.append(subprocess.Popen(["smsbox", str(self.conf)], stdout=out("sb"),
                                               stderr=subprocess.STDOUT))
        self.processes.append(subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["fake_smsc_port"]), "-m", "0",
             "0 0 text unused"], stdout=out("fakesmsc"), stderr=subprocess.STDOUT))
        wait_for(lambda: _port_open(self.ports["sendsms_port"]), timeout=10)
        # the log is appended to across restarts: wait for this run's connection
        wait_for(lambda: self._bearerbox_log().count("Fakesmsc client connected") == self.runs,
                 timeout=10)

    def _bearerbox_log(self):
        path = self.dir / "bearerbox.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        """As Kannel is restarted: smsbox, then bearerbox (which keeps what it holds in its
        store); the operator's SMSC (fakesmsc, which exits without its bearerbox) last."""
        bearerbox, smsbox, fakesmsc = self.processes
        for process in (smsbox, bearerbox, fakesmsc):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def received(self):
        """Every SMS the fake SMSC received, concatenated parts joined: [(to, text)].

        A part's reference number is reused once its message is complete (it is one byte) and
        after a restart, so parts are joined per run and per message in order of arrival."""
        messages = []
        for path in sorted(self.dir.glob("fakesmsc.*.out")):
            pending = {}
            for line in path.read_text(errors="replace").splitlines():
                found = _GOT.search(line)
                if found:
                    _sender, receiver, rest = found.groups()
                    _decode(receiver, rest, messages, pending)
        return messages


def _bytes(encoded):
    return unquote_to_bytes(encoded.replace("+", " "))


def _decode(receiver, rest, messages, pending):
    kind, _, payload = rest.partition(" ")
    if kind == "udh":  # "udh <udh> data <ucs-2 bytes>": one part of a concatenated SMS
        udh, _, data = payload.partition(" data ")
        header = _bytes(udh)  # 05 00 03 ref total seq
        key = (receiver, header[3], header[4])
        if header[5] in pending.get(key, {}):  # a part seen again: the earlier one is incomplete
            _flush(receiver, pending.pop(key), messages)
        parts = pending.setdefault(key, {})
        parts[header[5]] = _bytes(data)
        if len(parts) == header[4]:
            _flush(receiver, pending.pop(key), messages)
    elif kind == "ucs-2":
        messages.append((receiver, _bytes(payload).decode("utf-16-be")))
    else:  # "text": GSM text as Kannel holds it
        messages.append((receiver, payload))


def _flush(receiver, parts, messages):
    # a message with a part missing is kept, garbled where the part is, not dropped
    joined = b"".join(parts[i] for i in sorted(parts))
    messages.append((receiver, joined.decode("utf-16-be", errors="replace")))


@pytest.fixture
def kannel(tmp_path):
    if not shutil.which("bearerbox"):
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras)")
    gateway = Kannel(tmp_path)
    gateway.start()
    yield gateway
    gateway.stop()


class SmtpServer:
    """aiosmtpd in its own process, storing what it receives in a Maildir; `secure` requires
    STARTTLS (a self-signed certificate for 127.0.0.1, `ca_file`) and AUTH LOGIN/PLAIN."""

    def __init__(self, directory, secure=False, attempts=3):
        self.maildir = Path(directory) / "maildir"
        for attempt in range(1, attempts + 1):
            # free_port() can race with another process taking the port: try another one
            self.port = free_port()
            self._start(Path(directory), secure)
            try:
                wait_for(lambda: _port_open(self.port) or self.process.poll() is not None,
                         timeout=20)
            except AssertionError:
                self.process.kill()
                raise
            if self.process.poll() is None:
                return
            if attempt == attempts:
                raise RuntimeError("the SMTP test server did not start: "
                                   + (Path(directory) / "smtp.log").read_text()[-2000:])

    def _start(self, directory, secure):
        command = [sys.executable, "-m", "tests.notify.notify_smtp_handler", str(self.port),
                   str(self.maildir)]
        if secure:
            self.ca_file, key = Path(directory) / "smtp.crt", Path(directory) / "smtp.key"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-keyout", str(key), "-out", str(self.ca_file), "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
            self.username, self.password = "motcua", secrets.token_urlsafe(12)
            command += ["--tls", str(self.ca_file), str(key),
                        "--login", self.username, self.password]
        with open(directory / "smtp.log", "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, cwd=ROOT)

    def messages(self):
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        return [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def smtp_server(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def secure_smtp_server(tmp_path):
    server = SmtpServer(tmp_path, secure=True)
    yield server
    server.stop()


def settle(seconds):
    """Let the services' green threads run (sender ticks, relays)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        eventlet.sleep(0.05)
