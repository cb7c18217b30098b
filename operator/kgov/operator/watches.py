"""Which watched kinds the API server serves (discovery), and one `Informer` running for each.

Versions are not pinned: each group's preferred version is used. A kind that is not served (an
optional CRD not installed) is looked for again whenever a CRD event comes and every
`rediscover_seconds`; a kind that stops being served has its objects removed. A kind watched
`by_name` (ConfigMaps) has one informer per object asked for with `want`, none for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp

from kgov.operator.client import ApiError, KubeClient
from kgov.operator.informer import Informer, Resource, WatchSettings
from kgov.operator.kinds import WatchedKind

logger = logging.getLogger(__name__)

KindSink = Callable[[WatchedKind, str | None, Mapping[str, Any]], None]
Named = tuple[WatchedKind, str | None, str]  # a by-name kind, a namespace (None: all), a name


async def discover(client: KubeClient, kinds: Iterable[WatchedKind]) -> dict[WatchedKind, Resource]:
    """The served resource of each kind the API server serves (in its group's preferred version)."""
    kinds = list(kinds)
    wanted = {kind.group for kind in kinds}
    versions: dict[str, str] = {"": "v1"} if "" in wanted else {}
    for group in (await client.get("/apis")).get("groups") or ():
        name = group.get("name")
        preferred = (group.get("preferredVersion") or {}).get("version")
        if name in wanted and preferred:
            versions[name] = preferred
    served: dict[tuple[str, str], Resource] = {}
    for group, version in versions.items():
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = await client.get(path)
        except ApiError as exc:
            if exc.status == 404:  # the group went between the two requests
                continue
            raise
        for entry in listing.get("resources") or ():
            plural = str(entry.get("name", ""))
            if plural and "/" not in plural:
                resource = Resource(
                    group, version, plural, str(entry.get("kind")), bool(entry.get("namespaced"))
                )
                served[(group, plural)] = resource
    return {kind: served[(kind.group, kind.plural)] for kind in kinds if (kind.group, kind.plural) in served}


class Watches:
    def __init__(
        self,
        kinds: Iterable[WatchedKind],
        client: Callable[[], Awaitable[KubeClient]],
        sink: KindSink,
        settings: WatchSettings,
        *,
        unauthorized: Callable[[], None] = lambda: None,
        rediscover_seconds: float = 60.0,
    ) -> None:
        self.kinds = tuple(kinds)
        self.settings = settings
        self.rediscover_seconds = rediscover_seconds
        self._client = client
        self._sink = sink
        self._unauthorized = unauthorized
        # Informers outlive a pause (their known objects are what the next listing reconciles).
        self.informers: dict[WatchedKind, Informer] = {}
        self._tasks: dict[WatchedKind, asyncio.Task[None]] = {}
        self._served: dict[WatchedKind, Resource] = {}
        self._wanted: dict[WatchedKind, frozenset[tuple[str | None, str]]] = {}
        self.named: dict[Named, Informer] = {}
        self._named_tasks: dict[Named, asyncio.Task[None]] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.discovered = False
        self.discovery_error: str | None = None

    # ---- lifecycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._supervisor is not None

    def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="kgov watch supervisor")

    async def stop(self) -> None:
        tasks = [
            *self._tasks.values(),
            *self._named_tasks.values(),
            *([self._supervisor] if self._supervisor else []),
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._named_tasks.clear()
        self._supervisor = None
        self.discovered = False
        for informer in (*self.informers.values(), *self.named.values()):
            informer.listed.clear()

    def want(self, kind: WatchedKind, refs: frozenset[tuple[str | None, str]]) -> None:
        """Watch these objects of a by-name kind ((namespace, name); namespace None: in every
        namespace), and no others: the objects of an informer no longer wanted are removed."""
        self._wanted[kind] = refs
        if self.discovered:
            self._adjust_named(kind)

    def rediscover(self) -> None:
        """A CRD was added, changed or removed: look at what is served again."""
        self._wake.set()

    # ---- state ------------------------------------------------------------------------------------

    def synced(self) -> bool:
        """Every served kind was listed since the watches (re)started."""
        return (
            self.discovered
            and all(self.informers[kind].listed.is_set() for kind in self._tasks)
            and all(self.named[key].listed.is_set() for key in self._named_tasks)
        )

    def unserved(self) -> list[str]:
        return sorted(k.resource for k in self.kinds if not k.optional and k not in self._served)

    def problems(self) -> list[str]:
        """What is wrong with the watches right now (empty when all is well)."""
        if self.discovery_error is not None:
            return [f"API discovery failing: {self.discovery_error}"]
        if not self.discovered:
            return []
        problems = []
        unserved = self.unserved()
        if unserved:
            problems.append("no live watch for: " + ", ".join(unserved))
        for kind, task in sorted(self._tasks.items(), key=lambda item: item[0].resource):
            if task.done() and not task.cancelled():
                problems.append(f"watch of {kind.resource} stopped: {task.exception()!r}")
            elif self.informers[kind].failing is not None:
                problems.append(f"watch of {kind.resource} failing: {self.informers[kind].failing}")
        for key, task in sorted(self._named_tasks.items(), key=lambda item: item[1].get_name()):
            informer = self.named[key]
            if task.done() and not task.cancelled():
                problems.append(f"watch of {informer.name} stopped: {task.exception()!r}")
            elif informer.failing is not None:
                problems.append(f"watch of {informer.name} failing: {informer.failing}")
        return problems

    # ---- discovery and informers -------------------------------------------------------------------

    async def _supervise(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                served = await discover(await self._client(), self.kinds)
            except (ApiError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
                if isinstance(exc, ApiError) and exc.status == 401:
                    self._unauthorized()
                if self.discovery_error is None:
                    logger.warning("API discovery failing, retrying with backoff: %s", exc)
                self.discovery_error = str(exc) or type(exc).__name__
                failures += 1
                retry_after = exc.retry_after if isinstance(exc, ApiError) else None
                await asyncio.sleep(self.settings.retry.delay(failures, retry_after))
                continue
            failures = 0
            self.discovery_error = None
            self._adjust(served)
            self.discovered = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.rediscover_seconds)

    def _adjust(self, served: Mapping[WatchedKind, Resource]) -> None:
        self._served = dict(served)
        for kind in [k for k in self._tasks if served.get(k) != self.informers[k].resource]:
            logger.info("%s is not served any more: its objects are removed", kind.resource)
            self._tasks.pop(kind).cancel()
            self.informers.pop(kind).forget_all()
        for kind in {k for k in self.kinds if k.by_name}:
            self._adjust_named(kind)
        for kind, resource in served.items():
            if kind.by_name:
                continue
            task = self._tasks.get(kind)
            if task is not None and not task.done():
                continue
            informer = self.informers.get(kind)
            if informer is None or informer.resource != resource:
                informer = self.informers[kind] = self._informer(kind, resource)
            if task is None:
                logger.debug("watching %s", kind.resource)
            self._tasks[kind] = asyncio.create_task(informer.run(), name=f"kgov watch {kind.resource}")

    def _adjust_named(self, kind: WatchedKind) -> None:
        """One informer per wanted object of a by-name kind; the others stopped, their objects removed."""
        resource = self._served.get(kind)
        wanted = {(kind, *ref) for ref in self._wanted.get(kind, frozenset())} if resource else set()
        for key in [k for k in self.named if k[0] == kind]:
            if key not in wanted or self.named[key].resource != resource:
                task = self._named_tasks.pop(key, None)
                if task is not None:
                    task.cancel()
                self.named.pop(key).forget_all()
        for key in wanted:
            task = self._named_tasks.get(key)
            if task is not None and not task.done():
                continue
            assert resource is not None
            _, namespace, name = key
            informer = self.named.get(key) or self._informer(kind, resource, namespace, name)
            self.named[key] = informer
            self._named_tasks[key] = asyncio.create_task(informer.run(), name=f"kgov watch {informer.name}")

    def _informer(
        self, kind: WatchedKind, resource: Resource, namespace: str | None = None, name: str | None = None
    ) -> Informer:
        """An informer of every object of the kind, or (with `name`) of one object by name."""
        return Informer(
            resource,
            self._client,
            functools.partial(self._sink, kind),
            self.settings,
            field_selector=f"metadata.name={name}" if name else None,
            namespace=namespace,
            unauthorized=self._unauthorized,
        )
