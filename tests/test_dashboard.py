"""The Grafana dashboard: every query is valid PromQL (asked of a real Prometheus) over metrics the
operator exports, and the chart ships it as a ConfigMap for Grafana's sidecar."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from chart_support import documents, find, helm_binary, render
from conftest import Server
from kgov.operator.metrics import Metrics

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "charts" / "kube-governor" / "dashboards" / "kube-governor.json"
_METRIC = re.compile(r"\bkgov_[a-z_]+")


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def _exported() -> set[str]:
    """Every sample name the operator's registry exposes (counters' _total, histograms' _bucket …)."""
    names = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        kind_suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_count", "_sum"),
        }.get(family.type, ())
        names.update(family.name + suffix for suffix in kind_suffixes)
    return names


def test_queries_use_only_exported_metrics() -> None:
    exported = _exported()
    used = {name for expr in _exprs() for name in _METRIC.findall(expr)}
    assert used, "the dashboard queries kgov metrics"
    assert used <= exported, used - exported
    # The findings, churn, evaluation, writes, evidence and cap all have a panel.
    assert {"kgov_findings", "kgov_reload_churn_per_hour", "kgov_evaluation_seconds_bucket"} <= used
    assert {"kgov_api_writes_total", "kgov_evidence_up", "kgov_findings_dropped"} <= used


def test_queries_are_valid_promql(server: Server) -> None:
    for expr in _exprs():
        url = f"{server.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as response:
            body: dict[str, Any] = json.load(response)
        assert body["status"] == "success", (expr, body)


def test_dashboard_uses_a_datasource_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    [variable] = dashboard["templating"]["list"]
    assert variable["type"] == "datasource" and variable["query"] == "prometheus"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


def test_chart_ships_the_dashboard_for_the_sidecar() -> None:
    helm = helm_binary()
    assert not [
        c for c in find(documents(render(helm)), "ConfigMap") if c["metadata"]["name"].endswith("-dashboard")
    ]
    docs = documents(render(helm, "--set", "grafanaDashboard.enabled=true"))
    [configmap] = [c for c in find(docs, "ConfigMap") if c["metadata"]["name"].endswith("-dashboard")]
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads(configmap["data"]["kube-governor.json"])
    assert shipped == json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_chart_turns_on_the_live_html_report() -> None:
    helm = helm_binary()
    [default] = find(documents(render(helm)), "Deployment")
    assert "--html-report" not in default["spec"]["template"]["spec"]["containers"][0]["args"]
    [enabled] = find(documents(render(helm, "--set", "htmlReport.enabled=true")), "Deployment")
    assert "--html-report" in enabled["spec"]["template"]["spec"]["containers"][0]["args"]
