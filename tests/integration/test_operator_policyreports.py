"""`kgov run --policy-reports`: one report per namespace with findings and one for cluster-scoped
targets, valid against the real OpenReports / wgpolicyk8s CRDs, kept in step with the findings
(patched when a finding goes, deleted when a namespace has none left), never written when nothing
changed, and never touching another tool's report. Without the flag no report is asked for at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from harness import (
    FORMATS,
    by_check,
    describe,
    emulated_cluster,
    kube,
    openapi_to_jsonschema,
    operator_options,
    operator_requests,
    running_operator,
    seed_objects,
    stored,
    writes,
)
from test_operator_convergence import Fault, inject

from chart_support import documents, find, helm_binary, render
from conftest import require_shared
from kube_emulator import RunningEmulator

# API name → (CRD folder, group, version, namespaced plural, cluster plural)
APIS = {
    "openreports": ("openreports", "openreports.io", "v1alpha1", "reports", "clusterreports"),
    "wgpolicyk8s": ("wgpolicyk8s", "wgpolicyk8s.io", "v1alpha2", "policyreports", "clusterpolicyreports"),
}
MANAGED_BY = "app.kubernetes.io/managed-by"

# A third namespace with a finding, where another tool already keeps a report named `kgov`.
TEAM = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "uid": "uid-ns-team"}},
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "job", "namespace": "team", "uid": "uid-team-job", "labels": {"app": "job"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "job"}},
            "template": {
                "metadata": {"labels": {"app": "job"}},
                "spec": {"containers": [{"name": "job", "image": "nginx:1.27"}]},
            },
        },
    },
]


def _crds(api: str) -> list[dict[str, Any]]:
    """The report CRDs of `api`, each reduced to the version the operator writes."""
    folder, _, version, _, _ = APIS[api]
    crds = []
    for path in sorted((require_shared("corpus/crds") / folder).glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        crd["spec"]["versions"] = [v for v in crd["spec"]["versions"] if v["name"] == version]
        crds.append(crd)
    return crds


def _validators(crds: list[dict[str, Any]]) -> dict[str, jsonschema.Draft7Validator]:
    return {
        crd["spec"]["names"]["kind"]: jsonschema.Draft7Validator(
            openapi_to_jsonschema(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]),
            format_checker=FORMATS,
        )
        for crd in crds
    }


def _foreign(api: str, namespace: str, name: str) -> dict[str, Any]:
    _, group, version, _, _ = APIS[api]
    kind = "Report" if api == "openreports" else "PolicyReport"
    return {
        "apiVersion": f"{group}/{version}",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {MANAGED_BY: "kyverno"}},
        "summary": {"pass": 1, "fail": 0, "warn": 0, "error": 0, "skip": 0},
        "results": [{"policy": "require-labels", "result": "pass", "source": "kyverno"}],
    }


def _reports(cluster: RunningEmulator, api: str) -> dict[str | None, dict[str, Any]]:
    """kube-governor's reports (named `kgov`, labelled as its own), by namespace (None: cluster-scoped)."""
    _, group, version, namespaced, clustered = APIS[api]
    found = {}
    for plural in (namespaced, clustered):
        for (namespace, name), body in stored(cluster, f"{group}/{version}/{plural}").items():
            if name == "kgov" and body["metadata"].get("labels", {}).get(MANAGED_BY) == "kube-governor":
                found[namespace] = body
    return found


def _policies(report: dict[str, Any]) -> set[str]:
    return {r["policy"] for r in report["results"]}


def _permissions(requests: list[Any]) -> set[tuple[str, str]]:
    """(resource, RBAC verb) of each request."""
    verbs = {"POST": "create", "PATCH": "patch", "DELETE": "delete", "PUT": "update"}
    asked = set()
    for request in requests:
        method = request.method.value
        verb = verbs.get(method) or ("get" if request.name else "list")
        asked.add((request.resource.plural, verb))
    return asked


def _report_requests(cluster: RunningEmulator, api: str, since: int = 0) -> list[str]:
    group = APIS[api][1]
    return [r for r in describe(operator_requests(cluster, since)) if f"/apis/{group}/" in r]


def _report_writes(cluster: RunningEmulator, api: str, since: int = 0) -> list[str]:
    group = APIS[api][1]
    return [r for r in describe(writes(cluster, since)) if f"/apis/{group}/" in r]


@pytest.mark.parametrize("api", sorted(APIS))
def test_reports_follow_the_findings_namespace_by_namespace(
    api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crds = _crds(api)
    validators = _validators(crds)
    _, group, version, namespaced, _ = APIS[api]
    resource = f"{group}/{version}/{namespaced}"
    options = operator_options(tmp_path, policy_reports=api)
    with emulated_cluster([*seed_objects(), *TEAM], extra_crds=crds) as cluster:
        neighbour = _foreign(api, "shop", "polr-kyverno")
        squatter = _foreign(api, "team", "kgov")
        cluster.put(resource, neighbour)
        cluster.put(resource, squatter)
        # The answer to the first create in `shop` is lost (503; kmock applies the write): the retry
        # finds it there (409) and adopts it as ours, no duplicate, no error left.
        lost = inject(cluster, Fault("POST", f"/namespaces/shop/{namespaced}$", times=5), 503)
        with running_operator(cluster, tmp_path, monkeypatch, options) as op:
            first = _reports(cluster, api)

            # Events that change no finding: no report request at all, not even a read.
            start, mark = len(cluster.requests()), op.mark()
            deployment = "/apis/apps/v1/namespaces/shop/deployments/web"
            assert kube(cluster, "PATCH", deployment, {"metadata": {"labels": {"tier": "front"}}})[0] == 200
            op.settle_after(mark, events=1)
            assert _report_requests(cluster, api, start) == []

            # A finding fixed: its namespace's report is patched, once, and keeps the other results.
            start, mark = len(cluster.requests()), op.mark()
            resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}
            container = {"name": "web", "image": "nginx:1.27", "resources": resources}
            fix = {"spec": {"template": {"spec": {"containers": [container]}}}}
            assert kube(cluster, "PATCH", deployment, fix)[0] == 200
            op.settle_after(mark, events=1)
            fixed = _reports(cluster, api)
            fix_writes = _report_writes(cluster, api, start)

            # The last finding of a namespace fixed: its report is deleted.
            start, mark = len(cluster.requests()), op.mark()
            hpa = "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api"
            assert kube(cluster, "PATCH", hpa, {"spec": {"maxReplicas": 6}})[0] == 200
            op.settle_after(mark, events=1)
            emptied = _reports(cluster, api)
            empty_writes = _report_writes(cluster, api, start)
        all_requests = operator_requests(cluster)
        report_requests = _report_requests(cluster, api)
        foreign_after = stored(cluster, resource)

    # One report per namespace with findings, one cluster-scoped; the squatted namespace left alone.
    assert set(first) == {"shop", "other", None}
    assert _policies(first["shop"]) == {
        "qos.best-effort",
        "ingress.legacy-class-annotation",
        "gateway.parent-not-found",
    }
    assert _policies(first["other"]) == {"autoscaling.hpa-fixed-replicas"}
    assert _policies(first[None]) == {"ingress.eol-controller"}
    assert first["shop"]["summary"] == {"pass": 0, "fail": 2, "warn": 1, "error": 0, "skip": 0}
    assert first["other"]["summary"] == {"pass": 0, "fail": 0, "warn": 1, "error": 0, "skip": 0}
    for report in first.values():
        assert report["metadata"]["labels"][MANAGED_BY] == "kube-governor"
        assert {r["source"] for r in report["results"]} == {"kube-governor"}
        assert report.get("source") == ("kube-governor" if api == "openreports" else None)
        errors = [e.message for e in validators[report["kind"]].iter_errors(report)]
        assert not errors, (report["kind"], errors)
    assert lost.hits and f"GET /apis/{group}/{version}/namespaces/shop/{namespaced}/kgov" in report_requests
    web = next(r for r in first["shop"]["results"] if r["policy"] == "qos.best-effort")
    assert web["resources"][0] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "namespace": "shop",
        "uid": "uid-shop-web",
    }
    assert web["result"] == "fail" and web["severity"] == "high"

    assert fix_writes == [f"PATCH /apis/{group}/{version}/namespaces/shop/{namespaced}/kgov"]
    assert _policies(fixed["shop"]) == _policies(first["shop"]) - {"qos.best-effort"}
    assert fixed["shop"]["summary"] == {"pass": 0, "fail": 1, "warn": 1, "error": 0, "skip": 0}
    assert not list(validators[fixed["shop"]["kind"]].iter_errors(fixed["shop"]))
    kept = {r["policy"]: r["timestamp"] for r in first["shop"]["results"]}
    assert all(r["timestamp"] == kept[r["policy"]] for r in fixed["shop"]["results"])
    assert fixed["other"] == first["other"] and fixed[None] == first[None]

    assert empty_writes == [f"DELETE /apis/{group}/{version}/namespaces/other/{namespaced}/kgov"]
    assert set(emptied) == {"shop", None}

    # Another tool's reports: never patched nor deleted (the squatted name is tried once, 409).
    assert foreign_after[("shop", "polr-kyverno")] == neighbour
    assert foreign_after[("team", "kgov")] == squatter
    foreign_paths = (f"/namespaces/shop/{namespaced}/polr-kyverno", f"/namespaces/team/{namespaced}/kgov")
    touched = [r for r in report_requests if r.endswith(foreign_paths) and not r.startswith("GET")]
    assert touched == []

    # Every report request is one the chart grants when policyReports.enabled names this API.
    values = ("--set", "policyReports.enabled=true", "--set", f"policyReports.api={api}")
    rules = [
        rule
        for role in find(documents(render(helm_binary(), *values)), "ClusterRole")
        if not role["metadata"]["name"].endswith("-view")
        for rule in role["rules"]
        if rule["apiGroups"] == [group]
    ]
    asked = _permissions([r for r in all_requests if f"/apis/{group}/" in r.url.path])
    assert {verb for _, verb in asked} == {"list", "create", "patch", "delete", "get"}
    assert [a for a in asked if not any(a[0] in r["resources"] and a[1] in r["verbs"] for r in rules)] == []


def test_no_report_request_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with emulated_cluster(extra_crds=_crds("openreports")) as cluster:
        with running_operator(cluster, tmp_path, monkeypatch):
            pass  # the first evaluation, its Findings written
        assert _report_requests(cluster, "openreports") == []
        assert _reports(cluster, "openreports") == {}


def test_without_the_report_crds_findings_are_written_as_usual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = operator_options(tmp_path, policy_reports="openreports")
    with emulated_cluster() as cluster:
        # Settling needs an idle evaluator: a listing answered 404 must not keep it retrying.
        with running_operator(cluster, tmp_path, monkeypatch, options) as op:
            mark = op.mark()
            hpa = "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api"
            assert kube(cluster, "PATCH", hpa, {"spec": {"maxReplicas": 6}})[0] == 200
            op.settle_after(mark, events=1)
            held = by_check(cluster)
        asked = _report_requests(cluster, "openreports")
    assert held and "autoscaling.hpa-fixed-replicas" not in held
    assert asked and all(r.startswith("GET ") for r in asked)
