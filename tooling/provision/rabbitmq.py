"""RabbitMQ definitions for the departments, generated from the procedure catalogue.

`motcua departments provision` writes deploy/rabbitmq/definitions.json (and with `--apply`
imports it through the management API): the vhost, the `motcua.departments` exchange, each
department's durable quorum queue and binding (the same arguments `motcua catalogue load`
declares), the dead-letter queue, policies, and one RabbitMQ user per department that may
read its own queue and nothing else. Adding a department is one catalogue row and a rerun.

Permissions (RabbitMQ's configure/write/read regular expressions on resource names):
configure `^$` (cannot declare or delete anything), write `^$` (cannot publish to any
exchange, the default one included: it is checked as `amq.default`), read
`^department\\.<code>$` (basic.consume and basic.get need read on the queue).

Two more users keep the event log (`motcua.event_log`, which holds the citizens' personal
data for its retention) from everyone but operations: `motcua`, the services' and relays'
own user (AMQP_URI), may configure, write and read everything except read the event log;
`motcua-operations` may read the event log and nothing else. A broker that imports these
definitions at boot (deploy/k8s/components/rabbitmq) seeds no default user, so two more are
here: `motcua-admin` (tag administrator: the management UI, `--apply`) and
`motcua-monitoring` (tag monitoring, access to the vhost but to no queue or exchange in it:
the queue depths KEDA reads over the management API).

Passwords are never committed: the generated file has password-less users (nobody can log
in as them) unless `--passwords FILE` gives `{code or user: password}` (the four users above
by their names); then the salted SHA-256 hashes RabbitMQ expects are
written instead, for a file kept out of git or for `--apply`.
"""
import base64
import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from services.common.consumer import DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE_ARGUMENTS
from services.common.events import DEPARTMENTS_EXCHANGE
from services.common.topology import (
    DEPARTMENT_DELIVERY_LIMIT,
    EVENT_LOG,
    department_queue_arguments,
    department_queue_name,
)
from tooling import ROOT

DEFINITIONS_FILE = ROOT / "deploy" / "rabbitmq" / "definitions.json"
USER_PREFIX = "department-"
SERVICES_USER = "motcua"
OPERATIONS_USER = "motcua-operations"
ADMIN_USER = "motcua-admin"
MONITORING_USER = "motcua-monitoring"
SYSTEM_USERS = {SERVICES_USER: [], OPERATIONS_USER: [], ADMIN_USER: ["administrator"],
                MONITORING_USER: ["monitoring"]}  # name: tags
HASHING = "rabbit_password_hashing_sha256"
DEAD_LETTER_MAX_LENGTH = 1_000_000


class ProvisionError(Exception):
    pass


def department_user(code, prefix=USER_PREFIX):
    return f"{prefix}{code}"


def password_hash(password, salt=None):
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def read_passwords(path):
    """{department code: password} from a JSON or YAML file; each a non-empty string."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProvisionError(f"cannot read passwords file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ProvisionError(f"{path}: expected a mapping of department code to password")
    for code, password in data.items():
        if not isinstance(password, str) or len(password) < 12:
            raise ProvisionError(f"{path}: password of {code!r} must be a string of 12+ characters")
    return {str(code): password for code, password in data.items()}


def _user(name, password, tags=()):
    return {"name": name, "password_hash": password_hash(password) if password else "",
            "hashing_algorithm": HASHING, "tags": list(tags)}


def system_permissions(vhost, prefix=""):
    """{user: permissions} of the system users. The monitoring user's give access to the
    vhost (the management API shows its queues only then) and to no resource in it."""
    event_log = re.escape(EVENT_LOG)
    return {
        f"{prefix}{ADMIN_USER}": {"user": f"{prefix}{ADMIN_USER}", "vhost": vhost,
                                  "configure": ".*", "write": ".*", "read": ".*"},
        f"{prefix}{MONITORING_USER}": {"user": f"{prefix}{MONITORING_USER}", "vhost": vhost,
                                       "configure": "^$", "write": "^$", "read": "^$"},
        f"{prefix}{SERVICES_USER}": {"user": f"{prefix}{SERVICES_USER}", "vhost": vhost,
                                     "configure": ".*", "write": ".*",
                                     "read": f"^(?!{event_log}$).*"},
        f"{prefix}{OPERATIONS_USER}": {"user": f"{prefix}{OPERATIONS_USER}", "vhost": vhost,
                                       "configure": "^$", "write": "^$",
                                       "read": f"^{event_log}$"},
    }


def definitions(departments, vhost="/", passwords=None, user_prefix=USER_PREFIX,
                system_prefix=""):
    """The RabbitMQ definitions document for these department codes (`user_prefix` and
    `system_prefix` name the users: a test imports them beside the real ones)."""
    passwords = passwords or {}
    unknown = sorted(set(passwords) - set(departments) - set(SYSTEM_USERS))
    if unknown:
        raise ProvisionError(f"passwords given for departments not in the catalogue: {unknown}")
    codes = sorted(departments)
    users, permissions, queues, bindings = [], [], [], []
    for name, tags in SYSTEM_USERS.items():
        users.append(_user(f"{system_prefix}{name}", passwords.get(name), tags))
    permissions += system_permissions(vhost, system_prefix).values()
    for code in codes:
        queue = department_queue_name(code)
        user = department_user(code, user_prefix)
        users.append(_user(user, passwords.get(code)))
        permissions.append({
            "user": user, "vhost": vhost,
            "configure": "^$", "write": "^$", "read": f"^{re.escape(queue)}$",
        })
        queues.append({"name": queue, "vhost": vhost, "durable": True, "auto_delete": False,
                       "arguments": department_queue_arguments()})
        bindings.append({"source": DEPARTMENTS_EXCHANGE, "vhost": vhost, "destination": queue,
                         "destination_type": "queue", "routing_key": f"{code}.#",
                         "arguments": {}})
    return {
        "rabbit_version": "3.10.0",
        "vhosts": [{"name": vhost}],
        "users": users,
        "permissions": permissions,
        "exchanges": [{"name": DEPARTMENTS_EXCHANGE, "vhost": vhost, "type": "topic",
                       "durable": True, "auto_delete": False, "internal": False,
                       "arguments": {}}],
        "queues": [{"name": DEAD_LETTER_QUEUE, "vhost": vhost, "durable": True,
                    "auto_delete": False, "arguments": DEAD_LETTER_QUEUE_ARGUMENTS}] + queues,
        "bindings": bindings,
        "policies": [
            {
                # A safety net under the queue arguments (which take precedence): a department
                # queue declared by hand still dead-letters instead of redelivering for ever.
                "vhost": vhost, "name": "department-queues",
                "pattern": r"^department\.", "apply-to": "queues", "priority": 0,
                "definition": {"delivery-limit": DEPARTMENT_DELIVERY_LIMIT,
                               "dead-letter-exchange": "",
                               "dead-letter-routing-key": DEAD_LETTER_QUEUE,
                               "dead-letter-strategy": "at-least-once",
                               "overflow": "reject-publish"},
            },
            {
                # The dead-letter queue is read by people: bound it so a flood cannot fill the
                # broker's disk; publishers are refused (and retry) rather than messages lost.
                "vhost": vhost, "name": "dead-letters-bound",
                "pattern": f"^{re.escape(DEAD_LETTER_QUEUE)}$", "apply-to": "queues",
                "priority": 0,
                "definition": {"max-length": DEAD_LETTER_MAX_LENGTH,
                               "overflow": "reject-publish"},
            },
        ],
    }


def write_definitions(document, path=DEFINITIONS_FILE):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def apply_definitions(document, management_url, timeout=30):
    """POST the definitions to the management API (http://user:pass@host:15672).

    Users are global in RabbitMQ: importing a password-less user would wipe the password of
    an existing one, so every user must have a password here."""
    import urllib.error
    import urllib.request

    missing = [user["name"] for user in document["users"] if not user["password_hash"]]
    if missing:
        raise ProvisionError(f"--apply needs --passwords for every user; missing: {missing}")
    parts = urlsplit(management_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProvisionError(
            f"management URL {management_url!r} must be http(s)://user:pass@host:port"
        )
    url = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api/definitions"
    credentials = f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
    request = urllib.request.Request(
        url, data=json.dumps(document).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace")
        raise ProvisionError(f"management API refused the definitions: {exc.code} {detail}") from exc
    except OSError as exc:
        raise ProvisionError(f"management API at {url} unreachable: {exc}") from exc
