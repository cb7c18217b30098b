"""A Kubernetes API on a real port for tests: kmock's emulator, served from a background thread.

`running_emulator()` starts `kmock.KubernetesEmulator` on 127.0.0.1 (a free port) in a thread with its
own event loop, so synchronous clients (the `kubernetes` package, a `kgov` subprocess) and another
event loop (an operator under test) can all talk to it over HTTP. Objects are stored with `put()`,
every request is in `requests()`, and `write_kubeconfig()` points a kube context at the emulator.

Two things are added on top of kmock 0.8, so the emulator answers like an apiserver does:

* `/api/v1/namespaces` and `/api/v1/namespaces/NAME` are read as the `namespaces` resource
  (kmock 0.8 takes `namespaces/NAME` for a namespace prefix, and fails on the bare list path);
* lists honour `limit` and `continue`, carry `kind: <Kind>List`, and their items have no `apiVersion`
  or `kind` (an object fetched by name keeps both), as the apiserver sends them;
* lists and watches honour a `metadata.name`/`metadata.namespace` field selector;
* a watch resumed from a `resourceVersion` streams only what happens from then on (kmock 0.8 sends
  every object again as ADDED), so what happened while no watch was open is lost, as with a real API
  server whose watch cache no longer holds it. `WatchFaults` adds what such a server does next:
  410 Gone for a watch resumed from before `expire`, ERROR events (`error`), and open watches cut (`cut`).
  `RunningEmulator.outage` answers every request with one status (429 throttling, 503 a partition
  behind a load balancer) for a given number of seconds.

kmock stores every write whatever a reaction answers (an answer lost after the write);
`RunningEmulator.refuse` answers writes with an error without storing them, as an API server failing
before it stores does (etcd unavailable, an admission webhook timing out).

Resources not declared are answered with 404, like an API whose CRD is not installed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import kmock
import yaml
from kmock._internal import parsing

TOKEN = "kgov-test-token"
CONTEXT = "emulated"


@dataclass(frozen=True)
class Served:
    kind: str
    namespaced: bool = True


# A cluster with the built-in APIs only: no CRDs (no VPA, no Gateway API) and, here, no Secrets.
BUILTIN: dict[str, Served] = {
    "v1/namespaces": Served("Namespace", namespaced=False),
    "v1/pods": Served("Pod"),
    "v1/services": Served("Service"),
    "v1/limitranges": Served("LimitRange"),
    "v1/replicationcontrollers": Served("ReplicationController"),
    "apps/v1/deployments": Served("Deployment"),
    "apps/v1/replicasets": Served("ReplicaSet"),
    "apps/v1/statefulsets": Served("StatefulSet"),
    "apps/v1/daemonsets": Served("DaemonSet"),
    "batch/v1/jobs": Served("Job"),
    "batch/v1/cronjobs": Served("CronJob"),
    "autoscaling/v2/horizontalpodautoscalers": Served("HorizontalPodAutoscaler"),
    "policy/v1/poddisruptionbudgets": Served("PodDisruptionBudget"),
    "networking.k8s.io/v1/ingresses": Served("Ingress"),
    "networking.k8s.io/v1/ingressclasses": Served("IngressClass", namespaced=False),
}

_original_parse_path = parsing.parse_path


def parse_path(path: str) -> parsing.ParsedPath:
    """kmock's `parse_path`, except that core `namespaces` paths name the (cluster-scoped) resource.

    kmock 0.8 reads `/api/v1/namespaces/shop` as "namespace shop, no resource" and raises
    ValueError on `/api/v1/namespaces` (a 500). Longer paths (`/api/v1/namespaces/shop/pods`) are
    namespace prefixes and stay kmock's.
    """
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) in (3, 4) and parts[2] == "namespaces":
        name = parts[3] if len(parts) == 4 else None
        return parsing.ParsedPath(group="", version=parts[1], plural="namespaces", name=name or None)
    return _original_parse_path(path)


def _list_kind(kind: str) -> str:
    return f"{kind}List"


@dataclass
class WatchFaults:
    """What the watches of the emulator do wrong, switched by tests."""

    # Lists carry this as their resourceVersion; a watch resumed from an older one is answered 410.
    epoch: int = 1
    error: int | None = None  # every watch is answered with an ERROR event of this code
    generation: int = 0  # bumped by `cut`: watches opened before it end

    def cut(self) -> None:
        self.generation += 1

    def expire(self) -> None:
        """The watch cache compacted: every resourceVersion handed out so far is too old."""
        self.epoch += 1


@dataclass
class RunningEmulator:
    emulator: kmock.KubernetesEmulator
    url: str
    served: Mapping[str, Served]
    faults: WatchFaults = field(default_factory=WatchFaults)
    # Exceptions kmock caught while serving, 404s included; filled in when the emulator stops.
    errors: list[Exception] = field(default_factory=list)
    # Requests answered without being applied (see `refuse`).
    refusals: list[Callable[[kmock.Request], bool]] = field(default_factory=list)

    def failures(self) -> list[Exception]:
        """Errors other than the Kubernetes 4xx answers (404 for an API not served is expected)."""
        return [e for e in self.errors if not (isinstance(e, kmock.KubernetesError) and e.status < 500)]

    def put(self, resource: str, obj: Mapping[str, Any]) -> None:
        """Store an object (a full manifest, apiVersion and kind included) under its metadata."""
        metadata = obj["metadata"]
        namespace = metadata.get("namespace") if self.served[resource].namespaced else None
        self.emulator.objects[resource, namespace, metadata["name"]] = dict(obj)

    def requests(self) -> list[kmock.Request]:
        return list(self.emulator)

    def outage(
        self,
        status: int,
        seconds: float,
        *,
        spare: Callable[[kmock.Request], bool] = lambda _: False,
        retry_after: int | None = None,
    ) -> float:
        """From now on and for `seconds`, answer every request (but those `spare` lets through) with
        `status`: 429 (with `Retry-After`) is throttling, 503 an API server a load balancer cannot
        reach. Watches already open go on (`faults.cut()` ends them). Returns when it ends (monotonic)."""
        until = time.monotonic() + seconds
        after = max((r.id for r in self.requests()), default=-1)

        def down(request: kmock.Request) -> bool:
            return request.id > after and time.monotonic() < until and not spare(request)

        body = {"apiVersion": "v1", "kind": "Status", "code": status, "message": f"outage: {status}"}
        reaction = self.emulator.override[down] << status
        if retry_after is not None:
            reaction = reaction << {"Retry-After": str(retry_after)}
        reaction << body
        return until

    def refuse(self, matches: Callable[[kmock.Request], bool], status: int) -> None:
        """Answer the requests `matches` selects with `status`, and store nothing they write."""
        body = {"apiVersion": "v1", "kind": "Status", "code": status, "message": f"refused: {status}"}
        self.refusals.append(matches)
        self.emulator[matches] << status << body

    def write_kubeconfig(
        self,
        path: Path,
        *,
        context: str = CONTEXT,
        current: str | None = None,
        extra_servers: Mapping[str, str] | None = None,
    ) -> Path:
        """A kubeconfig whose context `context` (current unless `current` names another) is the emulator.

        `extra_servers` adds more contexts (name → server URL) with the same token user.
        """
        return write_kubeconfig(
            path, {context: self.url, **(extra_servers or {})}, current=current or context
        )


def write_kubeconfig(path: Path, servers: Mapping[str, str], *, current: str) -> Path:
    """A kubeconfig with one context per server (named as in `servers`), all with a token user."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url in servers.items()],
        "users": [{"name": "tester", "user": {"token": TOKEN}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "tester"}} for name in servers],
        "current-context": current,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _selected(request: kmock.Request, namespace: str | None, name: str | None) -> bool:
    """In the request's namespace and field selector (`metadata.name=…,metadata.namespace=…`)."""
    if request.namespace is not None and namespace != request.namespace:
        return False
    for term in filter(None, (request.params.get("fieldSelector") or "").split(",")):
        field_name, _, value = term.partition("=")
        actual = {"metadata.name": name, "metadata.namespace": namespace}.get(field_name)
        if actual != value.lstrip("="):
            return False
    return True


def _paged_list(emulator: kmock.KubernetesEmulator, served: Served, faults: WatchFaults) -> Any:
    """A LIST reaction: `limit`/`continue` paging over the stored objects, as the apiserver lists."""

    def react(request: kmock.Request) -> dict[str, Any]:
        items = [
            {k: v for k, v in obj.raw.items() if k not in ("apiVersion", "kind")}
            for (resource, namespace, name), obj in emulator.objects.items()
            if resource == request.resource and not obj.deleted and _selected(request, namespace, name)
        ]
        start = int(request.params.get("continue") or 0)
        limit = int(request.params.get("limit") or 0) or len(items)
        metadata: dict[str, Any] = {"resourceVersion": str(faults.epoch)}
        if start + limit < len(items):
            metadata["continue"] = str(start + limit)
            metadata["remainingItemCount"] = len(items) - start - limit
        resource = request.resource
        assert resource is not None
        api_version = resource.version if not resource.group else f"{resource.group}/{resource.version}"
        return {
            "apiVersion": api_version,
            "kind": _list_kind(served.kind),
            "metadata": metadata,
            "items": items[start : start + limit],
        }

    return react


def _watch(emulator: kmock.KubernetesEmulator, faults: WatchFaults) -> Any:
    """A WATCH reaction with a real API server's resume semantics and the faults of `faults`."""

    async def react(request: kmock.Request) -> AsyncIterator[Any]:
        yield b""  # the headers go out at once, as kmock's own watch does
        version = request.params.get("resourceVersion") or ""
        if faults.error is not None:
            yield {"type": "ERROR", "object": {"kind": "Status", "code": faults.error, "message": "injected"}}
            return
        if version not in ("", "0") and version.isdigit() and int(version) < faults.epoch:
            status = {
                "kind": "Status",
                "code": 410,
                "reason": "Expired",
                "message": "too old resource version",
            }
            yield {"type": "ERROR", "object": status}
            return
        generation = faults.generation
        bus = emulator._buses[request.resource]
        marker = await bus.mark()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def pump() -> None:
            async for event in bus.stream(since=marker):
                queue.put_nowait(event)

        task = asyncio.create_task(pump())
        try:
            if version in ("", "0"):
                for (resource, namespace, name), obj in list(emulator.objects.items()):
                    if (
                        resource == request.resource
                        and not obj.deleted
                        and _selected(request, namespace, name)
                    ):
                        yield {"type": "ADDED", "object": obj.raw}
            while faults.generation == generation:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=0.25)
                except TimeoutError:
                    continue
                metadata = event.get("object", {}).get("metadata", {})
                if _selected(request, metadata.get("namespace"), metadata.get("name")):
                    yield event
        finally:
            task.cancel()
            await bus.unmark(marker)

    return react


class _Emulator(kmock.KubernetesEmulator):
    """kmock's emulator, but that the requests a refusal matches are answered without being applied."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: list[Callable[[kmock.Request], bool]] = []

    async def _handle(self, request: Any) -> Any:
        if any(matches(request) for matches in self.refusals):
            return await super(kmock.KubernetesEmulator, self)._handle(request)  # answers, stores nothing
        return await super()._handle(request)


@contextmanager
def running_emulator(served: Mapping[str, Served] = BUILTIN) -> Iterator[RunningEmulator]:
    """Serve `served` resources on 127.0.0.1 until the block ends; objects can be put in at any time."""
    emulator = _Emulator()
    faults = WatchFaults()
    for resource, info in served.items():
        emulator.resources[resource] = kmock.ResourceInfo(
            kind=info.kind, namespaced=info.namespaced, verbs={"get", "list", "watch"}
        )
        emulator[kmock.action.LIST, kmock.resource(resource)] << _paged_list(emulator, info, faults)
        # Above kmock's own watch, below the reactions tests add (faults injected on a watch win).
        (emulator.fallback**1)[kmock.action.WATCH, kmock.resource(resource)] << _watch(emulator, faults)

    started = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        try:
            async with emulator, kmock.Server(emulator, host="127.0.0.1") as server:
                box["url"] = f"http://{server.host}:{server.port}"
                box["loop"] = asyncio.get_running_loop()
                box["stop"] = stop = asyncio.Event()
                started.set()
                await stop.wait()
                box["errors"] = list(emulator.errors)
        except Exception as exc:  # reported by the main thread, not as an unhandled thread exception
            box["failure"] = exc
        finally:
            started.set()

    with mock.patch.object(parsing, "parse_path", parse_path):
        thread = threading.Thread(target=asyncio.run, args=(serve(),), name="kube-emulator", daemon=True)
        thread.start()
        started.wait(timeout=30)
        if "url" not in box:
            thread.join(timeout=5)
            raise RuntimeError(f"the kube emulator did not start: {box.get('failure')!r}")
        running = RunningEmulator(emulator, box["url"], served, faults, refusals=emulator.refusals)
        try:
            yield running
        finally:
            box["loop"].call_soon_threadsafe(box["stop"].set)
            thread.join(timeout=30)
            running.errors[:] = box.get("errors", [])
        if "failure" in box:
            raise RuntimeError("the kube emulator failed") from box["failure"]
