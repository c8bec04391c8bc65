"""The data tier of deploy/k8s (components/rabbitmq, components/postgresql, drill/): its custom
resources validate offline against the operators' vendored CRD schemas, a wrong field is
refused, and they say what docs/operations.md promises: three RabbitMQ nodes and three
PostgreSQL instances on three machines, synchronous replication, WAL archiving and a nightly
backup, TLS, and each service connected as its own role."""
import copy
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import jsonschema
import psycopg2.extensions
import pytest

from services.common.config import SERVICE_NAMES
from tests.deploy import custom_resources
from tests.deploy.test_k8s import K8S, by_kind, kustomize
from tooling import ROOT
from tooling.provision.kubernetes import DEPLOYED

DATA_TIER_KINDS = {"RabbitmqCluster", "Cluster", "Database", "ScheduledBackup", "ObjectStore"}


@pytest.fixture(scope="module")
def production():
    return kustomize(K8S / "overlays" / "production")


@pytest.fixture(scope="module")
def drill():
    return kustomize(K8S / "drill")


def one(documents, kind):
    [found] = by_kind(documents, kind).values()
    return found


def test_the_vendored_crds_are_those_their_readme_names():
    listed = dict(re.findall(r"^\| `([^`]+\.yaml)` \|.*\| `([0-9a-f]{64})` \|$",
                             (custom_resources.CRDS / "README.md").read_text(), re.M))
    present = {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
               for path in custom_resources.CRDS.glob("*.yaml")}
    assert present == listed
    kinds = {kind for _, kind in custom_resources.schemas()}
    assert kinds == DATA_TIER_KINDS


def test_every_data_tier_resource_validates_against_its_operators_schema(production, drill):
    found = [doc for doc in production + drill if custom_resources.has_schema(doc)]
    assert {doc["kind"] for doc in found} == DATA_TIER_KINDS
    for doc in found:
        custom_resources.validate(doc)


WRONG = {
    "a misspelt field": ("Cluster", lambda spec: spec["postgresql"]["synchronous"].update(
        numbr=1), "numbr"),
    "a field in the wrong place": ("RabbitmqCluster", lambda spec: spec.update(
        disableNonTLSListeners=True), "disableNonTLSListeners"),
    "a value outside its enum": ("Cluster", lambda spec: spec["postgresql"]["synchronous"].update(
        method="all"), "'all' is not one of"),
    "a wrong type": ("RabbitmqCluster", lambda spec: spec.update(replicas="three"), "three"),
    "a missing required field": ("ScheduledBackup", lambda spec: spec.pop("schedule"),
                                 "'schedule' is a required property"),
    "a misspelt field deep in a pod override": (
        "RabbitmqCluster",
        lambda spec: spec["override"]["statefulSet"]["spec"]["template"]["spec"]["volumes"][0]
        .update(secrets={}), "secrets"),
    "a misspelt field of the object store": ("ObjectStore", lambda spec: spec["configuration"]
                                              ["wal"].update(compresion="gzip"), "compresion"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_wrong_field_in_a_custom_resource_is_refused(production, case):
    kind, spoil, named = WRONG[case]
    document = copy.deepcopy(one(production, kind))
    spoil(document["spec"])
    with pytest.raises(jsonschema.ValidationError, match=re.escape(named)):
        custom_resources.validate(document)


def env_of(container):
    return {variable["name"]: variable for variable in container.get("env", [])}


def mounted_volume(pod, container, path):
    """The volume mounted in `container` at the directory holding `path`."""
    directory = path.rsplit("/", 1)[0]
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == directory]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    return volume


def motcua_pods(documents):
    """(workload name, pod spec, container, service) of every motcua container."""
    for deployed in DEPLOYED:
        relay = [f"motcua-{deployed.name}-relay"] if deployed.relay_port else []
        for name in (f"motcua-{deployed.name}", *relay):
            pod = by_kind(documents, "Deployment")[name]["spec"]["template"]["spec"]
            yield name, pod, pod["containers"][0], deployed.name
    job = one(documents, "Job")["spec"]["template"]["spec"]
    yield "motcua-migrate", job, job["containers"][0], "intake"
    for step in job["initContainers"]:
        yield "motcua-migrate", job, step, step["name"].removeprefix("migrate-")


def test_rabbitmq_is_three_nodes_on_three_machines_with_motcuas_settings(production):
    cluster = one(production, "RabbitmqCluster")
    spec, name = cluster["spec"], cluster["metadata"]["name"]
    assert spec["replicas"] == 3
    [rule] = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert rule["topologyKey"] == "kubernetes.io/hostname"
    assert rule["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
    budget = by_kind(production, "PodDisruptionBudget")[name]["spec"]
    assert budget["maxUnavailable"] == 1 and budget["selector"] == rule["labelSelector"]
    assert spec["tls"]["secretName"] and spec["tls"]["disableNonTLSListeners"] is True
    assert set(spec["resources"]) == {"requests", "limits"}
    config = spec["rabbitmq"]["additionalConfig"].splitlines()
    motcua_conf = (ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf").read_text().splitlines()
    assert [line for line in motcua_conf if line and not line.startswith("#")] != []
    assert {line for line in motcua_conf if line and not line.startswith("#")} <= set(config)
    [path] = [line.split(" = ")[1] for line in config if line.startswith("definitions.local.path")]
    pod = spec["override"]["statefulSet"]["spec"]["template"]["spec"]
    assert mounted_volume(pod, pod["containers"][0], path)["secret"]["secretName"]
    monitor = by_kind(production, "ServiceMonitor")[name]["spec"]
    assert monitor["endpoints"][0]["port"] == "prometheus-tls"
    assert monitor["endpoints"][0]["scheme"] == "https"


def test_every_motcua_container_trusts_the_brokers_certificate(production):
    for workload, pod, container, _ in motcua_pods(production):
        if container["name"].startswith("migrate-"):
            continue  # the per-schema steps talk to PostgreSQL only (--skip-queues)
        bundle = env_of(container)["SSL_CERT_FILE"]["value"]
        volume = mounted_volume(pod, container, bundle)
        assert volume["configMap"]["name"] == "motcua-trust-bundle", workload


def test_postgresql_confirms_a_commit_only_once_a_standby_has_it(production):
    cluster = one(production, "Cluster")
    spec = cluster["spec"]
    assert spec["instances"] == 3
    assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1,
                                                 "dataDurability": "required",
                                                 "failoverQuorum": True}
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert spec["affinity"]["topologyKey"] == "kubernetes.io/hostname"
    assert spec["enableSuperuserAccess"] is False


def test_postgresql_archives_its_wal_and_backs_up_every_night_to_the_object_store(production):
    cluster, store = one(production, "Cluster"), one(production, "ObjectStore")
    [archiver] = [p for p in cluster["spec"]["plugins"] if p.get("isWALArchiver")]
    assert archiver["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    assert store["spec"]["retentionPolicy"] == "30d"
    backup = one(production, "ScheduledBackup")["spec"]
    assert backup["cluster"]["name"] == cluster["metadata"]["name"]
    assert backup["method"] == "plugin"
    assert backup["pluginConfiguration"]["name"] == archiver["name"]
    seconds, minutes, hours, *every_day = backup["schedule"].split()
    assert every_day == ["*", "*", "*"] and (int(hours) + 7) % 24 == 2  # 02:00 in Vietnam


def test_each_service_has_a_role_that_owns_its_schema_and_nothing_else(production):
    cluster, database = one(production, "Cluster"), one(production, "Database")
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(SERVICE_NAMES)
    for service, role in roles.items():
        assert role["login"] and not role.get("superuser") and not role.get("createdb")
        assert role["passwordSecret"] == {"name": f"motcua-db-{service}"}
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert (database["spec"]["name"], database["spec"]["owner"]) == (initdb["database"],
                                                                   initdb["owner"])
    assert {s["name"]: s["owner"] for s in database["spec"]["schemas"]} == {
        service: service for service in SERVICE_NAMES}


def test_every_service_and_relay_connects_as_its_own_role_to_the_primary_over_tls(production):
    cluster = one(production, "Cluster")["metadata"]["name"]
    database = one(production, "Database")["spec"]["name"]
    steps = []
    for workload, pod, container, service in motcua_pods(production):
        env = env_of(container)
        for variable, key in (("PGUSER", "username"), ("PGPASSWORD", "password")):
            assert env[variable]["valueFrom"]["secretKeyRef"] == {
                "name": f"motcua-db-{service}", "key": key}, workload
        url = urlsplit(env["DB_URL"]["value"])
        assert (url.hostname, url.path, url.username) == (f"{cluster}-rw", f"/{database}", None)
        settings = psycopg2.extensions.parse_dsn(env["DB_URL"]["value"])  # as libpq reads it
        assert settings["sslmode"] == "verify-full"
        assert settings["target_session_attrs"] == "read-write"
        volume = mounted_volume(pod, container, settings["sslrootcert"])
        assert volume["secret"]["secretName"] == f"{cluster}-ca"
        assert parse_qs(url.query)["sslrootcert"] == [settings["sslrootcert"]]
        if container["name"].startswith("migrate-"):
            steps.append(container["command"])
    assert steps == [["motcua", "migrate", "--service", service, "--skip-queues"]
                     for service in SERVICE_NAMES]


def test_the_drill_recovers_from_productions_archive_without_writing_to_it(production, drill):
    store = one(production, "ObjectStore")["metadata"]["name"]
    source = one(production, "Cluster")["metadata"]["name"]
    recovered = one(drill, "Cluster")["spec"]
    [external] = [c for c in recovered["externalClusters"]
                  if c["name"] == recovered["bootstrap"]["recovery"]["source"]]
    assert external["plugin"]["parameters"] == {"barmanObjectName": store, "serverName": source}
    assert not any(p.get("isWALArchiver") for p in recovered.get("plugins", []))
