"""`kgov scan --cluster` over real HTTP, against kmock's Kubernetes API emulator (tests/kube_emulator.py).

The CLI runs in a subprocess with KUBECONFIG pointing at the emulator; the request log then proves the
scan only listed (GET), never wrote and never touched Secrets. Pagination is checked in-process, where
`PAGE_SIZE` can be made small.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kgov.sources.cluster as cluster_source
from kgov.sources.cluster import LISTED_KINDS, load_cluster
from kube_emulator import BUILTIN, TOKEN, RunningEmulator, running_emulator, write_kubeconfig

# ---- objects ------------------------------------------------------------------------------------


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{namespace or '-'}-{name}", **extra}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def _owner(kind: str, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": name,
        "uid": f"uid-{namespace}-{name}",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _workload(
    namespace: str, app: str, container: dict[str, Any], qos: str, replicas: int = 2
) -> list[tuple[str, dict[str, Any]]]:
    """A Deployment, its current ReplicaSet and one running Pod of it (status as the kubelet sets it)."""
    rs = f"{app}-6d8f7c9b5"
    labels = {"app": app}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    return [
        (
            "apps/v1/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": _meta(app, namespace, labels=labels),
                "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
                "status": {"replicas": replicas, "readyReplicas": replicas},
            },
        ),
        (
            "apps/v1/replicasets",
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": _meta(
                    rs, namespace, labels=labels, ownerReferences=[_owner("Deployment", app, namespace)]
                ),
                "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
            },
        ),
        (
            "v1/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": _meta(
                    f"{rs}-x2x4q",
                    namespace,
                    labels=labels,
                    ownerReferences=[_owner("ReplicaSet", rs, namespace)],
                ),
                "spec": {"containers": [container], "nodeName": "node-1"},
                "status": {"phase": "Running", "qosClass": qos},
            },
        ),
    ]


def _namespace(name: str) -> tuple[str, dict[str, Any]]:
    return "v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name)}


CLUSTER_OBJECTS: list[tuple[str, dict[str, Any]]] = [
    _namespace("shop"),
    *_workload("shop", "web", {"name": "web", "image": "nginx:1.27"}, "BestEffort"),
    (
        "autoscaling/v2/horizontalpodautoscalers",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta("web", "shop"),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 2,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
    ),
    (
        "v1/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("web", "shop"),
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    ),
    (
        "networking.k8s.io/v1/ingressclasses",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": _meta("traefik"),
            "spec": {"controller": "traefik.io/ingress-controller"},
        },
    ),
    _namespace("other"),
    *_workload(
        "other",
        "api",
        {
            "name": "api",
            "image": "registry.example.com/api:2.1",
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "250m", "memory": "256Mi"},
            },
        },
        "Guaranteed",
    ),
]

UNSERVED = [k for k in LISTED_KINDS if f"{k.group_version}/{k.plural}" not in BUILTIN]


# ---- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        for resource, obj in CLUSTER_OBJECTS:
            running.put(resource, obj)
        yield running
    assert not running.failures(), running.failures()  # nothing broke inside the emulator


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_kgov(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(KUBECONFIG=str(kubeconfig), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return subprocess.run(
        [sys.executable, "-m", "kgov", "scan", "--cluster", "-o", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback (most recent call last)" not in proc.stderr, f"kgov crashed:\n{proc.stderr}"
    assert proc.stdout, f"no report; exit {proc.returncode}, stderr:\n{proc.stderr}"
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _findings(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == check]


def _assert_read_only(running: RunningEmulator) -> None:
    requests = running.requests()
    assert requests
    for request in requests:
        assert request.method == "GET", f"{request.method} {request.url}"
        assert "secrets" not in request.url.path, request.url
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert headers.get("authorization") == f"Bearer {TOKEN}", request.url  # the kubeconfig's user


def _paths(running: RunningEmulator) -> list[str]:
    return [request.url.path for request in running.requests()]


# ---- the CLI against the emulator ---------------------------------------------------------------


def _assert_shop_findings(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report = _report(proc)
    assert report["errors"] == [], report["errors"]
    assert proc.returncode == 1, f"exit {proc.returncode}; stderr:\n{proc.stderr}"

    best_effort = _findings(report, "qos.best-effort")
    # Pods and ReplicaSets roll up to their Deployment: one finding, on the Deployment only.
    assert [f["target"] for f in best_effort] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}
    ]
    [finding] = best_effort
    assert finding["severity"] == "high"
    assert finding["evidence"]["source"] == "status"  # the live pods' qosClass was read
    # Objects listed from a cluster have no file: the reporter gives no location (or `cluster`).
    assert finding["location"] in (None, {"file": "cluster", "line": None})

    fixed = _findings(report, "autoscaling.hpa-fixed-replicas")
    assert [f["target"]["kind"] for f in fixed] == ["HorizontalPodAutoscaler"]
    assert fixed[0]["target"]["namespace"] == "shop"
    assert fixed[0]["target"]["name"] == "web"

    # Nothing about the Guaranteed workload in `other`.
    assert not [f for f in report["findings"] if f["target"]["namespace"] == "other"], report["findings"]
    assert report["summary"]["objects"] == len(CLUSTER_OBJECTS)
    return report


def test_scan_cluster_over_http(cluster: RunningEmulator, tmp_path: Path) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")

    proc = _run_kgov(kubeconfig)

    _assert_shop_findings(proc)
    _assert_read_only(cluster)
    paths = _paths(cluster)
    # Every listed kind was asked for once, cluster-wide, paginated; the APIs not served (VPA: no CRD)
    # answered 404 and were skipped without an error.
    for listed in LISTED_KINDS:
        base = "/api/v1" if listed.group_version == "v1" else f"/apis/{listed.group_version}"
        assert paths.count(f"{base}/{listed.plural}") == 1, (listed, paths)
    assert len(paths) == len(LISTED_KINDS)
    assert {"verticalpodautoscalers"} <= {k.plural for k in UNSERVED}
    assert all(request.params.get("limit") == str(cluster_source.PAGE_SIZE) for request in cluster.requests())


def test_scan_cluster_named_context(cluster: RunningEmulator, tmp_path: Path) -> None:
    # The current context points at a closed port: only `--context` reaches the emulator.
    unreachable = f"http://127.0.0.1:{_closed_port()}"
    kubeconfig = cluster.write_kubeconfig(
        tmp_path / "kubeconfig", context="emulated", current="broken", extra_servers={"broken": unreachable}
    )

    proc = _run_kgov(kubeconfig, "--context", "emulated")

    _assert_shop_findings(proc)
    _assert_read_only(cluster)


def test_scan_cluster_one_namespace(cluster: RunningEmulator, tmp_path: Path) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")

    proc = _run_kgov(kubeconfig, "-n", "other")

    report = _report(proc)
    assert report["errors"] == [], report["errors"]
    checks = {f["check"] for f in report["findings"]}
    assert "qos.best-effort" not in checks
    assert "autoscaling.hpa-fixed-replicas" not in checks
    assert not [f for f in report["findings"] if f["target"]["namespace"] == "shop"]
    assert proc.returncode == 0, f"exit {proc.returncode}; findings: {report['findings']}"
    # The Namespace `other` (fetched by name) and its Deployment, ReplicaSet and Pod.
    assert report["summary"]["objects"] == 4

    _assert_read_only(cluster)
    paths = _paths(cluster)
    assert "/api/v1/namespaces/other" in paths
    namespaced = [p for p in paths if p != "/api/v1/namespaces/other"]
    assert namespaced and all("/namespaces/other/" in p for p in namespaced), paths
    assert not [p for p in paths if p.endswith("/ingressclasses")]  # cluster-scoped: not read with -n


def test_scan_unreachable_cluster_is_an_input_error(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{_closed_port()}"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"gone": unreachable}, current="gone")

    proc = _run_kgov(kubeconfig)

    report = _report(proc)
    assert proc.returncode == 2
    assert report["errors"], "the unreachable cluster must be reported"
    assert "Traceback" not in proc.stderr


# ---- in-process: pagination ---------------------------------------------------------------------


def test_load_cluster_follows_continue_tokens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # kmock 0.8 ignores `limit` and `continue` (its lists return everything at once); the emulator
    # helper pages its lists itself, the way the apiserver does, so this really crosses pages.
    monkeypatch.setattr(cluster_source, "PAGE_SIZE", 2)
    with running_emulator() as running:
        running.put(*_namespace("shop"))
        for i in range(5):
            running.put(
                "v1/pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": _meta(f"pod-{i}", "shop"),
                    "spec": {"containers": [{"name": "app", "image": "busybox"}]},
                    "status": {"phase": "Running", "qosClass": "BestEffort"},
                },
            )
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)

        result = load_cluster()

        pod_requests = [r for r in running.requests() if r.url.path == "/api/v1/pods"]
    assert not running.failures(), running.failures()

    assert result.errors == []
    pods = sorted(o.name for o in result.objects if o.kind == "Pod")
    assert pods == [f"pod-{i}" for i in range(5)]
    assert all(o.api_version == "v1" for o in result.objects if o.kind == "Pod")
    assert result.documents == 6  # 5 pods and the namespace
    # Three pages of 2, 2 and 1, each asking for 2, the later ones with the previous page's token.
    assert [(r.params.get("limit"), r.params.get("continue")) for r in pod_requests] == [
        ("2", None),
        ("2", "2"),
        ("2", "4"),
    ]


def test_scan_missing_namespace_is_an_input_error(cluster: RunningEmulator, tmp_path: Path) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")

    proc = _run_kgov(kubeconfig, "-n", "nope")

    report = _report(proc)
    assert proc.returncode == 2
    assert [e["message"] for e in report["errors"]] == ["namespace nope does not exist"]
    _assert_read_only(cluster)


# ---- the live overlay: files layered over the listing ---------------------------------------------

OVERLAY_FILES = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  rules:
    - backendRefs:
        - {name: web, port: 80}
        - {name: api, port: 80}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 6
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
"""


def test_scan_files_over_the_cluster(cluster: RunningEmulator, tmp_path: Path) -> None:
    """`kgov scan PATHS --cluster`: references resolve against what is live, and an object both
    define is the file's (the change about to be applied)."""
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    manifest = tmp_path / "change.yaml"
    manifest.write_text(OVERLAY_FILES, encoding="utf-8")

    report = _report(_run_kgov(kubeconfig, str(manifest)))

    assert report["errors"] == [], report["errors"]
    # The Service web is live; api is neither live nor in the files, and the listing is complete.
    unresolved = _findings(report, "gateway.unresolved-refs")
    assert [b["problem"] for f in unresolved for b in f["evidence"]["backends"]] == [
        "Service shop/api does not exist"
    ]
    assert unresolved[0]["location"]["file"] == str(manifest)
    # The file's HPA (2..6) replaces the live one (2..2): no fixed-replicas finding any more, and the
    # file's copy is the one checked against the live Deployment it targets.
    assert not _findings(report, "autoscaling.hpa-fixed-replicas")
    assert not _findings(report, "autoscaling.hpa-target-missing")
    assert _findings(report, "qos.best-effort")  # the live workload is still there
    _assert_read_only(cluster)


def test_scan_files_alone_leave_live_references_undecided(tmp_path: Path) -> None:
    manifest = tmp_path / "change.yaml"
    manifest.write_text(OVERLAY_FILES, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kgov", "scan", "-o", "json", str(manifest)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = _report(proc)
    assert not _findings(report, "gateway.unresolved-refs")
    assert {
        "check": "gateway.unresolved-refs",
        "reason": "2 backendRefs to Services not in the input",
        "undecided": 2,
    } in report["skipped"]


def test_gate_migration_over_the_cluster(cluster: RunningEmulator, tmp_path: Path) -> None:
    """`kgov gate migration PATHS --cluster` reads the same layered scope as `scan`."""
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    manifest = tmp_path / "ingress.yaml"
    manifest.write_text(
        """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: traefik
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(KUBECONFIG=str(kubeconfig), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    proc = subprocess.run(
        [sys.executable, "-m", "kgov", "gate", "migration", str(manifest), "--cluster", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    report = _report(proc)
    assert report["errors"] == [], report["errors"]
    assert proc.returncode in (0, 1), proc.stderr
    assert "shop/web" in proc.stdout or '"web"' in proc.stdout
    _assert_read_only(cluster)
