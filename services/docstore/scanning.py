"""Virus scan through clamd's INSTREAM command (the file is sent over the socket, so clamd
needs no access to our spool). Under eventlet the socket is green: a scan does not block the
other requests. clamd unreachable, or answering anything but a verdict, is ScannerDown: the
caller stores nothing it could not scan."""
import socket
import struct

CHUNK = 64 * 1024


class ScannerDown(Exception):
    """clamd cannot be reached or did not give a verdict."""


def _connect(address, timeout):
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address
    else:
        host, _, port = address.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host or "127.0.0.1", int(port))
    sock.settimeout(timeout)
    sock.connect(target)
    return sock


def scan(handle, address, timeout):
    """None for a clean file, else the name of what clamd found. `handle` is a binary file
    read from its current position to its end."""
    try:
        sock = _connect(address, timeout)
    except OSError as exc:
        raise ScannerDown(f"clamd unreachable at {address}: {exc}") from exc
    try:
        sock.sendall(b"zINSTREAM\0")
        while chunk := handle.read(CHUNK):
            sock.sendall(struct.pack(">I", len(chunk)) + chunk)
        sock.sendall(struct.pack(">I", 0))
        answer = b""
        while not answer.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    except OSError as exc:
        raise ScannerDown(f"clamd stopped answering: {exc}") from exc
    finally:
        sock.close()
    return verdict(answer.rstrip(b"\0").decode("utf-8", "replace"))


def verdict(answer):
    """clamd's "stream: OK" / "stream: <name> FOUND" / "... ERROR"."""
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream: ").removesuffix(" FOUND").strip()
    if answer == "stream: OK":
        return None
    raise ScannerDown(f"clamd gave no verdict: {answer[:200]}")


def ping(address, timeout=2.0):
    """True when clamd answers PING (readiness)."""
    try:
        sock = _connect(address, timeout)
        try:
            sock.sendall(b"zPING\0")
            return sock.recv(16).rstrip(b"\0") == b"PONG"
        finally:
            sock.close()
    except OSError:
        return False
