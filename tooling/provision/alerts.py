"""The alert rules as a Kubernetes PrometheusRule: deploy/prometheus/alerts.yml, which
promtool checks and tests, carried unchanged so the two cannot differ."""
import yaml

from tooling import ROOT

PROMETHEUS_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"


def prometheus_rule():
    """The PrometheusRule carrying deploy/prometheus/alerts.yml unchanged."""
    groups = yaml.safe_load(PROMETHEUS_RULES.read_text(encoding="utf-8"))["groups"]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "motcua", "labels": {"app.kubernetes.io/name": "motcua"}},
            "spec": {"groups": groups}}
