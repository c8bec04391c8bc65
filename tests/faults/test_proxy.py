"""The fault suite's broker proxy does what it is told, when it is told: each `set` returns
with its mode in force, and the last mode set is the one that stays (issue 20: the proxy
stayed dead after being set back to pass, and the suite ended with dossiers never routed)."""
import socket
import time

import eventlet
import pytest

from tests.faults.proxy import FaultyProxy

pytestmark = pytest.mark.faults

DELAY = 0.3


@pytest.fixture
def echo_port():
    """A server that sends every byte back: what passes through the proxy comes back."""
    listener = eventlet.listen(("127.0.0.1", 0))

    def echo(conn):
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    server = eventlet.spawn(lambda: [eventlet.spawn(echo, conn)
                                     for conn, _ in iter(listener.accept, None)])
    yield listener.getsockname()[1]
    server.kill()
    listener.close()


@pytest.fixture
def proxy(echo_port):
    running = FaultyProxy(echo_port, delay=DELAY)
    yield running
    running.close()


def connect(proxy):
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=2)


def echoes(sock, payload=b"ping"):
    """True when the payload comes back, False when the proxy closed the connection."""
    try:
        sock.sendall(payload)
        return sock.recv(len(payload)) == payload
    except OSError:
        return False


def answers(proxy):
    with connect(proxy) as sock:
        return echoes(sock)


def test_each_mode_is_in_force_when_set_returns(proxy):
    with connect(proxy) as sock:
        assert echoes(sock)
        proxy.set("slow")
        started = time.monotonic()
        assert echoes(sock)
        assert time.monotonic() - started >= DELAY
        proxy.set("dead")
        assert not echoes(sock)  # the open connection was cut
    assert not answers(proxy)  # and a new one is refused
    proxy.set("pass")
    assert answers(proxy)


def test_the_last_mode_set_stays_however_fast_modes_follow_each_other(proxy):
    """Clients connect all the time while the proxy is cut and restored: after every `pass`
    a new connection gets through, after every `dead` none does (the old proxy, steered by
    signals, sometimes stayed dead or stopped accepting altogether)."""
    stop = False

    def reconnecting_client():
        while not stop:
            try:
                with connect(proxy) as sock:
                    echoes(sock)
            except OSError:
                eventlet.sleep(0.001)

    clients = [eventlet.spawn(reconnecting_client) for _ in range(8)]
    try:
        for _ in range(100):
            proxy.set("dead")
            assert not answers(proxy)
            proxy.set("pass")
            assert answers(proxy)
    finally:
        stop = True
        for client in clients:
            client.wait()


def test_an_unknown_mode_is_refused(proxy):
    with pytest.raises(ValueError):
        proxy.set("flaky")
    assert answers(proxy)


def test_closing_ends_the_process(echo_port):
    running = FaultyProxy(echo_port)
    running.close()
    assert running.process.returncode is not None
