"""Read objects from a live cluster: list only, never write, never read Secrets.

The kubernetes client is imported here only, lazily, so the rest of `kgov` works without a cluster.
Lists are paginated and decoded as plain JSON (the client's typed models are slow and drop unknown
fields). Kinds whose API is not served (no VPA or Gateway API CRDs) are skipped quietly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kgov.model.errors import InputError, ObjectError
from kgov.model.kinds import LISTED_KINDS, KindSpec
from kgov.model.objects import NotAnalysed, object_from_dict
from kgov.sources.files import LoadResult

CLUSTER = "cluster"
PAGE_SIZE = 500


class ClusterError(Exception):
    """A list request failed with an HTTP status (other than the API not being served)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


def load_cluster(context: str | None = None, namespace: str | None = None) -> LoadResult:
    """List every watched kind from the current (or named) kube context.

    A cluster that cannot be reached or configured is an input error (the scan exits 2), never a
    traceback; an API that is not served (no VPA or Gateway API CRDs) is skipped quietly.
    """
    from kubernetes import client, config
    from urllib3.exceptions import HTTPError

    result = LoadResult()
    try:
        try:
            config.load_kube_config(context=context)  # type: ignore[no-untyped-call]
        except config.ConfigException:
            if context is not None:
                raise
            config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException as exc:
        result.errors.append(InputError(CLUSTER, None, f"no usable kube context: {exc}"))
        return result
    api = client.ApiClient()
    for listed in LISTED_KINDS:
        if namespace is not None and not listed.namespaced and listed.kind != "Namespace":
            continue
        try:
            for raw in _list(api, listed, namespace):
                _add(result, raw, listed)
            result.listed.add(listed.kind)
        except ClusterError as exc:
            if listed.kind == "Namespace" and namespace is not None and exc.status == 404:
                result.errors.append(InputError(CLUSTER, None, f"namespace {namespace} does not exist"))
                return result
            if exc.status == 404:
                result.listed.add(listed.kind)  # not served: there are none
                continue
            if exc.status == 403:
                continue  # not readable with these credentials: unknown
            result.errors.append(InputError(CLUSTER, None, f"listing {listed.plural}: {exc}"))
        except HTTPError as exc:
            host = api.configuration.host
            result.errors.append(InputError(CLUSTER, None, f"cannot reach the API server at {host}: {exc}"))
            return result
    return result


def _path(listed: KindSpec, namespace: str | None) -> str:
    base = "/api/v1" if listed.group_version == "v1" else f"/apis/{listed.group_version}"
    if namespace is not None and listed.namespaced:
        return f"{base}/namespaces/{namespace}/{listed.plural}"
    if namespace is not None and listed.kind == "Namespace":
        return f"{base}/namespaces/{namespace}"
    return f"{base}/{listed.plural}"


def _get(api: Any, path: str, query: list[tuple[str, Any]]) -> dict[str, Any]:
    """One authenticated GET through the client's own connection settings, decoded as plain JSON."""
    request = api.param_serialize("GET", path, query_params=query, auth_settings=["BearerToken"])
    response = api.call_api(*request, _request_timeout=60)
    response.read()
    if response.status >= 400:
        raise ClusterError(response.status, response.reason or "")
    body: dict[str, Any] = json.loads(response.data)
    return body


def _list(api: Any, listed: KindSpec, namespace: str | None) -> Iterator[dict[str, Any]]:
    path = _path(listed, namespace)
    token: str | None = None
    while True:
        query: list[tuple[str, Any]] = [("limit", PAGE_SIZE)] + ([("continue", token)] if token else [])
        body = _get(api, path, query)
        if body.get("kind") == "Namespace":  # a single namespace was asked for
            yield body
            return
        yield from body.get("items") or []
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return


def _add(result: LoadResult, raw: dict[str, Any], listed: KindSpec) -> None:
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
