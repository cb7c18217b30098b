"""The real operator against kmock with `--prometheus` pointing at the real test server (conftest.py's
session fixture `server`): measured Findings, the evidence health in the report, `kgov_evidence_up`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import REPORTS, by_check, emulated_cluster, http_get, operator_options, running_operator, stored

import evidence_series as es
from conftest import Server, free_port

NAMESPACES = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "uid": f"uid-ns-{name}"}}
    for name in (es.NAMESPACE, es.CONTROLLER_NAMESPACE)
]


def objects() -> list[dict[str, Any]]:
    return [*NAMESPACES, *yaml.safe_load_all(es.manifests())]


def options(tmp_path: Path, url: str) -> Any:
    config = {
        "operator": {"debounce_seconds": 0.05, "evidence_interval": "1s"},
        "prometheus": {"labels": {"cluster": "incident"}, "timeout_seconds": 2},
    }
    return operator_options(tmp_path, config, prometheus=url)


def evidence_health(cluster: Any) -> dict[str, Any] | None:
    report = stored(cluster, REPORTS).get((None, "cluster"))
    if report is None:
        return None
    health: dict[str, Any] = report.get("status", {}).get("evidence", {}).get("prometheus", {})
    return health


def metrics(port: int) -> str:
    status, body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    return body


def test_measured_findings_and_evidence_up(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        emulated_cluster(objects()) as cluster,
        running_operator(cluster, tmp_path, monkeypatch, options(tmp_path, server.url)) as op,
    ):
        throttled = op.wait_until(lambda: by_check(cluster).get("qos.cpu-throttled"), "a measured Finding")
        [finding] = throttled
        assert finding["spec"]["target"]["ref"] == "Deployment/api"
        assert finding["spec"]["evidence"]["source"] == "prometheus"
        op.wait_until(lambda: (evidence_health(cluster) or {}).get("reachable"), "evidence health")
        assert evidence_health(cluster) == {"configured": True, "reachable": True, "lastError": None}
        text = metrics(op.runtime.port)
        assert 'kgov_evidence_up{source="prometheus"} 1.0' in text
        assert (
            'kgov_reload_churn_per_hour{class_kind="IngressClass",class_name="nginx",source="prometheus"}'
            in text
        )
        # Later collections of the same numbers write nothing.
        op.settle()
        done = op.runtime.collections
        op.wait_until(lambda: op.runtime.collections >= done + 2, "two more collections")
        op.settle()
        before = len([r for r in cluster.requests() if r.method not in ("GET", "HEAD")])
        done = op.runtime.collections
        op.wait_until(lambda: op.runtime.collections >= done + 2, "two more collections")
        op.settle()
        after = len([r for r in cluster.requests() if r.method not in ("GET", "HEAD")])
        assert after == before


def test_unreachable_prometheus_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with (
        emulated_cluster(objects()) as cluster,
        running_operator(cluster, tmp_path, monkeypatch, options(tmp_path, url)) as op,
    ):
        health = op.wait_until(
            lambda: (evidence_health(cluster) or {}).get("lastError") and evidence_health(cluster),
            "the report to say Prometheus is unreachable",
        )
        assert health["configured"] is True and health["reachable"] is False
        assert 'kgov_evidence_up{source="prometheus"} 0.0' in metrics(op.runtime.port)
        assert "qos.cpu-throttled" not in by_check(cluster)
