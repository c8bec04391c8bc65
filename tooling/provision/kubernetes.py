"""The Kubernetes workloads of every service and relay, generated from the DEPLOYED table:
`python -m tooling.provision.kubernetes` rewrites deploy/k8s/base/workloads.yaml and
prometheusrule.yaml (the alert rules, tooling/provision/alerts.py) and the data tier's
per-service files (tooling/provision/datatier.py); a test fails when they are stale."""
from dataclasses import dataclass

import yaml

from tooling import ROOT

from .alerts import prometheus_rule

K8S_BASE = ROOT / "deploy" / "k8s" / "base"


@dataclass(frozen=True)
class Deployed:
    """One service as deployed (DESIGN.md): its nameko class, HTTP port, relay metrics port,
    whether it scales on the depth of its event queues, the settings that name another
    service's address inside the cluster, and the keys of the Secret `motcua-keys` given to
    it alone (the lookup secret's: only the services that use a key can read it)."""
    name: str
    service_class: str
    http_port: int
    relay_port: int
    queue_scaled: bool = False
    env: tuple = ()
    keys: tuple = ()


# Every service of DESIGN.md, including those still being built: a merged service needs no
# edit here as long as its config.yml uses these ports (a test compares them).
DEPLOYED = (
    Deployed("intake", "IntakeService", 8001, 9101,
             keys=("LOOKUP_PEPPER", "NOTIFY_SECRET_KEY")),
    Deployed("routing", "RoutingService", 8002, 9102, queue_scaled=True,
             keys=("LOOKUP_PEPPER",)),
    Deployed("notify", "NotifyService", 8003, 9103, queue_scaled=True,
             keys=("NOTIFY_SECRET_KEY",)),
    Deployed("payment", "PaymentService", 8004, 9104),
    Deployed("postal", "PostalService", 8005, 9105),
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


KEYS_SECRET = "motcua-keys"


def _container(name, command, port_name, port, env, probes, resources, keys=()):
    return {
        "name": name, "image": IMAGE, "command": command,
        "ports": [{"name": port_name, "containerPort": port}],
        "envFrom": [{"configMapRef": {"name": "motcua-config"}},
                    {"secretRef": {"name": "motcua-secrets"}}],
        "env": [{"name": key, "value": value} for key, value in env.items()]
        + [{"name": key, "valueFrom": {"secretKeyRef": {"name": KEYS_SECRET, "key": key}}}
           for key in keys],
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
            service_resources, service.keys,
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
