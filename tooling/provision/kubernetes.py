"""The Kubernetes workloads of every service and relay, generated from the DEPLOYED table and
the services' settings (config.yml):
`python -m tooling.provision.kubernetes` rewrites deploy/k8s/base/workloads.yaml and
prometheusrule.yaml (the alert rules, tooling/provision/alerts.py) and the data tier's
per-service files (tooling/provision/datatier.py); a test fails when they are stale."""
import re
from dataclasses import dataclass

import yaml

from services.common.config import config_path
from tooling import ROOT

from .alerts import prometheus_rule

K8S_BASE = ROOT / "deploy" / "k8s" / "base"


@dataclass(frozen=True)
class Deployed:
    """One service as deployed (DESIGN.md): its nameko class, HTTP port, relay metrics port,
    whether it scales on the depth of its event queues, the settings that name another
    service's address inside the cluster, and the keys of the Secret `motcua-keys` given to
    it alone (the lookup secret's: only the services that use a key can read it). A service
    that publishes no event (the desk) has no relay (`relay_port` None). `settings`: prefixes
    of the environment variables of its config.yml that the Deployment sets (a province's
    own values go in its overlay): a secret one (`*_SECRET`) as an optional reference to
    `motcua-keys` (the feature stays off without it), the others with config.yml's default."""
    name: str
    service_class: str
    http_port: int
    relay_port: int | None
    queue_scaled: bool = False
    env: tuple = ()
    keys: tuple = ()
    settings: tuple = ()


# Every service of DESIGN.md, including those still being built: a merged service needs no
# edit here as long as its config.yml uses these ports (a test compares them).
DEPLOYED = (
    Deployed("intake", "IntakeService", 8001, 9101,
             keys=("LOOKUP_PEPPER", "NOTIFY_SECRET_KEY")),
    Deployed("routing", "RoutingService", 8002, 9102, queue_scaled=True,
             keys=("LOOKUP_PEPPER",)),
    Deployed("notify", "NotifyService", 8003, 9103, queue_scaled=True,
             keys=("NOTIFY_SECRET_KEY",), settings=("NOTIFY_EVALUATION_URL",)),
    Deployed("payment", "PaymentService", 8004, 9104, settings=("DVCQG_PAY_", "VNPAY_")),
    Deployed("postal", "PostalService", 8005, 9105),
    Deployed("desk", "DeskService", 8006, None,
             env=(("INTAKE_URL", "http://motcua-intake:8001"),
                  ("ROUTING_URL", "http://motcua-routing:8002"),
                  ("NOTIFY_URL", "http://motcua-notify:8003"),
                  ("PAYMENT_URL", "http://motcua-payment:8004"),
                  ("NATIONALPORTAL_URL", "http://motcua-nationalportal:8007"),
                  ("POSTAL_URL", "http://motcua-postal:8005"),
                  ("DOCSTORE_URL", "http://motcua-docstore:8008"),
                  ("DESK_SECURE_COOKIES", "true")),
             settings=("DESK_TRUSTED_PROXIES",)),
    Deployed("nationalportal", "NationalPortalService", 8007, 9107,
             env=(("INTAKE_URL", "http://motcua-intake:8001"),)),
    Deployed("docstore", "DocstoreService", 8008, 9108,
             env=(("CLAMD_ADDRESS", "motcua-clamd:3310"),), keys=("LOOKUP_PEPPER",)),
)


@dataclass(frozen=True)
class Worker:
    """A service's worker process without eventlet (a plain consumer of its job queue):
    its module, metrics port and queue, scaled on that queue's depth."""
    service: str
    module: str
    metrics_port: int
    queue: str
    tmp_size: str = "1Gi"


WORKERS = (Worker("docstore", "services.docstore.worker", 9118, "docstore.jobs"),)
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


KEYS_SECRET = "motcua-keys"
# `KEY: ${ENV_VAR:default}` in a config.yml, or `KEY: !raw_env_var "${ENV_VAR:default}"`
# (a value kept as text)
CONFIG_SETTING = re.compile(
    r'^\w+:\s*(?:!raw_env_var\s+")?\$\{(?P<var>\w+):(?P<default>[^}]*)\}', re.MULTILINE)


def _settings_env(service):
    """The env entries of the service's config.yml variables named by its `settings`
    prefixes, in the file's order."""
    text = config_path(service.name).read_text(encoding="utf-8")
    found = [(match["var"], match["default"]) for match in CONFIG_SETTING.finditer(text)
             if match["var"].startswith(service.settings)] if service.settings else []
    return [{"name": var, "valueFrom": {"secretKeyRef": {
                "name": KEYS_SECRET, "key": var, "optional": True}}}
            if var.endswith("_SECRET") else {"name": var, "value": default}
            for var, default in found]


def _container(name, command, port_name, port, env, probes, resources, keys=(), settings=()):
    return {
        "name": name, "image": IMAGE, "command": command,
        "ports": [{"name": port_name, "containerPort": port}],
        "envFrom": [{"configMapRef": {"name": "motcua-config"}},
                    {"secretRef": {"name": "motcua-secrets"}}],
        "env": [{"name": key, "value": value} for key, value in env.items()]
        + [{"name": key, "valueFrom": {"secretKeyRef": {"name": KEYS_SECRET, "key": key}}}
           for key in keys]
        + list(settings),
        **probes,
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        "resources": resources,
        "securityContext": _security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _deployment(name, component, container, replicas, tmp_size="64Mi"):
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
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": tmp_size}}],
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
    # every event queue this service consumes (named by topology.event_queue_name)
    return _queue_scaled(f"motcua-{service.name}", f"^evt-.*--{service.name}\\..*$", "true", 2)


def _queue_scaled(name, queue, regex, minimum, per_replica="200"):
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name, "labels": _labels(name, "service")},
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": minimum, "maxReplicaCount": 10,
            "cooldownPeriod": 300,
            "triggers": [{
                "type": "rabbitmq",
                "metadata": {"protocol": "http", "mode": "QueueLength", "value": per_replica,
                             "useRegex": regex, "operation": "sum",
                             "queueName": queue, "vhostName": "/"},
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
            service_resources, service.keys, _settings_env(service),
        )
        manifests += [_deployment(name, "service", container, 2),
                      _service(name, "service", "http", service.http_port),
                      _pdb(name, "service")]
        if service.relay_port is None:
            continue
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
    return manifests + _worker_manifests() + clamd_manifests()


def _worker_manifests():
    """Each worker: its Deployment (OCR needs CPU, memory and scratch space), metrics Service,
    PDB, and a ScaledObject on its job queue (a job takes seconds: a few per replica)."""
    manifests = []
    resources = {"requests": {"cpu": "500m", "memory": "512Mi"},
                 "limits": {"cpu": "2", "memory": "1536Mi"}}
    for worker in WORKERS:
        name = f"motcua-{worker.service}-worker"
        container = _container(
            "worker", ["python", "-m", worker.module], "metrics", worker.metrics_port,
            {f"{worker.service.upper()}_WORKER_METRICS_PORT": str(worker.metrics_port)},
            {"livenessProbe": _http_get("/metrics", "metrics", 10, 3),
             "readinessProbe": _http_get("/metrics", "metrics", 10, 3)},
            resources)
        manifests += [_deployment(name, "worker", container, 1, worker.tmp_size),
                      _service(name, "worker", "metrics", worker.metrics_port),
                      _pdb(name, "worker"),
                      _queue_scaled(name, worker.queue, "false", 1, "5")]
    return manifests


# clamd, the virus scanner docstore streams every upload to (CLAMD_ADDRESS), from the same
# image (Debian's clamav-daemon): freshclam fills the database before clamd starts, then keeps
# it current beside it and tells clamd to reload. A province without Internet access points
# DatabaseMirror (or PrivateMirror) of the ConfigMap at its own mirror.
CLAMD = "motcua-clamd"
CLAMD_PORT = 3310
CLAMD_CONFIG_DIR = "/etc/motcua-clamd"
CLAMD_DATABASE_DIR = "/var/lib/clamav"
CLAMD_CONF = f"""Foreground yes
DatabaseDirectory {CLAMD_DATABASE_DIR}
TCPSocket {CLAMD_PORT}
TCPAddr 0.0.0.0
LogFile /dev/stdout
LogTime yes
PidFile /tmp/clamd.pid
TemporaryDirectory /tmp
# above DOCSTORE_MAX_UPLOAD_BYTES (20 MiB): a longer stream is refused, not cut
StreamMaxLength 32M
# a reload does not hold two databases in memory at once (scans wait for it instead)
ConcurrentDatabaseReload no
"""
FRESHCLAM_CONF = f"""Foreground yes
DatabaseDirectory {CLAMD_DATABASE_DIR}
DatabaseMirror database.clamav.net
UpdateLogFile /dev/stdout
LogTime yes
PidFile /tmp/freshclam.pid
Checks 12
"""


def _clamd_container(name, command, probes, resources, port=None):
    return {
        "name": name, "image": IMAGE, "command": command,
        **({"ports": [{"name": "clamd", "containerPort": port}]} if port else {}),
        **probes,
        **({"lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}}}
           if probes else {}),
        "resources": resources,
        "securityContext": _security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "database", "mountPath": CLAMD_DATABASE_DIR},
                         {"name": "config", "mountPath": CLAMD_CONFIG_DIR, "readOnly": True}],
    }


def clamd_manifests():
    """clamd's ConfigMap, Deployment (two replicas: an upload is refused with 503 while none
    answers), Service and PodDisruptionBudget. The full database takes about 1 GB of memory
    and a few minutes to load."""
    freshclam = ["freshclam", f"--config-file={CLAMD_CONFIG_DIR}/freshclam.conf"]
    scanning = {"requests": {"cpu": "200m", "memory": "1536Mi"},
                "limits": {"cpu": "1", "memory": "2560Mi"}}
    updating = {"requests": {"cpu": "20m", "memory": "64Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"}}
    listening = {"tcpSocket": {"port": "clamd"}, "timeoutSeconds": 3}
    clamd = _clamd_container(
        "clamd", ["clamd", f"--config-file={CLAMD_CONFIG_DIR}/clamd.conf"],
        {"startupProbe": {**listening, "periodSeconds": 10, "failureThreshold": 60},
         "livenessProbe": {**listening, "periodSeconds": 20, "failureThreshold": 3},
         "readinessProbe": {**listening, "periodSeconds": 10, "failureThreshold": 2}},
        scanning, CLAMD_PORT)
    running = {"exec": {"command": ["sh", "-c", "kill -0 \"$(cat /tmp/freshclam.pid)\""]},
               "periodSeconds": 60, "timeoutSeconds": 5, "failureThreshold": 3}
    updater = _clamd_container("freshclam", [*freshclam, "--daemon",
                                             f"--daemon-notify={CLAMD_CONFIG_DIR}/clamd.conf"],
                               {"livenessProbe": running, "readinessProbe": running}, updating)
    first_download = _clamd_container("database", freshclam, {}, updating)
    deployment = _deployment(CLAMD, "scanner", clamd, 2, "256Mi")
    pod = deployment["spec"]["template"]["spec"]
    pod["initContainers"] = [first_download]
    pod["containers"].append(updater)
    pod["volumes"] += [{"name": "database", "emptyDir": {"sizeLimit": "1Gi"}},
                       {"name": "config", "configMap": {"name": CLAMD}}]
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": CLAMD, "labels": _labels(CLAMD, "scanner")},
              "data": {"clamd.conf": CLAMD_CONF, "freshclam.conf": FRESHCLAM_CONF}}
    return [config, deployment, _service(CLAMD, "scanner", "clamd", CLAMD_PORT),
            _pdb(CLAMD, "scanner")]


GENERATED_HEADER = ("# Generated by `python -m tooling.provision.kubernetes` from tooling/provision/ "
                    "(and deploy/prometheus/alerts.yml): edit those, not this file.\n")


def k8s_files():
    from .datatier import component_files  # it reads DEPLOYED from here

    def dump(documents):
        return GENERATED_HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=110)

    return {K8S_BASE / "workloads.yaml": dump(k8s_workloads()),
            K8S_BASE / "prometheusrule.yaml": dump([prometheus_rule()]),
            **{path: dump(documents) for path, documents in component_files().items()}}


if __name__ == "__main__":
    for path, text in k8s_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
