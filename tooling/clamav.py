"""A clamd of our own for the tests, the demo and `motcua run` when none answers: offline, with
a signature database of the EICAR test file alone (its pattern dumped by `sigtool`), so it
starts in seconds and uses little memory (the full virus database takes about 1 GB and
minutes). Never for production, where clamd runs with freshclam's database (deploy/)."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# The EICAR anti-virus test file: harmless, and detected by every scanner as if it were a virus.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(host, port):
    """Whether a clamd answers PING at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


def local_port(address):
    """The port of a clamd address on this machine (`127.0.0.1:3310`, `localhost:3310`);
    None for a unix socket path or another host's, which no local clamd could serve."""
    host, _, port = address.rpartition(":")
    return int(port) if host in ("127.0.0.1", "localhost") and port.isdigit() else None


class Clamd:
    """`with Clamd() as clamd:` clamd listening on `clamd.address` (127.0.0.1:port)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process = None
        self.home = None

    def start(self):
        self.home = Path(tempfile.mkdtemp(prefix="motcua-clamd-"))
        database = self.home / "db"
        database.mkdir()
        # a body signature (anywhere in any file), the pattern in hex as sigtool dumps it
        pattern = subprocess.run(["sigtool", "--hex-dump"], input=EICAR, capture_output=True,
                                 check=True).stdout.decode().strip()
        (database / "motcua-test.ndb").write_text(f"Eicar-Test-Signature:0:*:{pattern}\n")
        config = self.home / "clamd.conf"
        config.write_text("\n".join([
            "Foreground yes", f"DatabaseDirectory {database}", f"TCPSocket {self.port}",
            "TCPAddr 127.0.0.1", f"LogFile {self.home / 'clamd.log'}", "LogTime yes",
            f"PidFile {self.home / 'clamd.pid'}", "User root" if os.geteuid() == 0 else "",
            "StreamMaxLength 64M", ""]))
        # its own session: a Ctrl-C meant for the services it serves does not stop it first
        self.process = subprocess.Popen([CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait()
        return self

    def _wait(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"clamd exited: {(self.home / 'clamd.log').read_text()[-500:]}")
            if answers("127.0.0.1", self.port):
                return
            time.sleep(0.2)
        raise RuntimeError("clamd did not answer within a minute")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self):
        self.stop()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()
