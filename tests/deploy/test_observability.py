"""Prometheus rules and scrape config (promtool), the Grafana dashboard, the metrics catalogue
(docs/metrics.md) and the Compose files (docker-compose config): checked by the real tools."""
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client import REGISTRY

from services.common.config import SERVICE_NAMES
from tooling import ROOT
from tooling.provision.kubernetes import DEPLOYED

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "motcua.json"
METRICS_DOC = ROOT / "docs" / "metrics.md"
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}
METRIC = re.compile(r"\b(?:motcua|rabbitmq)_[a-z0-9_]+\b|\bup\b(?!\s*\()")
HISTOGRAM_SUFFIX = re.compile(r"_(bucket|count|sum)$")


def tool(name, debian_package):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (Debian package {debian_package}; see .ci/run)")
    return path


def promtool(*args, cwd=PROMETHEUS):
    result = subprocess.run([tool("promtool", "prometheus"), *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_alert_rules_and_scrape_config_pass_promtool():
    code, output = promtool("check", "rules", "alerts.yml")
    assert code == 0, output
    code, output = promtool("check", "config", "prometheus.yml")
    assert code == 0, output


def test_alert_unit_tests_pass():
    code, output = promtool("test", "rules", "alerts.test.yml")
    assert code == 0, output


def test_promtool_refuses_a_broken_rule(tmp_path):
    (tmp_path / "broken.yml").write_text(
        "groups: [{name: x, rules: [{alert: X, expr: 'sum(rate(up[5m]'}]}]\n")
    code, output = promtool("check", "rules", "broken.yml", cwd=tmp_path)
    assert code != 0 and "parse error" in output


def test_every_alert_has_a_runbook_and_severity():
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8").lower()
    assert {a["alert"] for a in alerts} >= {
        "MotcuaServiceDown", "MotcuaDeadLetters", "MotcuaOutboxStale", "MotcuaBrokerDisconnected",
        "MotcuaOverdueRising", "MotcuaSmsFailures", "MotcuaIntakeErrorBudgetBurnFast",
        "MotcuaIntakeLatencyBudgetBurn"}
    for alert in alerts:
        assert alert["labels"]["severity"] in ("critical", "warning")
        anchor = alert["annotations"]["runbook_url"].split("#")[1]
        assert f"\n## {anchor}\n" in runbook, f"docs/runbook.md has no section for {anchor}"


def test_scrape_config_covers_every_service_and_relay():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert DEPLOYED
    for service in DEPLOYED:
        assert jobs[f"motcua-{service.name}"] == [f"{service.name}:{service.http_port}"]
        if service.relay_port:  # a service that publishes nothing has no relay
            assert jobs[f"motcua-{service.name}-relay"] == [
                f"{service.name}-relay:{service.relay_port}"]


# --- dashboard ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dashboard():
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def queries(dashboard):
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"]
            for target in panel.get("targets", [])]


def test_dashboard_is_well_formed(dashboard):
    assert dashboard["uid"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for subject in ("channel", "department", "on-time", "overdue", "reception to department",
                    "queue depths", "notification", "payments"):
        assert subject in titles, subject


def test_dashboard_queries_are_valid_promql(dashboard, tmp_path):
    """promtool parses each query (as a recording rule): a typo fails here, not in Grafana."""
    rules = []
    for index, (_, expr) in enumerate(queries(dashboard)):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    assert rules
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump({"groups": [{"name": "d", "rules": rules}]}))
    code, output = promtool("check", "rules", "dashboard.yml", cwd=tmp_path)
    assert code == 0, output


# --- metrics catalogue ---------------------------------------------------------------------
def documented_metrics():
    rows = re.findall(r"^\| `([a-z_:]+)` \|.*\| ([a-z ]+) \|$", METRICS_DOC.read_text(encoding="utf-8"),
                      re.MULTILINE)
    return dict(rows)


def used_metrics(text):
    return {HISTOGRAM_SUFFIX.sub("", name) for name in METRIC.findall(text)}


def registered_metrics():
    importlib.import_module("services.common.relay")
    for service in SERVICE_NAMES:
        importlib.import_module(f"services.{service}.service")
        if importlib.util.find_spec(f"services.{service}.worker"):  # a worker process's own
            importlib.import_module(f"services.{service}.worker")
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("motcua_"):
            names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_dashboard_and_alerts_use_only_documented_metrics(dashboard):
    documented = documented_metrics()
    used = used_metrics(" ".join(expr for _, expr in queries(dashboard)))
    used |= used_metrics((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    assert "motcua_routing_dossiers_overdue" in used and "rabbitmq_queue_messages" in used
    assert used - set(documented) == set(), "document these in docs/metrics.md"


def test_every_metric_of_the_code_is_documented_and_no_label_names_a_dossier():
    documented = documented_metrics()
    registered = registered_metrics()
    assert registered - set(documented) == set(), "document these in docs/metrics.md"
    in_code = {name for name, status in documented.items() if status == "in code"}
    assert in_code - registered == set(), "docs/metrics.md says these are in the code"
    labels = [set(sample.labels) for family in REGISTRY.collect()
              if family.name.startswith("motcua_") for sample in family.samples]
    assert registered and any(labels)
    for names in labels:
        assert not {"code", "dossier_code", "phone", "citizen_id"} & names


# --- compose -------------------------------------------------------------------------------
def compose_config(*files):
    env = {**os.environ, "TOKEN_SECRET": "x" * 32, "GRAFANA_ADMIN_PASSWORD": "x",
           "LOOKUP_PEPPER": "p" * 32, "NOTIFY_SECRET_KEY": "k" * 44}
    command = [tool("docker-compose", "docker-compose")]
    for name in files:
        command += ["-f", str(ROOT / name)]
    result = subprocess.run(command + ["config"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_files_are_valid_and_run_every_service_and_relay():
    config = compose_config("docker-compose.yml", "deploy/docker-compose.monitoring.yml")
    services = config["services"]
    assert SERVICE_NAMES
    relays = {d.name for d in DEPLOYED if d.relay_port}
    for service in SERVICE_NAMES:
        assert service in services, service
        assert (f"{service}-relay" in services) == (service in relays), service
    assert {"prometheus", "grafana", "rabbitmq", "postgres", "migrate"} <= set(services)


def test_compose_gives_each_lookup_key_only_to_the_services_that_use_it():
    services = compose_config("docker-compose.yml")["services"]
    given = {key: {name for name, service in services.items()
                   if key in (service.get("environment") or {})}
             for key in ("LOOKUP_PEPPER", "NOTIFY_SECRET_KEY")}
    assert given == {"LOOKUP_PEPPER": {"intake", "routing", "docstore"},
                     "NOTIFY_SECRET_KEY": {"intake", "notify"}}


def test_compose_refuses_a_missing_token_secret():
    env = {key: value for key, value in os.environ.items() if key != "TOKEN_SECRET"}
    result = subprocess.run([tool("docker-compose", "docker-compose"), "-f",
                             str(ROOT / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode != 0 and "TOKEN_SECRET" in result.stderr
