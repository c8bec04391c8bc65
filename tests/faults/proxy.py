"""A loopback TCP proxy that can be made slow or dead, put between a service and the broker
(no Toxiproxy server can be installed here).

It runs as its own process with plain threads (the test process is monkey-patched by
eventlet, whose hub must not see sockets closed under a reader), and is steered by signals:
SIGUSR1 slow (every chunk held `--delay` seconds), SIGUSR2 dead (every connection cut, new
ones refused), SIGHUP back to passing bytes through.

    python -m tests.faults.proxy TARGET_PORT   # prints the port it listens on
"""
import argparse
import signal
import socket
import subprocess
import sys
import threading
import time


class Proxy:
    def __init__(self, target_port, delay):
        self.target = ("127.0.0.1", target_port)
        self.delay = delay
        self.mode = "pass"
        self.lock = threading.Lock()
        self.connections = set()
        self.listener = socket.create_server(("127.0.0.1", 0))

    def set_mode(self, mode):
        self.mode = mode
        if mode == "dead":
            with self.lock:
                doomed, self.connections = list(self.connections), set()
            for sock in doomed:
                close(sock)

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            if self.mode == "dead":
                close(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                close(client)
                continue
            with self.lock:
                self.connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        try:
            while chunk := source.recv(65536):
                if self.mode == "slow":
                    time.sleep(self.delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                close(sock)


def close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class FaultyProxy:
    """The proxy process, from a test: `.port`, `.set("slow" | "dead" | "pass")`, `.close()`."""

    SIGNALS = {"slow": signal.SIGUSR1, "dead": signal.SIGUSR2, "pass": signal.SIGHUP}

    def __init__(self, target_port, delay=0.3):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.proxy", str(target_port), "--delay", str(delay)],
            stdout=subprocess.PIPE, text=True,
        )
        self.port = int(self.process.stdout.readline())

    def set(self, mode):
        self.process.send_signal(self.SIGNALS[mode])

    def close(self):
        self.process.kill()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target_port", type=int)
    parser.add_argument("--delay", type=float, default=0.3)
    args = parser.parse_args()
    proxy = Proxy(args.target_port, args.delay)
    for mode, signum in FaultyProxy.SIGNALS.items():
        signal.signal(signum, lambda *_, mode=mode: proxy.set_mode(mode))
    print(proxy.listener.getsockname()[1], flush=True)
    proxy.serve()


if __name__ == "__main__":
    main()
