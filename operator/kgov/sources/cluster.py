"""Read objects from a live cluster: list only, never write, never read Secrets.

Requests are plain HTTPS GETs (urllib3) on paths built from the table below and a namespace checked
against Kubernetes' naming rules, so no input can point a request elsewhere. Every request has a
connect and read timeout and an overall deadline, its answer a size cap; a list stops after
`MAX_PAGES` pages or a repeated continue token. Lists are decoded as plain JSON. Kinds whose API is not
served (no VPA or Gateway API CRDs: 404) are skipped quietly; every other failure, 401 and 403
included, is an input error, so a scan that could not read is never reported as a clean one.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass_environment  # type: ignore[attr-defined]

from kgov import escape
from kgov.model.errors import InputError, ObjectError
from kgov.model.kinds import LISTED_KINDS, KindSpec
from kgov.model.names import label_problem
from kgov.model.objects import NotAnalysed, object_from_dict
from kgov.sources.files import LoadResult
from kgov.sources.kubeconfig import Connection, KubeconfigError, connect

CLUSTER = "cluster"
PAGE_SIZE = 500
MAX_PAGES = 2000  # per kind: a million objects at the page size
CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 60.0  # seconds, per attempt to connect and per read
REQUEST_DEADLINE = 180.0  # seconds for one whole answer, however slowly it trickles in
MAX_RESPONSE = 256 * 1024 * 1024  # bytes of one page


class ClusterError(Exception):
    """A request failed: an HTTP status (`status`), or no usable answer at all (`status` 0)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}" if status else reason)
        self.status = status
        self.reason = reason


class Unreachable(Exception):
    """The API server cannot be reached (connection, TLS, timeout)."""


def namespace_problem(namespace: str) -> str | None:
    """Why `--namespace` cannot be used (it becomes part of request paths), or None."""
    problem = label_problem(namespace)
    return f"--namespace {escape.quoted(namespace)}: {problem}" if problem else None


def load_cluster(context: str | None = None, namespace: str | None = None) -> LoadResult:
    """List every watched kind from the current (or named) kube context.

    A cluster that cannot be reached, configured or authenticated against, and a list that is
    refused, are input errors (the scan exits 2), never a traceback and never "no findings".
    """
    result = LoadResult()
    if namespace is not None and (problem := namespace_problem(namespace)):
        result.errors.append(InputError(CLUSTER, None, problem))
        return result
    try:
        client = _Client(connect(context))
    except KubeconfigError as exc:
        result.errors.append(InputError(CLUSTER, None, f"no usable kube context: {exc}"))
        return result
    try:
        _list_all(client, result, namespace)
    except Unreachable as exc:
        result.errors.append(
            InputError(CLUSTER, None, f"cannot reach the API server at {client.server}: {exc}")
        )
    finally:
        client.close()
    return result


def _list_all(client: _Client, result: LoadResult, namespace: str | None) -> None:
    for listed in LISTED_KINDS:
        if namespace is not None and not listed.namespaced and listed.kind != "Namespace":
            continue
        try:
            for raw in _list(client, listed, namespace):
                _add(result, raw, listed)
            result.listed.add(listed.kind)
        except ClusterError as exc:
            if listed.kind == "Namespace" and namespace is not None and exc.status == 404:
                result.errors.append(InputError(CLUSTER, None, f"namespace {namespace} does not exist"))
                return
            if exc.status == 404:
                result.listed.add(listed.kind)  # the API is not served here (no CRD): there are none
                continue
            result.errors.append(InputError(CLUSTER, None, _refusal(listed, namespace, exc)))
            if exc.status == 401:
                return  # every other request would be refused the same way


def _refusal(listed: KindSpec, namespace: str | None, exc: ClusterError) -> str:
    where = f" in namespace {namespace}" if namespace and listed.namespaced else ""
    if exc.status == 401:
        return f"the API server refused the credentials (401 Unauthorized): {exc.reason}"
    if exc.status == 403:
        return f"not allowed to list {listed.plural}{where} (403 Forbidden): {exc.reason}"
    return f"listing {listed.plural}{where}: {exc}"


def _path(listed: KindSpec, namespace: str | None) -> str:
    """The request path, from the table's constants and a namespace already checked as a DNS label
    (quoted all the same, so that nothing else can ever add a path segment)."""
    base = "/api/v1" if listed.group_version == "v1" else f"/apis/{listed.group_version}"
    if namespace is None:
        return f"{base}/{listed.plural}"
    if label_problem(namespace):
        raise ValueError("namespace not checked before building a path")
    segment = quote(namespace, safe="")
    if listed.namespaced:
        return f"{base}/namespaces/{segment}/{listed.plural}"
    if listed.kind == "Namespace":
        return f"{base}/namespaces/{segment}"
    return f"{base}/{listed.plural}"


def environment_proxy(server: str) -> str | None:
    """The proxy `HTTPS_PROXY`/`HTTP_PROXY` name for `server`, unless `NO_PROXY` exempts it (as kubectl)."""
    proxies = getproxies()
    parts = urlsplit(server)
    proxy = proxies.get(parts.scheme)
    if not proxy or proxy_bypass_environment(parts.hostname or "", proxies):
        return None
    return proxy


class _Client:
    """GET requests to one API server, with timeouts and limits."""

    def __init__(self, connection: Connection) -> None:
        import urllib3

        self.server = connection.server
        self.headers = {**connection.headers, "Accept": "application/json", "User-Agent": "kgov"}
        options: dict[str, Any] = {
            "timeout": urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            "retries": False,
        }
        if connection.ssl_context is not None:
            options["ssl_context"] = connection.ssl_context
            if connection.ssl_context.verify_mode == ssl.CERT_NONE:  # insecure-skip-tls-verify, as asked
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            if connection.tls_server_name:
                options["server_hostname"] = connection.tls_server_name
        proxy = connection.proxy or environment_proxy(connection.server)
        if proxy:
            self.pool: Any = urllib3.ProxyManager(proxy, **options)
        else:
            self.pool = urllib3.PoolManager(**options)

    def get(self, path: str, query: list[tuple[str, Any]]) -> Any:
        """The decoded JSON answer of one GET; ClusterError for an HTTP error or an unusable answer."""
        import urllib3

        url = f"{self.server}{path}?{urlencode(query)}"
        try:
            response = self.pool.request(
                "GET", url, headers=self.headers, preload_content=False, redirect=False
            )
            try:
                data = _read(response)
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise Unreachable(escape.line(str(exc))) from None
        if response.status >= 400:
            raise ClusterError(response.status, _status_message(data, response.reason))
        if response.status >= 300:
            raise ClusterError(response.status, "a redirect (not followed)")
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise ClusterError(0, "the answer is not JSON") from None

    def close(self) -> None:
        self.pool.clear()


def _read(response: Any) -> bytes:
    deadline = time.monotonic() + REQUEST_DEADLINE
    chunks, size = [], 0
    while chunk := response.read1(65536):
        size += len(chunk)
        if size > MAX_RESPONSE:
            raise Unreachable(f"an answer larger than {MAX_RESPONSE} bytes")
        if time.monotonic() > deadline:
            raise Unreachable(f"an answer that took longer than {REQUEST_DEADLINE:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _status_message(data: bytes, reason: str | None) -> str:
    """The message of the API's Status answer, or the HTTP reason."""
    try:
        message = json.loads(data).get("message")
    except (ValueError, AttributeError, RecursionError):
        message = None
    text = message if isinstance(message, str) and message else reason or ""
    return escape.line(text[:300])


def _list(client: _Client, listed: KindSpec, namespace: str | None) -> Iterator[dict[str, Any]]:
    path = _path(listed, namespace)
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        query: list[tuple[str, Any]] = [("limit", PAGE_SIZE)] + ([("continue", token)] if token else [])
        body = client.get(path, query)
        if not isinstance(body, dict):
            raise ClusterError(0, "the answer is not a JSON object")
        if body.get("kind") == "Namespace":  # a single namespace was asked for
            yield body
            return
        items = body.get("items") or []
        if not isinstance(items, list):
            raise ClusterError(0, "the answer's items are not a list")
        yield from (item for item in items if isinstance(item, dict))
        metadata = body.get("metadata")
        token = metadata.get("continue") if isinstance(metadata, dict) else None
        if not token:
            return
        if not isinstance(token, str) or token in seen:
            raise ClusterError(0, "the API server repeated a continue token")
        seen.add(token)
    raise ClusterError(0, f"more than {MAX_PAGES} pages of {PAGE_SIZE}: stopped")


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
