"""deploy/k8s: rendered by the real kustomize (kubectl's built-in one, or the kustomize binary)
and validated with kubernetes-validate's offline schemas of Kubernetes 1.31 (strict: an
unknown field is an error); the data tier's custom resources against the operators' CRD
schemas vendored in deploy/k8s/crds (tests/deploy/custom_resources.py)."""
import shutil
import subprocess
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from services.common.config import SERVICE_NAMES, load_config
from tests.deploy import custom_resources
from tooling import ROOT
from tooling.provision import kubernetes
from tooling.provision.alerts import PROMETHEUS_RULES
from tooling.topology import service_class

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31.0"
# Custom resources of the monitoring and scaling operators: no schema of theirs is vendored,
# so they are skipped on purpose. What matters in them is checked below instead: the
# PrometheusRule's groups are the promtool-checked alerts.yml, the ScaledObjects target
# existing Deployments, the ServiceMonitor's ports exist.
CUSTOM_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule", "ScaledObject",
                "TriggerAuthentication"}


def kustomize(path):
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(path)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(path)]
    else:
        pytest.fail("neither kubectl (with its built-in kustomize) nor kustomize is installed")
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request):
    return kustomize(K8S / request.param)


def by_kind(documents, kind):
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def test_generated_manifests_are_up_to_date():
    generated = kubernetes.k8s_files()
    assert generated
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run `python -m tooling.provision.kubernetes`")


def test_every_manifest_is_valid_kubernetes(rendered):
    checked = 0
    for doc in rendered:
        if custom_resources.has_schema(doc):
            custom_resources.validate(doc)
        elif doc["kind"] in CUSTOM_KINDS:
            continue
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 31  # 10 Deployments, 10 Services, 10 PDBs, the Job, the ConfigMap


def test_an_invalid_manifest_is_refused():
    deployment = next(d for d in kustomize(K8S / "base") if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["periodSecond"] = 3
    with pytest.raises(kubernetes_validate.ValidationError, match="periodSecond"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_service_and_its_relay_is_deployed(rendered):
    deployments = by_kind(rendered, "Deployment")
    services = by_kind(rendered, "Service")
    budgets = by_kind(rendered, "PodDisruptionBudget")
    assert kubernetes.DEPLOYED
    for deployed in kubernetes.DEPLOYED:
        relay = [f"motcua-{deployed.name}-relay"] if deployed.relay_port else []
        for name in (f"motcua-{deployed.name}", *relay):
            assert name in deployments and name in services and name in budgets


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_deployment_table_matches_the_code(service):
    """A service in the code is deployed with its own class and the ports of its config.yml."""
    deployed = {d.name: d for d in kubernetes.DEPLOYED}
    assert service in deployed, f"add {service} to tooling/provision/kubernetes.py DEPLOYED"
    config = load_config(service)
    assert service_class(service).__name__ == deployed[service].service_class
    assert config["WEB_SERVER_ADDRESS"].endswith(f":{deployed[service].http_port}")
    relay_port = config.get("RELAY_METRICS_PORT")
    assert (int(relay_port) if relay_port else None) == deployed[service].relay_port


def containers(documents):
    for doc in documents:
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield doc, pod, container


def test_pods_run_hardened_with_resources_and_probes(rendered):
    found = list(containers(rendered))
    assert {doc["kind"] for doc, _, _ in found} == {"Deployment", "Job"}
    for doc, pod, container in found:
        security = container["securityContext"]
        assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"]
        assert not security["allowPrivilegeEscalation"]
        assert set(container["resources"]) == {"requests", "limits"}
        if doc["metadata"]["name"] != kubernetes.CLAMD:  # clamd needs no credential
            assert {"name": "motcua-secrets"} in [ref.get("secretRef")
                                                   for ref in container["envFrom"]]
        if doc["kind"] == "Deployment":
            assert "livenessProbe" in container and "readinessProbe" in container
            prestop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
            assert pod["terminationGracePeriodSeconds"] > prestop + 30


def test_services_are_ready_only_when_broker_database_and_migrations_are(rendered):
    services = {name: deployment for name, deployment in by_kind(rendered, "Deployment").items()
                if not name.endswith(("-relay", "-worker")) and name != kubernetes.CLAMD}
    assert services
    for deployment in services.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_no_secret_value_is_committed(rendered):
    assert not by_kind(rendered, "Secret")
    found = list(containers(rendered))
    assert found
    for _, _, container in found:
        for variable in container.get("env", []):
            assert variable["name"] not in ("TOKEN_SECRET", "AMQP_URI", "PGPASSWORD") \
                or "value" not in variable
            if variable["name"] == "DB_URL":  # the data tier's: credentials come apart
                assert urlsplit(variable["value"]).password is None


def test_each_lookup_key_reaches_only_the_services_that_use_it(rendered):
    given = {}
    for doc, _, container in containers(rendered):
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference and variable["name"] not in ("PGUSER", "PGPASSWORD"):  # the data tier's
                assert {key: reference[key] for key in ("name", "key")} == {
                    "name": "motcua-keys", "key": variable["name"]}
                given.setdefault(variable["name"], set()).add(doc["metadata"]["name"])
    assert given == {"LOOKUP_PEPPER": {"motcua-intake", "motcua-routing", "motcua-docstore"},
                     "NOTIFY_SECRET_KEY": {"motcua-intake", "motcua-notify"},
                     "DVCQG_PAY_SECRET": {"motcua-payment"},
                     "VNPAY_HASH_SECRET": {"motcua-payment"}}


@pytest.mark.parametrize("prefix, secret", [("DVCQG_PAY_", "DVCQG_PAY_SECRET"),
                                            ("VNPAY_", "VNPAY_HASH_SECRET")])
def test_payment_gets_every_setting_of_its_online_channels(rendered, prefix, secret):
    """Each DVCQG_PAY_* (the portal's payment platform) and VNPAY_* (the gateway) setting
    payment reads is set on its pods: the shared secret by an optional reference (the channel
    is off without it), the rest with config.yml's default."""
    from services.payment.settings import PaymentSettings

    wanted = {field.data_key for field in PaymentSettings().fields.values()
              if field.data_key.startswith(prefix)}
    given = {variable["name"]: variable for variable in env_of(rendered, "motcua-payment")
             if variable["name"].startswith(prefix)}
    assert set(given) == wanted and len(wanted) > 5
    assert given[secret]["valueFrom"]["secretKeyRef"] == {
        "name": "motcua-keys", "key": secret, "optional": True}
    assert all("value" in variable for name, variable in given.items() if name != secret)
    if prefix == "DVCQG_PAY_":
        assert given["DVCQG_PAY_FIELDS_INIT"]["value"] == (
            "LoaiBanTin,PhienBan,MaDoiTac,MaThamChieu,SoTien,LoaiHinhThanhToan,MaKenhThanhToan,"
            "MaThietBi,NgonNgu,MaTienTe,MaNganHang,ThongTinGiaoDich,ThoiGianGD,Ip")


def test_production_serves_the_desk_and_the_gateways_at_one_public_address():
    """The citizen's way back from the gateway and the link in the result's SMS lead to the
    desk's pages at the ingress's host, over TLS; the desk counts guesses per citizen behind
    the ingress controller, not per controller."""
    from services.desk.settings import trusted_networks

    documents = kustomize(K8S / "overlays" / "production")
    [ingress] = by_kind(documents, "Ingress").values()
    [host] = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert {host} == {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    services = by_kind(documents, "Service")
    routes = {path["path"]: path["backend"]["service"]
              for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    assert routes["/"]["name"] == "motcua-desk" and \
        routes["/api/v1/gateway/"]["name"] == "motcua-payment"
    for backend in routes.values():
        ports = {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
        assert backend["port"]["name"] in ports
    payment = {v["name"]: v.get("value") for v in env_of(documents, "motcua-payment")}
    notify = {v["name"]: v.get("value") for v in env_of(documents, "motcua-notify")}
    desk = {v["name"]: v.get("value") for v in env_of(documents, "motcua-desk")}
    assert payment["VNPAY_RETURN_URL"] == f"https://{host}/thanh-toan/ket-qua"
    assert notify["NOTIFY_EVALUATION_URL"] == f"https://{host}/danh-gia/{{code}}"
    assert trusted_networks(desk["DESK_TRUSTED_PROXIES"])


def env_of(documents, deployment):
    return by_kind(documents, "Deployment")[deployment]["spec"]["template"]["spec"][
        "containers"][0]["env"]


def test_custom_resources_point_at_what_exists(rendered):
    deployments = by_kind(rendered, "Deployment")
    scaled = by_kind(rendered, "ScaledObject")
    assert set(scaled) == {"motcua-routing", "motcua-notify", "motcua-docstore-worker"}
    for name, scaled_object in scaled.items():
        assert scaled_object["spec"]["scaleTargetRef"]["name"] in deployments
        trigger = scaled_object["spec"]["triggers"][0]
        assert trigger["type"] == "rabbitmq"
        if name.endswith("-worker"):  # its one job queue
            assert trigger["metadata"]["queueName"] in {w.queue for w in kubernetes.WORKERS}
        else:  # a service's event queues
            assert trigger["metadata"]["useRegex"] == "true"
    port_names = {port["name"] for name, service in by_kind(rendered, "Service").items()
                  for port in service["spec"]["ports"] if name != kubernetes.CLAMD}  # no metrics
    monitor = by_kind(rendered, "ServiceMonitor")["motcua"]
    assert {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]} == port_names
    rule = by_kind(rendered, "PrometheusRule")["motcua"]
    alerts = yaml.safe_load(PROMETHEUS_RULES.read_text(encoding="utf-8"))
    assert rule["spec"]["groups"] == alerts["groups"]


def test_scaled_queue_pattern_matches_the_event_queues_of_its_service():
    import re

    from services.common.topology import event_queue_name
    from tooling.topology import subscriptions

    routing = next(s for s in kubernetes.k8s_workloads()
                   if s["kind"] == "ScaledObject" and s["metadata"]["name"] == "motcua-routing")
    pattern = re.compile(routing["spec"]["triggers"][0]["metadata"]["queueName"])
    queues = [event_queue_name(*sub) for sub in subscriptions()]
    assert [q for q in queues if pattern.match(q)] == [q for q in queues if "--routing." in q] != []


def test_clamd_is_deployed_with_its_database_and_docstore_reaches_it(rendered):
    deployments, services = by_kind(rendered, "Deployment"), by_kind(rendered, "Service")
    pod = deployments[kubernetes.CLAMD]["spec"]["template"]["spec"]
    [download] = pod["initContainers"]
    clamd, freshclam = pod["containers"]
    assert download["command"][0] == "freshclam" and "--daemon" not in download["command"]
    assert clamd["command"][0] == "clamd" and clamd["readinessProbe"]["tcpSocket"]
    assert "--daemon" in freshclam["command"]
    [port] = services[kubernetes.CLAMD]["spec"]["ports"]
    docstore = deployments["motcua-docstore"]["spec"]["template"]["spec"]["containers"][0]
    address = {v["name"]: v.get("value") for v in docstore["env"]}["CLAMD_ADDRESS"]
    assert address == f"{kubernetes.CLAMD}:{port['port']}"
    config = by_kind(rendered, "ConfigMap")[kubernetes.CLAMD]["data"]
    assert f"TCPSocket {port['port']}" in config["clamd.conf"]
    limit = int(load_config("docstore")["DOCSTORE_MAX_UPLOAD_BYTES"])
    stream = int(config["clamd.conf"].split("StreamMaxLength ")[1].split("M")[0]) * 2**20
    assert stream > limit  # an upload docstore accepts is scanned whole


def test_production_overlay_pins_the_image_and_namespace():
    documents = kustomize(K8S / "overlays" / "production")
    assert documents
    assert all(doc["metadata"].get("namespace") == "motcua" for doc in documents
               if doc["kind"] != "Namespace")
    images = {container["image"] for _, _, container in containers(documents)}
    assert images == {"registry.example.gov.vn/motcua/motcua:0.1.0"}
    assert by_kind(documents, "Deployment")["motcua-intake"]["spec"]["replicas"] == 3
