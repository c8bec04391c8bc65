"""An HTTP proxy on both of notify's links with Kannel, to put a crash exactly between the
gateway's acceptance of an SMS and notify's record of it, with no hook in notify's code.

- `sendsms` face (notify → Kannel): passes requests on; in `hold` it still passes them on
  (Kannel accepts, the SMS goes out) but keeps Kannel's answer from notify until `pass`.
  A Kannel that cannot be reached is answered 503; one that fails once it has the request
  gets notify's connection closed unanswered, as notify would see it without the proxy. With
  `--handed FILE` the text of every SMS handed to Kannel (accepted, or its answer lost) is
  appended to FILE (JSON lines): what notify sent, to count against what reached the SMSC.
- `dlr` face (Kannel → notify, the delivery reports): in `down` it answers 503 without
  passing the report on, as a notify that is not there would; Kannel tries it again later.

It runs as its own process with plain threads (the tests are monkey-patched by eventlet) and
is steered by lines on its stdin, each answered once in force:

    python -m tests.notify.gateway_proxy SENDSMS_URL NOTIFY_URL  # prints its two ports
"""
import argparse
import http.client
import json
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Faces:
    """The state both faces share: modes, the answers held, how many were ever held."""

    def __init__(self, handed_file=None):
        self.handed_file = handed_file
        self.sendsms, self.dlr = "pass", "pass"
        self.released = threading.Event()
        self.released.set()
        self.held_total = 0
        self.lock = threading.Lock()

    def command(self, line):
        face, _, mode = line.strip().partition(" ")
        if face == "held":
            with self.lock:
                return str(self.held_total)
        if face == "sendsms" and mode in ("hold", "pass"):
            self.sendsms = mode
            (self.released.clear if mode == "hold" else self.released.set)()
        elif face == "dlr" and mode in ("down", "pass"):
            self.dlr = mode
        else:
            return f"unknown command {line.strip()!r}"
        return "ok"

    def handed(self, path):
        """Kannel has the SMS of this sendsms request: its text noted."""
        if self.handed_file:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            line = json.dumps({"to": query.get("to", [""])[0], "text": query.get("text", [""])[0]})
            with self.lock, open(self.handed_file, "a", encoding="utf-8") as out:
                out.write(line + "\n")


def forwarding_handler(faces, face, target):
    """A request handler passing GETs on to `target` (scheme://host:port) as `face` allows."""
    upstream = urllib.parse.urlsplit(target)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's name
            if face == "dlr" and faces.dlr == "down":
                self._answer(503, b"notify is not there")
                return
            answer = self._forward()
            if face == "sendsms" and (answer is None or answer[0] == 202):
                faces.handed(self.path)
            if answer is None:
                self.close_connection = True  # the request went, its answer is lost
                return
            status, body = answer
            if face == "sendsms" and faces.sendsms == "hold":
                with faces.lock:
                    faces.held_total += 1
                faces.released.wait()
            self._answer(status, body)

        def _forward(self):
            """(status, body) of the upstream's answer; 503 when it cannot be reached, None
            when it failed once it had the request."""
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            try:
                connection.connect()
            except OSError as exc:
                return 503, f"upstream unreachable: {type(exc).__name__}".encode()
            try:
                connection.request("GET", self.path)
                response = connection.getresponse()
                return response.status, response.read()
            except OSError:
                return None
            finally:
                connection.close()

        def _answer(self, status, body):
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client is gone (killed while its answer was held)

        def log_message(self, *args):
            pass

    return Handler


class GatewayProxy:
    """The proxy process, from a test: `.sendsms_url(path)`, `.dlr_url`, `.set(face, mode)`,
    `.held()` (answers ever held), `.close()`."""

    def __init__(self, sendsms_url, notify_url, handed_file=None):
        options = ["--handed", str(handed_file)] if handed_file else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.notify.gateway_proxy", sendsms_url, notify_url,
             *options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        sendsms_port, dlr_port = map(int, self.process.stdout.readline().split())
        path = urllib.parse.urlsplit(sendsms_url).path
        self.sendsms_url = f"http://127.0.0.1:{sendsms_port}{path}"
        self.dlr_url = f"http://127.0.0.1:{dlr_port}"

    def _ask(self, line):
        self.process.stdin.write(line + "\n")
        answer = self.process.stdout.readline().strip()
        if not answer or answer.startswith("unknown"):
            raise RuntimeError(f"gateway proxy: {line!r} → {answer!r}")
        return answer

    def set(self, face, mode):
        self._ask(f"{face} {mode}")

    def held(self):
        return int(self._ask("held"))

    def close(self):
        self.process.kill()
        self.process.wait()


def handed_texts(path):
    """[(to, text)] of the SMS handed to Kannel, from the proxy's --handed file."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(entry["to"], entry["text"]) for entry in map(json.loads, lines)]


def serve(faces, face, target):
    server = ThreadingHTTPServer(("127.0.0.1", 0), forwarding_handler(faces, face, target))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sendsms_url", help="Kannel's sendsms URL")
    parser.add_argument("notify_url", help="notify's base URL, where reports go")
    parser.add_argument("--handed", help="append the SMS handed to Kannel to this file")
    args = parser.parse_args()
    faces = Faces(args.handed)
    kannel = urllib.parse.urlsplit(args.sendsms_url)
    ports = (serve(faces, "sendsms", f"{kannel.scheme}://{kannel.netloc}"),
             serve(faces, "dlr", args.notify_url))
    print(*ports, flush=True)
    for line in sys.stdin:
        print(faces.command(line), flush=True)


if __name__ == "__main__":
    main()
