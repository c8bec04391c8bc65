"""A loopback TCP proxy that can be made slow or dead, put between a service and the broker
(no Toxiproxy server can be installed here).

It runs as its own process with plain threads (the test process is monkey-patched by
eventlet, whose hub must not see sockets closed under a reader). It is steered through its
stdin, one mode a line (`slow`: every chunk held `--delay` seconds; `dead`: every connection
cut, new ones refused; `pass`: bytes through again), and answers each with `ok <mode>` once
that mode is in force. Commands are applied one after another by the thread that reads them:
no signal handler, which could run in the middle of the accept loop (and wait for a lock that
loop holds), or run in signal-number order rather than in the order the modes were sent.
The proxy exits when its stdin closes, so it never outlives the test that steers it.

    python -m tests.faults.proxy TARGET_PORT   # prints the port it listens on
"""
import argparse
import select
import socket
import subprocess
import sys
import threading
import time

MODES = ("pass", "slow", "dead")
ANSWER_TIMEOUT_SECONDS = 10


class Link:
    """A client connection and its upstream, copied both ways by two threads. The last of the
    two to finish closes both sockets: a socket closed under the other thread could have its
    descriptor number reused by the next accepted connection while that thread still uses it."""

    def __init__(self, client, upstream):
        self.client, self.upstream = client, upstream
        self._running = 2
        self._lock = threading.Lock()

    def cut(self):
        """Both ends see the connection end at once; their threads then close the sockets."""
        for sock in (self.client, self.upstream):
            shutdown(sock)

    def pipe_ended(self):
        """True for the second of the two threads, which closed both sockets."""
        with self._lock:
            self._running -= 1
            last = self._running == 0
        if last:
            self.close()
        return last

    def close(self):
        for sock in (self.client, self.upstream):
            shutdown(sock)
            sock.close()


class Proxy:
    def __init__(self, target_port, delay):
        self.target = ("127.0.0.1", target_port)
        self.delay = delay
        self.mode = "pass"
        self.lock = threading.Lock()  # the mode and the set of open links change together
        self.links = set()
        self.listener = socket.create_server(("127.0.0.1", 0))

    def apply(self, mode):
        """Returns once the mode is in force: after `dead`, every link is cut and no new one
        can be admitted (admission checks the mode under the same lock)."""
        with self.lock:
            self.mode = mode
            doomed = list(self.links) if mode == "dead" else []
        for link in doomed:
            link.cut()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError as exc:  # out of descriptors, say: keep serving, and say why
                print(f"proxy: accept failed: {exc}", file=sys.stderr, flush=True)
                time.sleep(0.1)
                continue
            self.admit(client)

    def admit(self, client):
        if self.mode == "dead":  # refused without bothering the broker (checked again below)
            close(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            close(client)
            return
        upstream.settimeout(None)
        link = Link(client, upstream)
        with self.lock:
            admitted = self.mode != "dead"
            if admitted:
                self.links.add(link)
        if not admitted:
            link.close()
            return
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self.pipe, args=(link, source, sink), daemon=True).start()

    def pipe(self, link, source, sink):
        try:
            while chunk := source.recv(65536):
                if self.mode == "slow":
                    time.sleep(self.delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            shutdown(sink)  # the other direction ends too
            if link.pipe_ended():
                with self.lock:
                    self.links.discard(link)


def shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def close(sock):
    shutdown(sock)
    sock.close()


def obey(proxy, commands, answers):
    """Applies each command line in turn and answers it; returns when the commands end."""
    for line in commands:
        mode = line.strip()
        if mode in MODES:
            proxy.apply(mode)
            answers.write(f"ok {mode}\n")
        else:
            answers.write(f"error unknown mode {mode!r}\n")
        answers.flush()


class FaultyProxy:
    """The proxy process, from a test: `.port`, `.set("slow" | "dead" | "pass")` (returns once
    the mode is in force), `.close()`."""

    def __init__(self, target_port, delay=0.3):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.proxy", str(target_port), "--delay", str(delay)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.port = int(self._answer("its port"))

    def set(self, mode):
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; one of {', '.join(MODES)}")
        self.process.stdin.write(f"{mode}\n")
        self.process.stdin.flush()
        answer = self._answer(f"mode {mode}")
        if answer != f"ok {mode}":
            raise RuntimeError(f"the proxy refused mode {mode}: {answer}")

    def _answer(self, what):
        """The proxy's next line; it writes one per command and nothing else, so nothing waits
        in our buffer that select would not see."""
        ready, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT_SECONDS)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the proxy did not answer ({what}) within "
                               f"{ANSWER_TIMEOUT_SECONDS} s; exit code {self.process.poll()}")
        return line.strip()

    def close(self):
        """Closing its stdin ends the proxy; kill it if it does not go."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target_port", type=int)
    parser.add_argument("--delay", type=float, default=0.3)
    args = parser.parse_args()
    proxy = Proxy(args.target_port, args.delay)
    threading.Thread(target=proxy.serve, daemon=True).start()
    print(proxy.listener.getsockname()[1], flush=True)
    obey(proxy, sys.stdin, sys.stdout)  # the control channel: this thread does nothing else


if __name__ == "__main__":
    main()
