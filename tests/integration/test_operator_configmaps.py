"""Only the ConfigMaps the checks read are watched: the ingress-nginx controller's (its `--configmap`,
and the chart's default name). Any other ConfigMap is neither listed nor watched, and its changes
cost nothing; a change to a watched one is evaluated."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from harness import emulated_cluster, kube, operator_requests, running_operator, seed_objects

from kube_emulator import RunningEmulator

CONTROLLER_ARGS = ["/nginx-ingress-controller", "--configmap=$(POD_NAMESPACE)/nginx-config"]


def config_map(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def controller(args: list[str]) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    container = {
        "name": "controller",
        "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2",
        "args": args,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "ingress-nginx-controller",
            "namespace": "ingress",
            "uid": "uid-nginx",
            "labels": labels,
        },
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def config_map_requests(cluster: RunningEmulator, since: int = 0) -> list[str]:
    """Every list and watch of ConfigMaps the operator made: path and field selector."""
    return [
        f"{r.url.path}?{r.params.get('fieldSelector', '')}"
        for r in operator_requests(cluster)[since:]
        if r.url.path.endswith("/configmaps")
    ]


def quiet_for(seconds: float, op: Any) -> tuple[int, int]:
    time.sleep(seconds)
    return op.runtime.events, op.runtime.evaluations


def test_only_the_controller_config_maps_are_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = [
        *seed_objects(),
        controller(CONTROLLER_ARGS),
        config_map("ingress", "nginx-config", {"allow-snippet-annotations": "false"}),
        config_map("shop", "app-settings", {"color": "blue"}),
    ]
    with emulated_cluster(objects) as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        store = op.runtime.engine.store
        assert store.get(("ConfigMap", "ingress", "nginx-config")) is not None
        assert store.get(("ConfigMap", "shop", "app-settings")) is None
        asked = set(config_map_requests(cluster))
        assert asked == {
            "/api/v1/configmaps?metadata.name=ingress-nginx-controller",
            "/api/v1/namespaces/ingress/configmaps?metadata.name=nginx-config",
        }, asked

        # An unrelated ConfigMap changes: no event reaches the operator, nothing is evaluated.
        before = (op.runtime.events, op.runtime.evaluations)
        assert (
            kube(cluster, "PATCH", "/api/v1/namespaces/shop/configmaps/app-settings", {"data": {"c": "red"}})[
                0
            ]
            == 200
        )
        assert quiet_for(1.5, op) == before

        # The controller's ConfigMap changes: seen and evaluated.
        mark = op.mark()
        path = "/api/v1/namespaces/ingress/configmaps/nginx-config"
        assert kube(cluster, "PATCH", path, {"data": {"allow-snippet-annotations": "true"}})[0] == 200
        op.settle_after(mark, events=1)
        assert op.runtime.evaluations > before[1]

        # The controller stops naming it: it is no longer watched and leaves the engine.
        start = len(cluster.requests())
        mark = op.mark()
        deployment = "/apis/apps/v1/namespaces/ingress/deployments/ingress-nginx-controller"
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                **controller([])["spec"]["template"]["spec"]["containers"][0],
                                "args": ["/nginx-ingress-controller"],
                            }
                        ]
                    }
                }
            }
        }
        assert kube(cluster, "PATCH", deployment, patch)[0] == 200
        op.settle_after(mark, events=2)  # the Deployment, and the ConfigMap's removal
        assert store.get(("ConfigMap", "ingress", "nginx-config")) is None
        before = (op.runtime.events, op.runtime.evaluations)
        assert kube(cluster, "PATCH", path, {"data": {"allow-snippet-annotations": "false"}})[0] == 200
        assert quiet_for(1.5, op) == before
        assert not [r for r in config_map_requests(cluster, start) if "nginx-config" in r]
