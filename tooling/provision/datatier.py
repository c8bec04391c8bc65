"""The per-service parts of the data tier's kustomize components (deploy/k8s/components/),
generated from DEPLOYED by `python -m tooling.provision.kubernetes` (a test fails when stale):

postgresql/ - every service's role (CloudNativePG's managed roles, password from the Secret
  `motcua-db-<service>`) and its schema, owned by it (the Database resource); each service
  and its relay connect as that role to the cluster's read-write service, the server's
  certificate checked against the cluster's CA; the migration Job migrates each schema as
  its role, then declares the queues and loads the catalogue as intake.
rabbitmq/ - every motcua container trusts the bundle of the ConfigMap `motcua-trust-bundle`
  (the public CAs and the one that signed the broker's certificate): AMQP over TLS.
"""
from services.common.config import SERVICE_NAMES
from tooling import ROOT

from .kubernetes import DEPLOYED, RUN_AS, WORKERS

COMPONENTS = ROOT / "deploy" / "k8s" / "components"
DB_CLUSTER = "motcua-db"
DB_NAME = "motcua"
DB_OWNER = "motcua"
DB_CA_DIR = "/etc/motcua/postgresql"
# libpq settings: TLS with the server's name checked, the primary only, a bounded connect
DB_URL = (f"postgresql://{DB_CLUSTER}-rw:5432/{DB_NAME}?sslmode=verify-full"
          f"&sslrootcert={DB_CA_DIR}/ca.crt&target_session_attrs=read-write&connect_timeout=5")
TRUST_DIR = "/etc/motcua/trust"
TRUST_BUNDLE = "ca-bundle.crt"
CATALOGUE = "services/intake/catalogue/procedures.yml"


def credentials_secret(service):
    return f"motcua-db-{service}"


def _connection_env(service):
    secret = credentials_secret(service)
    return [{"name": "DB_URL", "value": DB_URL},
            {"name": "PGUSER", "valueFrom": {"secretKeyRef": {"name": secret, "key": "username"}}},
            {"name": "PGPASSWORD",
             "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}}]


def _db_ca_mount():
    return {"name": "postgresql-ca", "mountPath": DB_CA_DIR, "readOnly": True}


def _db_ca_volume():
    return {"name": "postgresql-ca",
            "secret": {"secretName": f"{DB_CLUSTER}-ca", "items": [{"key": "ca.crt",
                                                                     "path": "ca.crt"}]}}


def _pod_patch(kind, name, containers, volumes, init_containers=None):
    pod = {"containers": containers, "volumes": volumes}
    if init_containers:
        pod = {"initContainers": init_containers, **pod}
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name},
            "spec": {"template": {"spec": pod}}}


def _workloads():
    """(Deployment name, container name, service) of every service, relay and worker."""
    for deployed in DEPLOYED:
        yield f"motcua-{deployed.name}", deployed.name, deployed.name
        if deployed.relay_port is not None:
            yield f"motcua-{deployed.name}-relay", "relay", deployed.name
    for worker in WORKERS:
        yield f"motcua-{worker.service}-worker", "worker", worker.service


def _migration_step(service):
    security = {"runAsNonRoot": True, "runAsUser": RUN_AS, "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}}
    return {"name": f"migrate-{service}", "image": "motcua",
            "command": ["motcua", "migrate", "--service", service, "--skip-queues"],
            "envFrom": [{"configMapRef": {"name": "motcua-config"}},
                        {"secretRef": {"name": "motcua-secrets"}}],
            "env": _connection_env(service),
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "1", "memory": "512Mi"}},
            "securityContext": security,
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, _db_ca_mount()]}


def postgresql_connections():
    """Strategic-merge patches: each Deployment's container as its service's role, and the
    migration Job's steps."""
    patches = [_pod_patch("Deployment", name, [{"name": container,
                                                "env": _connection_env(service),
                                                "volumeMounts": [_db_ca_mount()]}],
                          [_db_ca_volume()])
               for name, container, service in _workloads()]
    patches.append(_pod_patch(
        "Job", "motcua-migrate",
        [{"name": "migrate", "env": _connection_env("intake"), "volumeMounts": [_db_ca_mount()],
          "command": ["sh", "-c", f"motcua migrate --service intake && motcua catalogue load "
                                  f"{CATALOGUE}"]}],
        [_db_ca_volume()], [_migration_step(service) for service in SERVICE_NAMES]))
    return patches


def postgresql_roles():
    """A patch of the Cluster: its managed roles, one per service."""
    roles = [{"name": service, "ensure": "present", "login": True, "inherit": True,
              "connectionLimit": 100, "passwordSecret": {"name": credentials_secret(service)},
              "comment": f"motcua {service}: owns schema {service}, nothing else"}
             for service in SERVICE_NAMES]
    return [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
             "metadata": {"name": DB_CLUSTER}, "spec": {"managed": {"roles": roles}}}]


def postgresql_database():
    """The database, owned by the bootstrap's owner, and each service's schema, by its role."""
    return [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
             "metadata": {"name": DB_NAME},
             "spec": {"name": DB_NAME, "owner": DB_OWNER, "cluster": {"name": DB_CLUSTER},
                      "databaseReclaimPolicy": "retain",
                      "schemas": [{"name": service, "owner": service, "ensure": "present"}
                                  for service in SERVICE_NAMES]}}]


def _trusting(container):
    return {"name": container,
            "env": [{"name": "SSL_CERT_FILE", "value": f"{TRUST_DIR}/{TRUST_BUNDLE}"}],
            "volumeMounts": [{"name": "trust-bundle", "mountPath": TRUST_DIR, "readOnly": True}]}


def _trust_volume():
    return {"name": "trust-bundle",
            "configMap": {"name": "motcua-trust-bundle",
                          "items": [{"key": TRUST_BUNDLE, "path": TRUST_BUNDLE}]}}


def rabbitmq_trust():
    """Strategic-merge patches: every container reads the CA bundle (SSL_CERT_FILE)."""
    patches = [_pod_patch("Deployment", name, [_trusting(container)], [_trust_volume()])
               for name, container, _ in _workloads()]
    patches.append(_pod_patch("Job", "motcua-migrate", [_trusting("migrate")], [_trust_volume()]))
    return patches


def component_files():
    """{path: documents} of the generated files."""
    return {COMPONENTS / "postgresql" / "connections.yaml": postgresql_connections(),
            COMPONENTS / "postgresql" / "roles.yaml": postgresql_roles(),
            COMPONENTS / "postgresql" / "database.yaml": postgresql_database(),
            COMPONENTS / "rabbitmq" / "trust.yaml": rabbitmq_trust()}
