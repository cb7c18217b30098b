"""The real operator (kopf, `kgov.operator`) against kmock's Kubernetes emulator, over real HTTP.

`emulated_cluster()` serves the built-in APIs the operator watches, the kgov.io kinds loaded from the
CRD files in `crds/` (and, optionally, the Gateway API), with the seed objects stored. kmock keeps
every request, so tests assert on what the operator read and wrote.

`running_operator()` starts the operator exactly as `kgov run` does (`kgov.operator.main.serve`), in
a thread with its own event loop, logged in through a kubeconfig that points at the emulator.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import kmock
import pytest
import yaml

from kgov.operator.main import Prepared, prepare, serve
from kgov.operator.options import RunOptions
from kube_emulator import BUILTIN, TOKEN, RunningEmulator, Served, running_emulator

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
SEED = Path(__file__).with_name("seed.yaml")
# Generous: the waits end as soon as their condition holds, and a loaded machine (two cores running
# other builds) can take several times longer than an idle one to settle.
TIMEOUT = 60.0

GATEWAY_API = {
    f"gateway.networking.k8s.io/v1/{plural}": Served(kind, namespaced)
    for plural, kind, namespaced in (
        ("gatewayclasses", "GatewayClass", False),
        ("gateways", "Gateway", True),
        ("httproutes", "HTTPRoute", True),
        ("grpcroutes", "GRPCRoute", True),
        ("referencegrants", "ReferenceGrant", True),
    )
}
VPA = {"autoscaling.k8s.io/v1/verticalpodautoscalers": Served("VerticalPodAutoscaler")}
CLUSTER_BASICS = {
    "v1/configmaps": Served("ConfigMap"),
    "admissionregistration.k8s.io/v1/validatingwebhookconfigurations": Served(
        "ValidatingWebhookConfiguration", namespaced=False
    ),
    "apiextensions.k8s.io/v1/customresourcedefinitions": Served("CustomResourceDefinition", namespaced=False),
}
CRD_RESOURCE = "apiextensions.k8s.io/v1/customresourcedefinitions"
# The seed's HPA other/api, pinned (min = max): it holds the autoscaling.hpa-fixed-replicas Finding.
SEED_HPA = "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api"
FIXED = "autoscaling.hpa-fixed-replicas"
PEERINGS = "kopf.dev/v1/clusterkopfpeerings"


def load_crds() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(CRDS.glob("*.yaml"))]


def crd_resource(crd: Mapping[str, Any]) -> tuple[str, Served, kmock.ResourceInfo]:
    """How a CRD is served: its resource key, and its discovery entry (names, scope, subresources)."""
    spec = crd["spec"]
    names = spec["names"]
    [version] = [v for v in spec["versions"] if v.get("served")]
    namespaced = spec["scope"] == "Namespaced"
    info = kmock.ResourceInfo(
        kind=names["kind"],
        singular=names["singular"],
        namespaced=namespaced,
        shortnames=names.get("shortNames", []),
        categories=names.get("categories", []),
        subresources=list(version.get("subresources", {})),
        verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
    )
    return f"{spec['group']}/{version['name']}/{names['plural']}", Served(names["kind"], namespaced), info


def seed_objects() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(SEED.read_text(encoding="utf-8")) if doc]


def deployment(name: str, namespace: str = "shop") -> dict[str, Any]:
    """A Deployment of one container without resources: best effort (a qos.best-effort Finding)."""
    labels = {"app": name}
    container = {"name": "app", "image": "registry.example/app:1"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def serve_peering(cluster: RunningEmulator) -> None:
    """Serve kopf's ClusterKopfPeering kind, with the operator's peering object `kgov`."""
    cluster.emulator.resources[PEERINGS] = kmock.ResourceInfo(
        kind="ClusterKopfPeering", namespaced=False, verbs={"get", "list", "watch", "patch"}
    )
    cluster.emulator.objects[PEERINGS, None, "kgov"] = {
        "apiVersion": "kopf.dev/v1",
        "kind": "ClusterKopfPeering",
        "metadata": {"name": "kgov"},
    }


def resource_of(obj: Mapping[str, Any], served: Mapping[str, Served]) -> str:
    for resource, info in served.items():
        group_version = resource.rsplit("/", 1)[0]
        if info.kind == obj["kind"] and group_version == obj["apiVersion"]:
            return resource
    raise KeyError(f"{obj['apiVersion']} {obj['kind']} is not served")


@contextmanager
def emulated_cluster(
    objects: list[dict[str, Any]] | None = None,
    *,
    gateway_api: bool = True,
    vpa: bool = False,
    own_crds: bool = True,
    extra_crds: Sequence[Mapping[str, Any]] = (),
) -> Iterator[RunningEmulator]:
    """`extra_crds`: other CRDs to serve (and store), each with the one version it serves."""
    served: dict[str, Served] = {**BUILTIN, **CLUSTER_BASICS}
    infos = {}
    crds = [*(load_crds() if own_crds else []), *extra_crds]
    for crd in crds:
        resource, entry, info = crd_resource(crd)
        served[resource] = entry
        infos[resource] = info
    if gateway_api:
        served.update(GATEWAY_API)
    if vpa:
        served.update(VPA)
    with running_emulator(served) as running:
        running.emulator.resources.update(infos)
        for crd in crds:
            running.put(CRD_RESOURCE, crd)
        for obj in seed_objects() if objects is None else objects:
            resource = resource_of(obj, served)
            if gateway_api or not resource.startswith("gateway."):
                running.put(resource, obj)
        yield running
    assert not running.failures(), running.failures()


# ---- the operator in a thread -------------------------------------------------------------------


@dataclass
class OperatorThread:
    prepared: Prepared
    thread: threading.Thread
    stop_flag: threading.Event
    failure: list[BaseException] = field(default_factory=list)

    @property
    def runtime(self) -> Any:
        return self.prepared.runtime

    def wait_until(self, predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.failure:
                raise AssertionError(f"the operator failed while waiting for {what}") from self.failure[0]
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def settled(self, events: int) -> bool:
        """Every watch event up to the `events`-th went into an evaluation whose writes are done."""
        runtime = self.runtime
        return bool(runtime.evaluated_events >= events and runtime.idle and not runtime.dirty.is_set())

    def settle(self, timeout: float = TIMEOUT) -> None:
        """Wait for every event seen so far to be evaluated and its writes to be done."""
        events = self.runtime.events
        self.wait_until(lambda: self.settled(events), "the operator to settle", timeout)

    def mark(self) -> int:
        """The count of watch events the engine has seen; take it before acting on the cluster."""
        return int(self.runtime.events)

    def settle_after(self, mark: int, events: int, timeout: float = TIMEOUT) -> None:
        """Wait until `events` more watch events than at `mark` reached the engine, then settle."""
        target = mark + events
        self.wait_until(lambda: self.runtime.events >= target, f"{events} more watch events", timeout)
        self.settle(timeout)


def operator_options(tmp_path: Path, config: Mapping[str, Any] | None = None, **overrides: Any) -> RunOptions:
    settings = {"operator": {"debounce_seconds": 0.05}, **(config or {})}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    defaults: dict[str, Any] = {
        "config_path": path,
        "port": 0,
        "host": "127.0.0.1",
        "config_poll_seconds": 0.1,
        "write_rate": 1000.0,
        "write_burst": 1000,
        "write_retry_seconds": 0.05,
    }
    return replace(RunOptions(), **{**defaults, **overrides})


@contextmanager
def running_operator(
    cluster: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: RunOptions | None = None,
    tune: Callable[[Prepared], None] | None = None,
    *,
    wait: bool = True,
) -> Iterator[OperatorThread]:
    """The operator in a thread; with `wait`, once it evaluated and settled."""
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    prepared = prepare(options or operator_options(tmp_path))
    if tune is not None:
        tune(prepared)
    stop_flag = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(serve(prepared, stop_flag=stop_flag))
        except BaseException as exc:  # reported by the test thread
            failure.append(exc)

    thread = threading.Thread(target=main, name="kgov-operator", daemon=True)
    running = OperatorThread(prepared, thread, stop_flag, failure)
    thread.start()
    try:
        if wait:
            running.wait_until(lambda: prepared.runtime.evaluations > 0, "the first evaluation")
            running.settle()
        yield running
    finally:
        stop_flag.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the operator did not stop"
    if failure:
        raise AssertionError("the operator failed") from failure[0]


# ---- reading what the operator wrote ------------------------------------------------------------


def stored(cluster: RunningEmulator, resource: str) -> dict[tuple[str | None, str], dict[str, Any]]:
    """Live objects of one resource in the emulator, by (namespace, name)."""
    return {
        (namespace, name): dict(obj.raw)
        for (res, namespace, name), obj in list(cluster.emulator.objects.items())
        if str(res) == resource or _plural_key(res) == resource
        if not obj.deleted
    }


def _plural_key(res: Any) -> str:
    group = f"{res.group}/" if res.group else ""
    return f"{group}{res.version}/{res.plural}"


FINDINGS = "kgov.io/v1alpha1/findings"
CLUSTER_FINDINGS = "kgov.io/v1alpha1/clusterfindings"
REPORTS = "kgov.io/v1alpha1/governancereports"


def findings(cluster: RunningEmulator) -> dict[tuple[str | None, str], dict[str, Any]]:
    return {**stored(cluster, FINDINGS), **stored(cluster, CLUSTER_FINDINGS)}


def by_check(cluster: RunningEmulator) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for body in findings(cluster).values():
        result.setdefault(body["spec"]["check"], []).append(body)
    return result


TEST_AGENT = "kgov-integration-tests"  # the tests' own requests, told apart from the operator's


def operator_requests(cluster: RunningEmulator, since: int = 0) -> list[kmock.Request]:
    return [r for r in cluster.requests()[since:] if not from_tests(r)]


def from_tests(request: kmock.Request) -> bool:
    """A request the tests made (as a user would), not the operator."""
    return _agent(request) == TEST_AGENT


def writes(cluster: RunningEmulator, since: int = 0) -> list[kmock.Request]:
    """The operator's requests that are not reads."""
    return [r for r in operator_requests(cluster, since) if r.method not in ("GET", "HEAD", "OPTIONS")]


def describe(requests: list[kmock.Request]) -> list[str]:
    return [f"{r.method.value} {r.url.path}" for r in requests]


def _agent(request: kmock.Request) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == "user-agent"), None)


_OWN_PATH = re.compile(
    r"^/apis/kgov\.io/v1alpha1/(namespaces/[^/]+/)?(findings|clusterfindings|governancereports)(/|$)"
)


def assert_only_own_writes(cluster: RunningEmulator) -> None:
    """No operator request wrote to anything but kgov.io kinds (it posts no Events); none touched Secrets;
    every object created and every status written validates against the CRDs' schemas."""
    requests = operator_requests(cluster)
    assert requests, "the operator made no request at all"
    for request in requests:
        path = request.url.path
        assert "secrets" not in path, path
        if request.method in ("GET", "HEAD"):
            continue
        assert _OWN_PATH.match(path), f"{request.method.value} {path}"
        assert_valid_write(request)
    for (resource, _, name), obj in list(cluster.emulator.objects.items()):
        if obj.deleted:
            continue
        metadata = obj.raw.get("metadata") or {}
        marks = [k for k in metadata.get("annotations") or {} if "kopf" in k]
        assert not marks and not metadata.get("finalizers"), (str(resource), name, marks)


_KINDS = {"findings": "Finding", "clusterfindings": "ClusterFinding", "governancereports": "GovernanceReport"}


def assert_valid_write(request: kmock.Request) -> None:
    path = request.url.path
    match = _OWN_PATH.match(path)
    assert match is not None
    kind = _KINDS[match.group(2)]
    data = request.data
    if request.method == "POST":
        errors = [e.message for e in validator_for(kind).iter_errors(data)]
    elif request.method == "PATCH" and path.endswith("/status"):
        # A merge patch {"status": …}, or (the report) a JSON patch replacing /status.
        status = data["status"] if isinstance(data, dict) else data[0]["value"]
        schema = validator_for(kind).schema["properties"]["status"]
        errors = [
            e.message for e in jsonschema.Draft7Validator(schema, format_checker=FORMATS).iter_errors(status)
        ]
    else:
        return
    assert not errors, (request.method.value, path, errors)


# A request to the emulator waits this long: after an expired watch the operator relists every kind
# at once, and on a loaded machine the emulator can take more than ten seconds to answer beside it.
REQUEST_TIMEOUT = 30


def kube(
    cluster: RunningEmulator, method: str, path: str, body: Any = None, *, patch: bool = True
) -> tuple[int, Any]:
    """A request as a user (kubectl) would make it; merge-patch for PATCH."""
    headers = {"User-Agent": TEST_AGENT, "Authorization": f"Bearer {TOKEN}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/merge-patch+json" if patch else "application/json"
    request = urllib.request.Request(cluster.url + path, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def http_get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def column(obj: Mapping[str, Any], json_path: str) -> Any:
    """A printer column's value: the simple `.a.b.c` JSONPaths the CRDs use."""
    value: Any = obj
    for part in json_path.strip(".").split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


# ---- the CRDs' schemas as JSON Schema -----------------------------------------------------------


def openapi_to_jsonschema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An apiextensions structural schema as JSON Schema: `nullable` becomes a null type, the
    `x-kubernetes-*` extensions are dropped (the validator ignores unknown keywords anyway)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: openapi_to_jsonschema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = openapi_to_jsonschema(value)
        elif key.startswith("x-kubernetes-") or key == "nullable":
            continue
        else:
            out[key] = value
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 as the API server takes it (jsonschema checks it only with an optional package)."""
    if not isinstance(value, str):
        return True
    if "T" not in value or (
        not value.endswith(("Z", "+00:00")) and "+" not in value[10:] and "-" not in value[10:]
    ):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value)
    return True


def validator_for(kind: str) -> jsonschema.Draft7Validator:
    for crd in load_crds():
        if crd["spec"]["names"]["kind"] == kind:
            [version] = crd["spec"]["versions"]
            schema = openapi_to_jsonschema(version["schema"]["openAPIV3Schema"])
            return jsonschema.Draft7Validator(schema, format_checker=FORMATS)
    raise KeyError(kind)
