"""A RabbitMQ node of a test's own, started beside the shared one from the same installation:
a new, empty broker, as after a broker is lost; gone with its files after."""
import os
import secrets
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests

from tests.conftest import free_ports

START_SECONDS = 120
# Debian's /usr/sbin wrappers switch root to the rabbitmq user (and its home, its Erlang
# cookie); the scripts behind them run the node as the caller, with the caller's files.
DEBIAN_SCRIPTS = Path("/usr/lib/rabbitmq/bin")


class PrivateBroker:
    def __init__(self, folder, name):
        self.folder = Path(folder)
        self.node = f"{name}-{secrets.token_hex(3)}@localhost"  # runs side by side
        self.amqp_port, self.management_port, dist_port = free_ports(3)
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"
        self.management_url = f"http://guest:guest@127.0.0.1:{self.management_port}"
        self.env = {
            **os.environ, "HOME": str(self.folder), "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_DIST_PORT": str(dist_port), "ERL_EPMD_ADDRESS": "127.0.0.1"}

    def start(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq-env.conf").write_text("")
        (self.folder / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n")
        subprocess.run([_script("rabbitmq-server"), "-detached"], env=self.env, check=True,
                       timeout=60)
        deadline = time.monotonic() + START_SECONDS
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.node} did not start; its log is in "
                                   f"{self.folder / 'log'}")
            time.sleep(0.5)

    def stop(self):
        subprocess.run([_script("rabbitmqctl"), "-n", self.node, "stop"], env=self.env,
                       capture_output=True, timeout=120)

    def queues(self, vhost="/"):
        answer = requests.get(f"{self.management_url}/api/queues/{quote(vhost, safe='')}",
                              timeout=30)
        answer.raise_for_status()
        return {queue["name"]: queue for queue in answer.json()}

    def _answers(self):
        try:
            return requests.get(f"{self.management_url}/api/overview", timeout=5).ok
        except requests.RequestException:
            return False


@contextmanager
def private_broker(folder, name="motcua-private"):
    broker = PrivateBroker(folder, name)
    try:
        broker.start()  # inside: a node that started but never answered is stopped too
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.folder, ignore_errors=True)


def _script(name):
    path = DEBIAN_SCRIPTS / name
    return str(path) if path.exists() else name
