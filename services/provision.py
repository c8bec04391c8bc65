"""Provisioning: what a deployment is made of, generated from the code and the catalogue.

- RabbitMQ definitions for the departments (below), `motcua departments provision`;
- the Kubernetes workloads of every service and relay and the PrometheusRule
  (`python -m services.provision` rewrites deploy/k8s/base/workloads.yaml and
  prometheusrule.yaml; a test fails when they are stale);
- `motcua docs` (the API documents, services/common/apidocs.py).

RabbitMQ definitions for the departments, generated from the procedure catalogue.

`motcua departments provision` writes deploy/rabbitmq/definitions.json (and with `--apply`
imports it through the management API): the vhost, the `motcua.departments` exchange, each
department's durable quorum queue and binding (the same arguments `motcua catalogue load`
declares), the dead-letter queue, policies, and one RabbitMQ user per department that may
read its own queue and nothing else. Adding a department is one catalogue row and a rerun.

Permissions (RabbitMQ's configure/write/read regular expressions on resource names):
configure `^$` (cannot declare or delete anything), write `^$` (cannot publish to any
exchange, the default one included: it is checked as `amq.default`), read
`^department\\.<code>$` (basic.consume and basic.get need read on the queue).

Passwords are never committed: the generated file has password-less users (nobody can log
in as them) unless `--passwords FILE` gives `{code: password}`; then the salted SHA-256
hashes RabbitMQ expects are written instead, for a file kept out of git or for `--apply`.
"""
import base64
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.events import DEPARTMENTS_EXCHANGE
from services.common.topology import (
    DEPARTMENT_DELIVERY_LIMIT,
    department_queue_arguments,
    department_queue_name,
)

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS_FILE = ROOT / "deploy" / "rabbitmq" / "definitions.json"
USER_PREFIX = "department-"
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
    import yaml

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


def definitions(departments, vhost="/", passwords=None, user_prefix=USER_PREFIX):
    """The RabbitMQ definitions document for these department codes."""
    passwords = passwords or {}
    unknown = sorted(set(passwords) - set(departments))
    if unknown:
        raise ProvisionError(f"passwords given for departments not in the catalogue: {unknown}")
    codes = sorted(departments)
    users, permissions, queues, bindings = [], [], [], []
    for code in codes:
        queue = department_queue_name(code)
        user = department_user(code, user_prefix)
        users.append({
            "name": user,
            "password_hash": password_hash(passwords[code]) if code in passwords else "",
            "hashing_algorithm": HASHING,
            "tags": [],
        })
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
                    "auto_delete": False, "arguments": {}}] + queues,
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
        raise ProvisionError(f"--apply needs --passwords for every department; missing: {missing}")
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


# --- commands (services/cli.py) ---------------------------------------------------------------
def _catalogue_departments(path):
    from services.intake.catalogue import DEFAULT_FILE, CatalogueError, read_catalogue

    path = path or DEFAULT_FILE
    try:
        return sorted(read_catalogue(path)["departments"])
    except CatalogueError as exc:
        print(f"catalogue {path} rejected:", *(f"  - {p}" for p in exc.problems),
              sep="\n", file=sys.stderr)
        return None


def provision_command(args):
    """`motcua departments provision`: print, write (-o) and/or apply the definitions."""
    departments = _catalogue_departments(args.catalogue)
    if departments is None:
        return 2
    try:
        passwords = read_passwords(args.passwords) if args.passwords else None
        document = definitions(departments, vhost=args.vhost, passwords=passwords)
        if args.output:
            print(f"definitions written to {write_definitions(document, args.output)}")
        elif not args.apply:
            print(json.dumps(document, indent=2, ensure_ascii=False))
        if args.apply:
            apply_definitions(document, args.apply)
            print(f"definitions applied: {len(departments)} department queues and users")
    except ProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def docs_command(args):
    """`motcua docs`: the OpenAPI and AsyncAPI documents into docs/."""
    from services.common.apidocs import write_docs

    departments = _catalogue_departments(args.catalogue)
    if departments is None:
        return 2
    for path in write_docs(departments):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


# --- Kubernetes workloads -----------------------------------------------------------------
K8S_BASE = ROOT / "deploy" / "k8s" / "base"
PROMETHEUS_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"


@dataclass(frozen=True)
class Deployed:
    """One service as deployed (DESIGN.md): its nameko class, HTTP port, relay metrics port,
    whether it scales on the depth of its event queues, and the settings that name another
    service's address inside the cluster."""
    name: str
    service_class: str
    http_port: int
    relay_port: int
    queue_scaled: bool = False
    env: tuple = ()


# Every service of DESIGN.md, including those still being built: a merged service needs no
# edit here as long as its config.yml uses these ports (a test compares them).
DEPLOYED = (
    Deployed("intake", "IntakeService", 8001, 9101),
    Deployed("routing", "RoutingService", 8002, 9102, queue_scaled=True),
    Deployed("notify", "NotifyService", 8003, 9103, queue_scaled=True),
    Deployed("payment", "PaymentService", 8004, 9104),
    # postal reads intake's public catalogue over HTTP (its Service, not localhost)
    Deployed("postal", "PostalService", 8005, 9105,
             env=(("INTAKE_URL", "http://motcua-intake:8001"),)),
)
IMAGE = "motcua"
RUN_AS = 10001
# Handlers are single database transactions of well under a second; HTTP bodies are 64 KiB.
# nameko waits for running workers on SIGTERM: 45 s covers the slowest with a wide margin.
GRACE_SECONDS = 45
PRESTOP_SECONDS = 10  # let the Service drop the pod from its endpoints before SIGTERM


def _labels(name, component):
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}


def _security():
    return {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def _container(name, command, port_name, port, env, probes, resources):
    return {
        "name": name, "image": IMAGE, "command": command,
        "ports": [{"name": port_name, "containerPort": port}],
        "envFrom": [{"configMapRef": {"name": "motcua-config"}},
                    {"secretRef": {"name": "motcua-secrets"}}],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        **probes,
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        "resources": resources,
        "securityContext": _security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _deployment(name, component, container, replicas):
    labels = _labels(name, component)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": GRACE_SECONDS,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS,
                                        "fsGroup": RUN_AS},
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def _service(name, component, port_name, port):
    labels = _labels(name, component)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
            "spec": {"selector": labels,
                     "ports": [{"name": port_name, "port": port, "targetPort": port_name}]}}


def _pdb(name, component):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "labels": _labels(name, component)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(name, component)}}}


def _http_get(path, port, period, failures):
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period,
            "timeoutSeconds": 3, "failureThreshold": failures}


def _scaled_object(service):
    name = f"motcua-{service.name}"
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name, "labels": _labels(name, "service")},
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": 2, "maxReplicaCount": 10,
            "cooldownPeriod": 300,
            "triggers": [{
                "type": "rabbitmq",
                # every event queue this service consumes (named by topology.event_queue_name)
                "metadata": {"protocol": "http", "mode": "QueueLength", "value": "200",
                             "useRegex": "true", "operation": "sum",
                             "queueName": f"^evt-.*--{service.name}\\..*$",
                             "vhostName": "/"},
                "authenticationRef": {"name": "motcua-rabbitmq-management"},
            }],
        },
    }


def k8s_workloads():
    """Deployment, Service and PodDisruptionBudget of every service and relay, and the KEDA
    ScaledObjects, as a list of manifests (kustomize's base adds namespace and labels)."""
    manifests = []
    service_resources = {"requests": {"cpu": "100m", "memory": "192Mi"},
                         "limits": {"cpu": "1", "memory": "512Mi"}}
    relay_resources = {"requests": {"cpu": "50m", "memory": "96Mi"},
                       "limits": {"cpu": "500m", "memory": "256Mi"}}
    for service in DEPLOYED:
        name = f"motcua-{service.name}"
        container = _container(
            service.name,
            ["nameko", "run", "--config", f"services/{service.name}/config.yml",
             f"services.{service.name}.service:{service.service_class}"],
            "http", service.http_port,
            {f"{service.name.upper()}_HTTP": f"0.0.0.0:{service.http_port}", **dict(service.env)},
            {"startupProbe": _http_get("/health", "http", 2, 30),
             "livenessProbe": _http_get("/health", "http", 10, 3),
             "readinessProbe": _http_get("/ready", "http", 5, 2)},
            service_resources,
        )
        manifests += [_deployment(name, "service", container, 2),
                      _service(name, "service", "http", service.http_port),
                      _pdb(name, "service")]
        relay = f"{name}-relay"
        container = _container(
            "relay", ["motcua", "relay", service.name], "metrics", service.relay_port,
            {f"{service.name.upper()}_RELAY_METRICS_PORT": str(service.relay_port)},
            {"livenessProbe": _http_get("/metrics", "metrics", 10, 3),
             "readinessProbe": _http_get("/metrics", "metrics", 10, 3)},
            relay_resources,
        )
        # Two relays share the outbox (FOR UPDATE SKIP LOCKED): one may be drained at a time.
        manifests += [_deployment(relay, "relay", container, 2),
                      _service(relay, "relay", "metrics", service.relay_port),
                      _pdb(relay, "relay")]
    manifests += [_scaled_object(service) for service in DEPLOYED if service.queue_scaled]
    return manifests


def prometheus_rule():
    """The PrometheusRule carrying deploy/prometheus/alerts.yml unchanged."""
    import yaml

    groups = yaml.safe_load(PROMETHEUS_RULES.read_text(encoding="utf-8"))["groups"]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "motcua", "labels": {"app.kubernetes.io/name": "motcua"}},
            "spec": {"groups": groups}}


GENERATED_HEADER = ("# Generated by `python -m services.provision` from services/provision.py "
                    "(and deploy/prometheus/alerts.yml): edit those, not this file.\n")


def k8s_files():
    import yaml

    def dump(documents):
        return GENERATED_HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=110)

    return {K8S_BASE / "workloads.yaml": dump(k8s_workloads()),
            K8S_BASE / "prometheusrule.yaml": dump([prometheus_rule()])}


if __name__ == "__main__":
    for path, text in k8s_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
