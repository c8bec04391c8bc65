"""RabbitMQ's side of a backup: the definitions of one virtual host (its queues, exchanges,
bindings, policies, the permissions on it and the users they name, with their password
hashes) exported and imported through the management API. Messages are not in it: what a
restore needs again, the outboxes publish (tooling/backup/store.py)."""
import base64
import json
import urllib.error
import urllib.request
from urllib.parse import quote, unquote, urlsplit

VHOST_KEYS = ("permissions", "topic_permissions", "parameters", "policies", "queues",
              "exchanges", "bindings")


class BrokerError(Exception):
    pass


def vhost_of(amqp_uri):
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def with_vhost(amqp_uri, vhost):
    parts = urlsplit(amqp_uri)
    return parts._replace(path="/" + quote(vhost, safe="")).geturl()


def management_url(amqp_uri):
    """The management API beside an AMQP URI, with its credentials: http(s)://host:1567x."""
    parts = urlsplit(amqp_uri)
    tls = parts.scheme == "amqps"
    netloc = parts.netloc.rpartition("@")[0]
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return (f"{'https' if tls else 'http'}://{netloc + '@' if netloc else ''}"
            f"{host or 'localhost'}:{15671 if tls else 15672}")


class Management:
    def __init__(self, url, timeout=30):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BrokerError(f"management URL must be http(s)://user:pass@host:port, not {url!r}")
        self.base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/api"
        credentials = f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
        self.auth = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.timeout = timeout

    def request(self, method, path, document=None):
        body = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(self.base + path, data=body, method=method, headers={
            "Authorization": self.auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            raise BrokerError(f"management API: {method} {path}: {exc.code} {detail}") from exc
        except OSError as exc:
            raise BrokerError(f"management API at {self.base} unreachable: {exc}") from exc
        return json.loads(text) if text.strip() else None


def export_vhost(management, vhost):
    """The definitions of `vhost` alone, with the users its permissions name."""
    everything = management.request("GET", "/definitions")
    if not any(v["name"] == vhost for v in everything.get("vhosts", [])):
        raise BrokerError(f"no virtual host {vhost!r} on the broker")
    kept = {key: [item for item in everything.get(key, []) if item.get("vhost") == vhost]
            for key in VHOST_KEYS}
    named = {p["user"] for p in kept["permissions"] + kept["topic_permissions"]}
    return {
        "rabbit_version": everything.get("rabbit_version"),
        "vhosts": [v for v in everything["vhosts"] if v["name"] == vhost],
        "users": [u for u in everything.get("users", []) if u["name"] in named],
        **kept,
    }


def import_vhost(management, document, vhost):
    """The exported definitions into `vhost` (created when missing). A user that exists
    already keeps its password and tags: only missing users come from the backup."""
    existing = {user["name"] for user in management.request("GET", "/users")}
    moved = {key: [{**item, "vhost": vhost} for item in document.get(key, [])]
             for key in VHOST_KEYS}
    source = (document.get("vhosts") or [{}])[0]
    management.request("POST", "/definitions", {
        "rabbit_version": document.get("rabbit_version"),
        "vhosts": [{**source, "name": vhost}],
        "users": [u for u in document.get("users", []) if u["name"] not in existing],
        **moved,
    })
    return {key: len(items) for key, items in moved.items()}


def broker_version(management):
    return management.request("GET", "/overview").get("rabbitmq_version")
