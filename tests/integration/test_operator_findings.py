"""The operator writes the Findings the seeded cluster deserves, and keeps them in step with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (
    REPORTS,
    assert_only_own_writes,
    assert_valid_write,
    by_check,
    column,
    describe,
    emulated_cluster,
    findings,
    kube,
    load_crds,
    operator_options,
    running_operator,
    stored,
    validator_for,
    writes,
)

from kgov.findings.model import finding_name
from kgov.model.objects import ObjectRef
from kube_emulator import RunningEmulator

# check → (Finding kind, target apiVersion, kind, namespace, name, uid, severity)
EXPECTED: dict[str, tuple[str, str, str, str | None, str, str, str]] = {
    "qos.best-effort": ("Finding", "apps/v1", "Deployment", "shop", "web", "uid-shop-web", "high"),
    "autoscaling.hpa-fixed-replicas": (
        "Finding",
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "other",
        "api",
        "uid-other-api-hpa",
        "low",
    ),
    "ingress.legacy-class-annotation": (
        "Finding",
        "networking.k8s.io/v1",
        "Ingress",
        "shop",
        "web",
        "uid-shop-web-ing",
        "low",
    ),
    "ingress.eol-controller": (
        "ClusterFinding",
        "networking.k8s.io/v1",
        "IngressClass",
        None,
        "nginx",
        "uid-ic-nginx",
        "high",
    ),
    "gateway.parent-not-found": (
        "Finding",
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        "shop",
        "web",
        "uid-shop-web-route",
        "high",
    ),
}


@pytest.fixture
def cluster() -> Iterator[RunningEmulator]:
    with emulated_cluster() as running:
        yield running
        assert_only_own_writes(running)


def _one(cluster: RunningEmulator, check: str) -> dict[str, Any]:
    [body] = by_check(cluster)[check]
    return body


def test_findings_for_every_check_family(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch):
        pass

    assert sorted(by_check(cluster)) == sorted(EXPECTED)
    for check, (kind, api_version, target_kind, namespace, name, uid, severity) in EXPECTED.items():
        body = _one(cluster, check)
        ref = ObjectRef(target_kind, name, namespace, api_version)
        assert body["kind"] == kind
        assert body["metadata"]["name"] == finding_name(ref, check)
        assert body["metadata"].get("namespace") == namespace
        category = check.split(".")[0] if not check.startswith("qos.") else "resources"
        assert body["metadata"]["labels"] == {
            "kgov.io/check": check,
            "kgov.io/category": category,
            "kgov.io/severity": severity,
            "kgov.io/target-kind": target_kind,
            "kgov.io/target-name": name,
            "app.kubernetes.io/managed-by": "kube-governor",
        }
        assert body["metadata"]["ownerReferences"] == [
            {
                "apiVersion": api_version,
                "kind": target_kind,
                "name": name,
                "uid": uid,
                "blockOwnerDeletion": False,
            }
        ]
        spec = body["spec"]
        assert (spec["check"], spec["severity"], spec["category"]) == (check, severity, category)
        assert spec["target"]["ref"] == f"{target_kind}/{name}"
        assert spec["target"]["uid"] == uid
        assert spec["message"] and spec["remediation"]
        assert body["status"]["firstSeen"] and body["status"]["lastEvaluated"]


def test_printer_columns_show_check_severity_target_and_message(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch):
        pass

    body = _one(cluster, "qos.best-effort")
    [crd] = [c for c in load_crds() if c["spec"]["names"]["kind"] == "Finding"]
    columns = {
        c["name"]: column(body, c["jsonPath"]) for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]
    }
    assert columns["Check"] == "qos.best-effort"
    assert columns["Severity"] == "high"
    assert columns["Target"] == "Deployment/web"
    assert "BestEffort" in columns["Message"]


def test_every_write_validates_against_the_crds(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch):
        pass

    bodies = [r.data for r in writes(cluster) if r.method == "POST"]
    stored_bodies = [*findings(cluster).values(), *stored(cluster, REPORTS).values()]
    assert len(bodies) == len(EXPECTED) + 1  # the Findings and the GovernanceReport
    for body in [*bodies, *stored_bodies]:
        errors = [e.message for e in validator_for(body["kind"]).iter_errors(body)]
        assert not errors, (body["kind"], body["metadata"]["name"], errors)
    for request in writes(cluster):
        assert_valid_write(request)


def test_governance_report_totals(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch):
        pass

    [report] = stored(cluster, REPORTS).values()
    assert report["metadata"]["name"] == "cluster"
    status = report["status"]
    assert status["findings"] == len(EXPECTED)
    assert status["bySeverity"] == {"critical": 0, "high": 3, "medium": 0, "low": 2, "info": 0}
    assert status["byCheck"] == dict.fromkeys(sorted(EXPECTED), 1)
    assert status["droppedByCap"] == 0
    assert status["lastFullEvaluation"]


def test_fixing_an_object_removes_its_finding(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch) as op:
        name = _one(cluster, "qos.best-effort")["metadata"]["name"]
        before = len(cluster.requests())
        resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}
        template = {"spec": {"containers": [{"name": "web", "image": "nginx:1.27", "resources": resources}]}}
        status, _ = kube(
            cluster,
            "PATCH",
            "/apis/apps/v1/namespaces/shop/deployments/web",
            {"spec": {"template": template}},
        )
        assert status == 200

        op.wait_until(lambda: "qos.best-effort" not in by_check(cluster), "the fixed Finding to go")
        op.settle()

    assert sorted(by_check(cluster)) == sorted(set(EXPECTED) - {"qos.best-effort"})
    done = describe(writes(cluster, before))
    # One delete, and the report's totals; nothing else is touched.
    assert done == [
        f"DELETE /apis/kgov.io/v1alpha1/namespaces/shop/findings/{name}",
        "PATCH /apis/kgov.io/v1alpha1/governancereports/cluster/status",
    ]


def test_breaking_an_object_adds_a_finding_with_first_seen(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch) as op:
        status, _ = kube(
            cluster,
            "PATCH",
            "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api",
            {"spec": {"maxReplicas": 6}},
        )
        assert status == 200
        op.wait_until(lambda: "autoscaling.hpa-fixed-replicas" not in by_check(cluster), "the Finding to go")
        kube(
            cluster,
            "PATCH",
            "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api",
            {"spec": {"maxReplicas": 3}},
        )
        op.wait_until(lambda: "autoscaling.hpa-fixed-replicas" in by_check(cluster), "the Finding to return")
        op.settle()

    body = _one(cluster, "autoscaling.hpa-fixed-replicas")
    assert body["status"]["firstSeen"]


def test_deleted_target_is_left_to_the_garbage_collector(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch) as op:
        body = _one(cluster, "gateway.parent-not-found")
        name = body["metadata"]["name"]
        assert body["metadata"]["ownerReferences"][0]["uid"] == "uid-shop-web-route"
        before = len(cluster.requests())

        mark = op.mark()
        status, _ = kube(
            cluster, "DELETE", "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/web"
        )
        assert status == 200
        op.settle_after(mark, events=1)
        # The garbage collector removes the Finding with its owner; the operator sees it go and
        # does not write it again.
        mark = op.mark()
        status, _ = kube(cluster, "DELETE", f"/apis/kgov.io/v1alpha1/namespaces/shop/findings/{name}")
        assert status == 200
        op.settle_after(mark, events=1)

    assert "gateway.parent-not-found" not in by_check(cluster)
    # Neither deleted by the operator (the collector's job) nor written again after the collector.
    assert describe(writes(cluster, before)) == [
        "PATCH /apis/kgov.io/v1alpha1/governancereports/cluster/status"
    ]


def test_finding_deleted_by_hand_is_written_again(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_operator(cluster, tmp_path, monkeypatch) as op:
        name = _one(cluster, "qos.best-effort")["metadata"]["name"]
        status, _ = kube(cluster, "DELETE", f"/apis/kgov.io/v1alpha1/namespaces/shop/findings/{name}")
        assert status == 200
        op.wait_until(lambda: "qos.best-effort" in by_check(cluster), "the Finding to be written again")
        op.settle()

    assert _one(cluster, "qos.best-effort")["metadata"]["name"] == name


def test_namespace_scope_from_the_command_line(
    cluster: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = operator_options(tmp_path, exclude_namespaces=("oth*",))
    with running_operator(cluster, tmp_path, monkeypatch, options):
        pass

    assert "autoscaling.hpa-fixed-replicas" not in by_check(cluster)
    assert {"qos.best-effort", "ingress.eol-controller"} <= set(by_check(cluster))
    only = operator_options(tmp_path, namespaces=("other",))
    with emulated_cluster() as second, running_operator(second, tmp_path, monkeypatch, only):
        pass
    assert sorted(by_check(second)) == ["autoscaling.hpa-fixed-replicas", "ingress.eol-controller"]
