"""Read objects from a live cluster: list only, never write, never read Secrets.

The kubernetes client is imported here only, lazily, so the rest of `kgov` works without a cluster.
Lists are paginated and decoded as plain JSON (the client's typed models are slow and drop unknown
fields). Kinds whose API is not served (no VPA or Gateway API CRDs) are skipped quietly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kgov.model.errors import InputError, ObjectError
from kgov.model.objects import NotAnalysed, object_from_dict
from kgov.sources.files import LoadResult

CLUSTER = "cluster"
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class ListedKind:
    group_version: str  # "v1", "apps/v1", …
    plural: str
    kind: str
    namespaced: bool = True


# What the checks read. Secrets are deliberately absent and must stay so.
LISTED_KINDS = (
    ListedKind("v1", "namespaces", "Namespace", namespaced=False),
    ListedKind("v1", "pods", "Pod"),
    ListedKind("v1", "limitranges", "LimitRange"),
    ListedKind("v1", "services", "Service"),
    ListedKind("v1", "replicationcontrollers", "ReplicationController"),
    ListedKind("apps/v1", "deployments", "Deployment"),
    ListedKind("apps/v1", "replicasets", "ReplicaSet"),
    ListedKind("apps/v1", "statefulsets", "StatefulSet"),
    ListedKind("apps/v1", "daemonsets", "DaemonSet"),
    ListedKind("batch/v1", "jobs", "Job"),
    ListedKind("batch/v1", "cronjobs", "CronJob"),
    ListedKind("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ListedKind("autoscaling.k8s.io/v1", "verticalpodautoscalers", "VerticalPodAutoscaler"),
    ListedKind("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ListedKind("networking.k8s.io/v1", "ingresses", "Ingress"),
    ListedKind("networking.k8s.io/v1", "ingressclasses", "IngressClass", namespaced=False),
)


def load_cluster(context: str | None = None, namespace: str | None = None) -> LoadResult:
    """List every watched kind from the current (or named) kube context."""
    from kubernetes import client, config

    try:
        config.load_kube_config(context=context)  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    api = client.ApiClient()
    result = LoadResult()
    for listed in LISTED_KINDS:
        if namespace is not None and not listed.namespaced and listed.kind != "Namespace":
            continue
        try:
            for raw in _list(api, listed, namespace):
                _add(result, raw, listed)
        except client.ApiException as exc:
            if exc.status in (403, 404):
                continue  # API not served here, or not readable with these credentials
            result.errors.append(InputError(CLUSTER, None, f"listing {listed.plural}: {exc.reason}"))
    return result


def _list(api: Any, listed: ListedKind, namespace: str | None) -> Iterator[dict[str, Any]]:
    base = "/api/v1" if listed.group_version == "v1" else f"/apis/{listed.group_version}"
    if namespace is not None and listed.namespaced:
        path = f"{base}/namespaces/{namespace}/{listed.plural}"
    elif namespace is not None and listed.kind == "Namespace":
        path = f"{base}/namespaces/{namespace}"
    else:
        path = f"{base}/{listed.plural}"
    token: str | None = None
    while True:
        query = [("limit", PAGE_SIZE)] + ([("continue", token)] if token else [])
        response = api.call_api(
            path,
            "GET",
            query_params=query,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )
        body = json.loads(response.data)
        if body.get("kind") == "Namespace":  # a single namespace was asked for
            yield body
            return
        yield from body.get("items") or []
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return


def _add(result: LoadResult, raw: dict[str, Any], listed: ListedKind) -> None:
    # List items carry no apiVersion/kind of their own.
    raw.setdefault("apiVersion", listed.group_version)
    raw.setdefault("kind", listed.kind)
    result.documents += 1
    try:
        result.objects.append(object_from_dict(raw))
    except NotAnalysed:
        pass
    except ObjectError as exc:
        result.errors.append(InputError(CLUSTER, None, f"{listed.kind}: {exc.message}"))
