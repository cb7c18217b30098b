"""The chart's ClusterRole against what the operator really asks the API server: every request the
operator makes in a run with writes, updates and deletes must be one the chart grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import emulated_cluster, kube, operator_requests, running_operator

from chart_support import documents, find, helm_binary, render

INGRESS = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web"


def _verb(request: Any) -> str:
    method = request.method.value
    if method == "GET":
        if request.name:
            return "get"
        return "watch" if str(request.params.get("watch", "")).lower() in ("true", "1") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]


def _asked(requests: list[Any]) -> set[tuple[str, str, str]]:
    """(group, resource[/subresource], verb) of every resource request (discovery left out)."""
    asked = set()
    for request in requests:
        resource = request.resource
        if resource is None or not resource.plural:
            continue  # discovery: /api, /apis, /apis/GROUP/VERSION
        plural = resource.plural + (f"/{request.subresource}" if request.subresource else "")
        asked.add((resource.group or "", plural, _verb(request)))
    return asked


def _granted(rules: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    return any(
        group in rule.get("apiGroups", []) and resource in rule.get("resources", []) and verb in rule["verbs"]
        for rule in rules
    )


def test_every_request_of_the_operator_is_granted_by_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [role] = [
        r
        for r in find(documents(render(helm_binary())), "ClusterRole")
        if not r["metadata"]["name"].endswith("-view")
    ]
    with emulated_cluster() as cluster:
        with running_operator(cluster, tmp_path, monkeypatch) as op:
            # An annotation that adds a Finding (created, its status patched), then taken back (deleted).
            for value in ("8m", None):
                mark = op.mark()
                patch = {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": value}}}
                assert kube(cluster, "PATCH", INGRESS, patch)[0] == 200
                op.settle_after(mark, events=1)
        asked = _asked(operator_requests(cluster))

    verbs = {verb for _, _, verb in asked}
    assert {"list", "watch", "create", "patch", "delete"} <= verbs, asked
    refused = sorted(a for a in asked if not _granted(role["rules"], *a))
    assert refused == [], refused
    assert not [a for a in asked if a[1].split("/")[0] == "secrets"]
