"""A loopback TCP proxy that can be made slow or dead, put between a service and the broker
(no Toxiproxy server can be installed here).

Modes: `pass` forwards bytes as they come; `slow` holds every chunk for `delay` seconds;
`dead` cuts every open connection and refuses new ones until set back to `pass`.
It runs in green threads of the test process (conftest monkey-patches sockets).
"""
import socket

import eventlet


class FaultyProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode, self.delay = "pass", 0.0
        self.connections = set()
        self.accepted = 0
        self.server = eventlet.spawn(self._serve)

    def set(self, mode, delay=0.0):
        if mode not in ("pass", "slow", "dead"):
            raise ValueError(f"unknown proxy mode {mode!r}")
        self.mode, self.delay = mode, delay
        if mode == "dead":
            for conn in list(self.connections):
                _close(conn)
            self.connections.clear()

    def _serve(self):
        while True:
            client, _ = self.listener.accept()
            if self.mode == "dead":
                _close(client)
                continue
            try:
                upstream = eventlet.connect(self.target)
            except OSError:
                _close(client)
                continue
            self.accepted += 1
            self.connections.update((client, upstream))
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    def _pipe(self, source, sink):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk or self.mode == "dead":
                    break
                if self.mode == "slow":
                    eventlet.sleep(self.delay)
                sink.sendall(chunk)
        except (OSError, EOFError):  # eventlet raises EOFError on a socket closed under it
            pass
        finally:
            for sock in (source, sink):
                self.connections.discard(sock)
                _close(sock)

    def close(self):
        self.server.kill()
        self.set("dead")
        _close(self.listener)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
