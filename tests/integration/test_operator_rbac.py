"""The chart's ClusterRole against what the operator really asks the API server, both ways: every
request the operator makes is granted, and every (resource, verb) granted is one some request used,
but for the exceptions below, each with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from harness import (
    emulated_cluster,
    findings,
    kube,
    operator_options,
    operator_requests,
    running_operator,
    serve_peering,
)
from test_operator_convergence import Fault, inject

from chart_support import documents, find, helm_binary, render
from kgov.operator.kinds import WATCHED

INGRESS = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web"
Triple = tuple[str, str, str]  # (API group, resource[/subresource], verb)


def annotate(cluster: Any, op: Any, value: str | None) -> None:
    mark = op.mark()
    patch = {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": value}}}
    assert kube(cluster, "PATCH", INGRESS, patch)[0] == 200
    op.settle_after(mark, events=1)


def _verb(request: Any) -> str:
    method = request.method.value
    if method == "GET":
        if request.name:
            return "get"
        return "watch" if str(request.params.get("watch", "")).lower() in ("true", "1") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]


def _named(request: Any) -> str | None:
    """The object a request is about: its name, or a list's or watch's `metadata.name` selector (what
    RBAC resourceNames match, see the Kubernetes RBAC documentation)."""
    if request.name:
        return str(request.name)
    for term in str(request.params.get("fieldSelector") or "").split(","):
        field, _, value = term.partition("=")
        if field == "metadata.name":
            return value.lstrip("=")
    return None


def _asked(requests: list[Any]) -> dict[Triple, set[str | None]]:
    """Every resource request (discovery left out) → the names it was about."""
    asked: dict[Triple, set[str | None]] = {}
    for request in requests:
        resource = request.resource
        if resource is None or not resource.plural:
            continue  # discovery: /api, /apis, /apis/GROUP/VERSION
        plural = resource.plural + (f"/{request.subresource}" if request.subresource else "")
        asked.setdefault((resource.group or "", plural, _verb(request)), set()).add(_named(request))
    return asked


def _granted(rules: list[dict[str, Any]], triple: Triple, name: str | None) -> bool:
    group, resource, verb = triple
    return any(
        group in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verb in rule["verbs"]
        and (not rule.get("resourceNames") or name in rule["resourceNames"])
        for rule in rules
    )


def _grants(rules: list[dict[str, Any]]) -> set[Triple]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule["verbs"]
    }


def _operator_role(args: Iterable[str] = ()) -> list[dict[str, Any]]:
    [role] = [
        r
        for r in find(documents(render(helm_binary(), *args)), "ClusterRole")
        if not r["metadata"]["name"].endswith("-view")
    ]
    rules: list[dict[str, Any]] = role["rules"]
    return rules


def _unused_but_allowed(asked: set[Triple], served: set[tuple[str, str]]) -> dict[Triple, str]:
    """Grants no request of the run used, and why they are kept."""
    allowed = {}
    for kind in WATCHED:
        if kind.optional and (kind.group, kind.plural) not in served:
            for verb in ("list", "watch"):
                allowed[(kind.group, kind.plural, verb)] = "an optional kind the emulator does not serve here"
    for resource in ("clusterfindings", "clusterfindings/status"):
        twin = resource.replace("cluster", "")
        for verb in ("get", "patch", "delete"):
            if ("kgov.io", twin, verb) in asked:
                allowed[("kgov.io", resource, verb)] = "written by the same code as Findings"
    return allowed


def _check(
    rules: list[dict[str, Any]], asked: dict[Triple, set[str | None]], served: set[tuple[str, str]]
) -> None:
    refused = sorted((t, n) for t, names in asked.items() for n in names if not _granted(rules, t, n))
    assert refused == [], refused
    assert not [t for t in asked if t[1].split("/")[0] == "secrets"]
    allowed = _unused_but_allowed(set(asked), served)
    unused = sorted(t for t in _grants(rules) - set(asked) if t not in allowed)
    assert unused == [], f"granted but never used: {unused}"


def _served(cluster: Any) -> set[tuple[str, str]]:
    return {(r.group or "", r.plural) for r in cluster.emulator.resources}


def test_the_chart_grants_exactly_what_the_operator_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _operator_role()
    with emulated_cluster(vpa=True) as cluster:
        with running_operator(cluster, tmp_path, monkeypatch) as op:
            # An annotation that adds a Finding (its create answered 409 once: it is fetched and
            # adopted), the Finding edited by hand (patched back), the annotation taken back (deleted).
            inject(cluster, Fault("POST", r"/namespaces/shop/findings$"), 409)
            before = set(findings(cluster))
            annotate(cluster, op, "8m")
            [(namespace, name)] = set(findings(cluster)) - before
            mark = op.mark()
            edit = {"spec": {"message": "edited by hand"}}
            assert (
                kube(
                    cluster, "PATCH", f"/apis/kgov.io/v1alpha1/namespaces/{namespace}/findings/{name}", edit
                )[0]
                == 200
            )
            op.settle_after(mark, events=2)  # the edit, and the patch putting it back
            annotate(cluster, op, None)
        asked = _asked(operator_requests(cluster))
        served = _served(cluster)

    verbs = {verb for _, _, verb in asked}
    assert {"get", "list", "watch", "create", "patch", "delete"} <= verbs, asked
    _check([r for r in rules if r["apiGroups"] != ["kopf.dev"]], asked, served)


def test_the_peering_grants_are_what_kopf_and_the_operator_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = [r for r in _operator_role(["--set", "replicaCount=2"]) if r["apiGroups"] == ["kopf.dev"]]
    assert rules, "the chart grants nothing for peering"
    options = operator_options(tmp_path, peering="kgov", priority=100, peering_poll_seconds=0.2)
    with emulated_cluster() as cluster:
        serve_peering(cluster)
        with running_operator(cluster, tmp_path, monkeypatch, options):
            pass
        asked = {t: n for t, n in _asked(operator_requests(cluster)).items() if t[0] == "kopf.dev"}
    _check(rules, asked, set())
