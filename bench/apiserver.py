"""A lean Kubernetes API for the start-up benchmark: discovery, paged lists, watches, object writes.

kmock (the tests' emulator) keeps every request and matches each new one against all of them, so
its cost grows with the square of the requests and would be what a benchmark at 32,000 objects
measures. This server keeps objects in dicts and nothing else: the operator's cost is what shows.
It serves the same resources as the integration tests' emulator (`tests/integration/harness.py`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from harness import BUILTIN, CLUSTER_BASICS, GATEWAY_API, VPA, crd_resource, load_crds

from kube_emulator import Served

Key = tuple[str, str | None, str]  # (resource, namespace, name)


class ApiServer:
    def __init__(self) -> None:
        self.served: dict[str, Served] = {**BUILTIN, **CLUSTER_BASICS, **GATEWAY_API, **VPA}
        for crd in load_crds():
            resource, served, _ = crd_resource(crd)
            self.served[resource] = served
        self.objects: dict[str, dict[tuple[str | None, str], dict[str, Any]]] = {r: {} for r in self.served}
        self.listed = threading.Event()  # the first list request came
        self.written = threading.Event()  # the first write came
        self.report_written = threading.Event()
        self.writes = 0

    def put(self, body: Mapping[str, Any]) -> None:
        resource = next(
            r
            for r, s in self.served.items()
            if s.kind == body["kind"] and r.rsplit("/", 1)[0] == body["apiVersion"]
        )
        metadata = body["metadata"]
        namespace = metadata.get("namespace") if self.served[resource].namespaced else None
        self.objects[resource][(namespace, metadata["name"])] = dict(body)

    # ---- routing ----------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{path:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        if parts == ["api"]:
            return web.json_response({"kind": "APIVersions", "versions": ["v1"]})
        if parts == ["apis"]:
            return web.json_response({"kind": "APIGroupList", "groups": self._groups()})
        group, version, rest = (
            (parts[1], parts[2], parts[3:]) if parts[0] == "apis" else ("", parts[1], parts[2:])
        )
        group_version = f"{group}/{version}" if group else version
        if not rest:
            return web.json_response({"kind": "APIResourceList", "resources": self._resources(group_version)})
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = f"{group_version}/{rest[0]}"
        if resource not in self.served:
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        name = rest[1] if len(rest) > 1 else None
        if name is None and request.method == "GET":
            if request.query.get("watch") == "true":
                return await self._watch(request)
            self.listed.set()
            return web.json_response(self._list(resource, namespace, request.query))
        return await self._object(request, resource, namespace, name, subresource=len(rest) > 2)

    def _groups(self) -> list[dict[str, Any]]:
        versions: dict[str, list[str]] = {}
        for resource in self.served:
            group_version = resource.rsplit("/", 1)[0]
            if "/" in group_version:
                group, version = group_version.split("/")
                versions.setdefault(group, [])
                if version not in versions[group]:
                    versions[group].append(version)
        return [
            {
                "name": g,
                "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
            }
            for g, vs in versions.items()
        ]

    def _resources(self, group_version: str) -> list[dict[str, Any]]:
        return [
            {
                "name": r.rsplit("/", 1)[1],
                "singularName": s.kind.lower(),
                "kind": s.kind,
                "namespaced": s.namespaced,
                "verbs": ["get", "list", "watch"],
            }
            for r, s in self.served.items()
            if r.rsplit("/", 1)[0] == group_version
        ]

    def _list(self, resource: str, namespace: str | None, query: Mapping[str, str]) -> dict[str, Any]:
        items = [
            {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}
            for (ns, _), body in self.objects[resource].items()
            if namespace is None or ns == namespace
        ]
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(items)
        metadata: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(items):
            metadata["continue"] = str(start + limit)
        return {"kind": "List", "metadata": metadata, "items": items[start : start + limit]}

    async def _watch(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(request.query.get("timeoutSeconds") or 3600)
        # Nothing changes in this cluster: hold the watch until it times out or the client goes.
        while loop.time() < deadline and request.transport is not None and not request.transport.is_closing():
            await asyncio.sleep(0.2)
        return response

    async def _object(
        self, request: web.Request, resource: str, namespace: str | None, name: str | None, subresource: bool
    ) -> web.Response:
        store = self.objects[resource]
        if request.method != "GET":
            self.written.set()
        if request.method == "POST":
            body = await request.json()
            key = (namespace, body["metadata"]["name"])
            if key in store:
                return web.json_response({"kind": "Status", "code": 409}, status=409)
            store[key] = body
            self.writes += 1
            return web.json_response(body, status=201)
        assert name is not None
        key = (namespace, name)
        if key not in store:
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        if request.method == "PATCH":
            patch = await request.json()
            body = store[key]
            if isinstance(patch, list):  # a JSON patch replacing a top-level field
                for op in patch:
                    body[op["path"].strip("/")] = op["value"]
            else:
                body.update(patch)
            self.writes += 1
            if subresource and resource.endswith("/governancereports") and body.get("status"):
                self.report_written.set()
            return web.json_response(body)
        if request.method == "DELETE":
            self.writes += 1
            return web.json_response(store.pop(key))
        return web.json_response(store[key])


@contextmanager
def serving(server: ApiServer) -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) from a thread until the block ends; yields the URL."""
    box: dict[str, Any] = {}
    started = threading.Event()

    async def serve() -> None:
        runner = web.AppRunner(server.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        box["stop"] = stop = asyncio.Event()
        box["loop"] = asyncio.get_running_loop()
        started.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="bench-apiserver", daemon=True)
    thread.start()
    started.wait(timeout=30)
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(timeout=30)
