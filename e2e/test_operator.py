"""The operator in a real cluster: examples applied, Findings listed by kubectl, fixes remove them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube import ROOT, kubectl, kubectl_json, operator_running, wait_for

EXAMPLES = [
    ROOT / "examples" / "resources" / "shop.yaml",
    ROOT / "examples" / "autoscaling" / "hpa-fixed-replicas.yaml",
]
EXPECTED = {
    ("qos.best-effort", "Deployment/web"),
    ("autoscaling.hpa-fixed-replicas", "HorizontalPodAutoscaler/reports"),
}


PAUSE = "registry.k8s.io/pause:3.10"  # pullable everywhere, so rollouts finish and old pods go


def _in_namespace(path: Path, namespace: str) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
            container["image"] = PAUSE
    return docs


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    name = f"kgov-e2e-{uuid.uuid4().hex[:8]}"
    existing_crds = {i["metadata"]["name"] for i in kubectl_json("get", "crd")["items"]}
    kubectl("apply", "-f", str(ROOT / "crds"))
    kubectl("wait", "--for=condition=Established", "crd", "findings.kgov.io", "clusterfindings.kgov.io",
            "governancereports.kgov.io", "--timeout=60s")  # fmt: skip
    kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        kubectl("delete", "namespace", name, "--wait=false", check=False)
        kubectl("delete", "clusterfindings", "-l", "app.kubernetes.io/managed-by=kube-governor", check=False)
        kubectl("delete", "governancereport", "cluster", "--ignore-not-found", check=False)
        if "findings.kgov.io" not in existing_crds:
            kubectl("delete", "-f", str(ROOT / "crds"), "--wait=false", check=False)


def _findings(namespace: str) -> set[tuple[str, str]]:
    items = kubectl_json("get", "findings", "-n", namespace)["items"]
    return {(i["spec"]["check"], i["spec"]["target"]["ref"]) for i in items}


def test_findings_appear_and_go(namespace: str, tmp_path: Path) -> None:
    manifests = [doc for path in EXAMPLES for doc in _in_namespace(path, namespace)]
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(manifests))
    with operator_running(namespace, tmp_path / "operator.log"):
        wait_for(lambda: _findings(namespace) >= EXPECTED, f"the Findings {sorted(EXPECTED)}")

        table = kubectl("get", "findings", "-A")
        header = table.splitlines()[0].split()
        assert header[:6] == ["NAMESPACE", "NAME", "CHECK", "SEVERITY", "TARGET", "AGE"], table
        row = next(
            line.split() for line in table.splitlines() if "qos.best-effort" in line and namespace in line
        )
        assert row[2:5] == ["qos.best-effort", "high", "Deployment/web"], table
        assert "MESSAGE" in kubectl("get", "findings", "-n", namespace, "-o", "wide").splitlines()[0]
        assert "qos.best-effort" in kubectl("get", "kgov", "-A")  # the category lists every kgov kind
        assert kubectl_json("get", "governancereport", "cluster")["status"]["findings"] >= len(EXPECTED)

        resources = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}
        container = {"name": "app", "resources": resources}
        kubectl("patch", "deployment", "web", "-n", namespace, "--type", "strategic",
                "-p", yaml.safe_dump({"spec": {"template": {"spec": {"containers": [container]}}}}))  # fmt: skip
        kubectl(
            "patch",
            "hpa",
            "reports",
            "-n",
            namespace,
            "--type",
            "merge",
            "-p",
            '{"spec": {"maxReplicas": 3}}',
        )
        wait_for(lambda: not (EXPECTED & _findings(namespace)) or None, "the fixed objects' Findings to go")
