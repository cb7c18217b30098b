"""Running the operator: optional kinds appearing, config reload, safety cap, health and metrics."""

from __future__ import annotations

import re
from pathlib import Path

import kmock
import pytest
import yaml
from harness import (
    REPORTS,
    assert_only_own_writes,
    by_check,
    describe,
    emulated_cluster,
    findings,
    http_get,
    kube,
    operator_options,
    running_operator,
    serve_peering,
    stored,
    writes,
)

VPA_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "verticalpodautoscalers.autoscaling.k8s.io", "uid": "uid-crd-vpa"},
    "spec": {
        "group": "autoscaling.k8s.io",
        "scope": "Namespaced",
        "names": {"kind": "VerticalPodAutoscaler", "plural": "verticalpodautoscalers"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}
VPA = {
    "apiVersion": "autoscaling.k8s.io/v1",
    "kind": "VerticalPodAutoscaler",
    "metadata": {"name": "api", "namespace": "other", "uid": "uid-other-api-vpa"},
    "spec": {
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
        "updatePolicy": {"updateMode": "Auto"},
    },
}


def test_optional_kind_is_watched_once_its_crd_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        assert "autoscaling.hpa-vpa-overlap" not in by_check(cluster)
        assert not [r for r in cluster.requests() if "verticalpodautoscalers" in r.url.path]

        # The VPA CRD is installed: the API serves the kind, and the CRD's watch event comes.
        cluster.emulator.resources["autoscaling.k8s.io/v1/verticalpodautoscalers"] = kmock.ResourceInfo(
            kind="VerticalPodAutoscaler", namespaced=True, verbs={"get", "list", "watch", "create"}
        )
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        assert kube(cluster, "POST", crds, VPA_CRD, patch=False)[0] in (200, 201)
        op.wait_until(
            lambda: any("verticalpodautoscalers" in r.url.path for r in cluster.requests()),
            "the operator to start watching VPAs",
        )
        # The seed's HPA is pinned (min = max), which meets no VPA: let it scale first.
        hpa = "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api"
        assert kube(cluster, "PATCH", hpa, {"spec": {"maxReplicas": 6}})[0] == 200
        vpas = "/apis/autoscaling.k8s.io/v1/namespaces/other/verticalpodautoscalers"
        assert kube(cluster, "POST", vpas, VPA, patch=False)[0] in (200, 201)

        op.wait_until(
            lambda: "autoscaling.hpa-vpa-overlap" in by_check(cluster), "the HPA/VPA overlap Finding"
        )
        op.settle()

    [overlap] = by_check(cluster)["autoscaling.hpa-vpa-overlap"]
    assert overlap["spec"]["target"]["ref"] == "Deployment/api"
    assert_only_own_writes(cluster)


def test_config_file_is_reloaded_on_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = operator_options(tmp_path)
    assert options.config_path is not None
    config = yaml.safe_load(options.config_path.read_text(encoding="utf-8"))
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        assert "qos.best-effort" in by_check(cluster)

        config["checks"] = {"qos.best-effort": {"enabled": False}}
        options.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        op.wait_until(
            lambda: "qos.best-effort" not in by_check(cluster), "the disabled check's Finding to go"
        )

        # A broken file is refused and the running config kept; the next good file is taken.
        options.config_path.write_text("checks: [not, a, mapping\n", encoding="utf-8")
        op.wait_until(lambda: op.runtime.config_errors == 1, "the broken file to be refused")
        assert "qos.best-effort" not in by_check(cluster)
        config["checks"] = {"qos.best-effort": {"severity": "critical"}}
        config["operator"]["max_findings"] = 4
        options.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        op.wait_until(
            lambda: (
                [f["spec"]["severity"] for f in by_check(cluster).get("qos.best-effort", [])] == ["critical"]
            ),
            "the Finding back, with the configured severity",
        )
        op.settle()
        # The new cap holds too: four of the five findings, the dropped one counted.
        assert len(findings(cluster)) == 4
        assert stored(cluster, REPORTS)[None, "cluster"]["status"]["droppedByCap"] == 1
    assert_only_own_writes(cluster)


def test_safety_cap_keeps_the_most_severe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = operator_options(tmp_path, max_findings=2)
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        _, metrics = http_get(f"http://127.0.0.1:{op.runtime.port}/metrics")

    written = findings(cluster).values()
    assert len(written) == 2
    assert {f["spec"]["severity"] for f in written} == {"high"}
    [report] = stored(cluster, REPORTS).values()
    assert report["status"]["droppedByCap"] == 3
    assert report["status"]["maxFindings"] == 2
    assert "kgov_findings_dropped 3.0" in metrics


def test_healthz_and_metrics_on_one_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        # An annotation change on an Ingress of class nginx: a reload of that controller.
        mark = op.mark()
        ingress = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web"
        patch = {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}}}
        assert kube(cluster, "PATCH", ingress, patch)[0] == 200
        op.settle_after(mark, events=1)
        base = f"http://127.0.0.1:{op.runtime.port}"
        health = http_get(f"{base}/healthz")
        status, metrics = http_get(f"{base}/metrics")
        missing = http_get(f"{base}/other")

    assert health == (200, "ok\n")
    assert status == 200
    assert missing[0] == 404
    samples = dict(re.findall(r"^(kgov_[^ ]+) (\S+)$", metrics, re.MULTILINE))
    assert samples['kgov_findings{check="qos.best-effort",namespace="shop",severity="high"}'] == "1.0"
    assert samples['kgov_findings{check="ingress.eol-controller",namespace="",severity="high"}'] == "1.0"
    # proxy-body-size has no Gateway API field: an implementation policy is needed after migration.
    assert (
        samples['kgov_findings{check="migration.policy-required",namespace="shop",severity="medium"}']
        == "1.0"
    )
    assert float(samples['kgov_api_writes_total{kind="Finding",verb="create"}']) == 5
    assert float(samples['kgov_api_writes_total{kind="ClusterFinding",verb="create"}']) == 1
    assert float(samples["kgov_evaluation_seconds_count"]) >= 1
    assert samples["kgov_findings_dropped"] == "0.0"
    churn = {k: float(v) for k, v in samples.items() if k.startswith("kgov_churn_events_total")}
    assert churn and all('class_name="nginx"' in k for k in churn), churn
    rate = samples['kgov_reload_churn_per_hour{class_kind="IngressClass",class_name="nginx",source="watch"}']
    assert float(rate) > 0
    assert not [line for line in metrics.splitlines() if line.startswith("kgov_") and "_created" in line]


def test_healthz_fails_without_the_crds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster(own_crds=False) as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        status, reason = http_get(f"http://127.0.0.1:{op.runtime.port}/healthz")

    assert status == 500
    assert "findings.kgov.io" in reason and "governancereports.kgov.io" in reason
    assert "pods" not in reason


def test_peering_mode_works_through_its_peering_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = operator_options(tmp_path, peering="kgov")
    with emulated_cluster() as cluster:
        serve_peering(cluster)
        with running_operator(cluster, tmp_path, monkeypatch, options):
            pass

    assert len(by_check(cluster)) == 5
    # Besides its own kinds, the operator only announces itself on the peering object.
    others = {w for w in describe(writes(cluster)) if "/kgov.io/" not in w}
    assert others == {"PATCH /apis/kopf.dev/v1/clusterkopfpeerings/kgov"}
