"""One kind's list and watch, with the reconciliation kopf does not do.

An `Informer` lists its resource (in pages), hands every object to its sink, then watches from the
list's resourceVersion. Whenever it lists again — after a 410 Gone, a watch that failed, a resumed
peer, or every `relist_seconds` — it compares the listing with the objects it knows and hands the
sink a DELETED for each object that is not listed any more: a delete the watch never delivered (a
watch cache that compacted, a partition, a proxy that dropped the stream) is not kept forever.

It never gives up: every failure (no connection, 429, 5xx, 403, an ERROR event) is retried with
`WatchSettings.retry`, and `failing` says what went wrong meanwhile. This is the only retry of a list
or watch (the client makes one attempt), so a 429's Retry-After is honoured here. A watch that could
not be resumed for `relist_after_failing` is not trusted to replay what was missed (a server whose
watch cache compacted answers 410, but a proxy or cache in between may just have dropped it): the
resource is listed again. Objects whose resourceVersion is unchanged on a re-list are not handed on at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from kgov.operator.backoff import Backoff
from kgov.operator.client import ApiError, KubeClient

logger = logging.getLogger(__name__)

ObjectRef = tuple[str | None, str]  # (namespace, name)
Sink = Callable[[str | None, Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Resource:
    """A served resource, as discovery names it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        return self.path_in(None)

    def path_in(self, namespace: str | None) -> str:
        """The collection's path: in one namespace, or (None) across all of them."""
        prefix = f"/apis/{self.api_version}" if self.group else f"/api/{self.version}"
        where = f"/namespaces/{namespace}" if namespace else ""
        return f"{prefix}{where}/{self.plural}"


@dataclass(frozen=True, slots=True)
class WatchSettings:
    # Between attempts of a failing list or watch (and of API discovery).
    retry: Backoff
    page_size: int = 500
    # The server ends each watch after this long (it is then resumed from the last resourceVersion).
    server_timeout: int = 300
    # Every this long the resource is listed again and reconciled, whatever the watch delivered.
    relist_seconds: float = 3600.0
    # Failing this long (an outage, a partition, throttling): listed again rather than resumed.
    relist_after_failing: float = 60.0


class Gone(Exception):
    """410: the resourceVersion we hold is too old; only a new listing helps."""


class Informer:
    def __init__(
        self,
        resource: Resource,
        client: Callable[[], Awaitable[KubeClient]],
        sink: Sink,
        settings: WatchSettings,
        *,
        field_selector: str | None = None,
        namespace: str | None = None,
        unauthorized: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resource = resource
        self.settings = settings
        self.field_selector = field_selector
        self.namespace = namespace
        self.path = resource.path_in(namespace)
        self._client = client
        self._sink = sink
        self._unauthorized = unauthorized
        self._clock = clock
        self.known: dict[ObjectRef, str | None] = {}  # every object handed on → its resourceVersion
        self.listed = asyncio.Event()  # a listing was completed since the last start
        self.lists = 0
        self._delivered = 0  # events handed on, all told
        self.failing: str | None = None  # the last error, while failing
        self.failing_since: float | None = None

    @property
    def name(self) -> str:
        name = (
            f"{self.resource.plural}.{self.resource.group}" if self.resource.group else self.resource.plural
        )
        scope = [f"in {self.namespace}"] if self.namespace else []
        scope += [self.field_selector] if self.field_selector else []
        return f"{name} ({', '.join(scope)})" if scope else name

    async def run(self) -> None:
        version: str | None = None
        failures = 0  # in a row; a successful list or watch starts the backoff again from its first step
        relist_at = 0.0
        while True:
            try:
                if version is None or self._clock() >= relist_at or self._failed_too_long():
                    version = await self._list()
                    relist_at = self._clock() + self.settings.relist_seconds
                    self._recovered()
                    failures = 0
                started, delivered = self._clock(), self._delivered
                version = await self._watch(version, relist_at)
                if self._delivered == delivered and self._clock() - started < 1.0:
                    # A watch the server ends at once, again and again, must not spin.
                    failures += 1
                    await asyncio.sleep(self.settings.retry.delay(failures))
                    continue
                self._recovered()
                failures = 0
            except Gone:
                logger.info("%s: resourceVersion expired (410); listing again", self.name)
                version = None
            except (ApiError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
                if isinstance(exc, ApiError) and exc.status == 410:  # an expired continue token
                    version = None
                    continue
                if isinstance(exc, ApiError) and exc.status == 401:
                    self._unauthorized()
                self._failed(exc)
                failures += 1
                retry_after = exc.retry_after if isinstance(exc, ApiError) else None
                await asyncio.sleep(self.settings.retry.delay(failures, retry_after))

    # ---- listing ----------------------------------------------------------------------------------

    async def _list(self) -> str | None:
        client = await self._client()
        first = self.lists == 0
        seen: set[ObjectRef] = set()
        params = {"limit": str(self.settings.page_size)}
        if self.field_selector:
            params["fieldSelector"] = self.field_selector
        version: str | None = None
        while True:
            page = await client.get(_with_query(self.path, params))
            metadata = page.get("metadata") or {}
            version = version or metadata.get("resourceVersion")
            for item in page.get("items") or ():
                if isinstance(item, Mapping):
                    self._listed(item, seen, first)
            token = metadata.get("continue")
            if not token:
                break
            params["continue"] = str(token)
        for ref in [ref for ref in self.known if ref not in seen]:
            logger.info("%s %s: not listed any more; removed", self.resource.kind, _where(ref))
            self._deliver("DELETED", self._stub(ref), ref)
        self.lists += 1
        self.listed.set()
        return version

    def _listed(self, item: Mapping[str, Any], seen: set[ObjectRef], first: bool) -> None:
        body = self._complete(item)
        ref = _ref(body)
        seen.add(ref)
        version = _version(body)
        if ref in self.known:
            if version is not None and self.known[ref] == version:
                return  # unchanged since we last saw it
            self._deliver(None if first else "MODIFIED", body, ref)
        else:
            self._deliver(None if first else "ADDED", body, ref)

    # ---- watching ---------------------------------------------------------------------------------

    async def _watch(self, version: str | None, relist_at: float) -> str | None:
        client = await self._client()
        timeout = max(1, min(self.settings.server_timeout, int(relist_at - self._clock()) + 1))
        params = {"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout)}
        if version:
            params["resourceVersion"] = version
        if self.field_selector:
            params["fieldSelector"] = self.field_selector
        # The server ends the watch after `timeoutSeconds`; this ends it when a server does not.
        deadline = asyncio.timeout(max(0.0, relist_at - self._clock()))
        healthy: asyncio.TimerHandle | None = None
        try:
            async with deadline:
                async for event in client.stream(self.path, params, read_timeout=timeout + 30):
                    if event is None:  # connected: healthy once it stays open a moment without error
                        healthy = asyncio.get_running_loop().call_later(1.0, self._recovered)
                        continue
                    version = self._watched(event, version)
        except TimeoutError:
            if not deadline.expired():
                raise
        finally:
            if healthy is not None:
                healthy.cancel()
        return version

    def _watched(self, event: Any, version: str | None) -> str | None:
        kind, obj = (event.get("type"), event.get("object")) if isinstance(event, Mapping) else (None, None)
        if not isinstance(obj, Mapping):
            return version
        if kind == "ERROR":
            code = obj.get("code")
            if code == 410:
                raise Gone()
            raise ApiError(int(code) if isinstance(code, int) else 0, "WATCH", self.path, str(obj))
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            body = self._complete(obj)
            self._deliver(str(kind), body, _ref(body))
        return _version(obj) or version

    # ---- bookkeeping ------------------------------------------------------------------------------

    def _deliver(self, event_type: str | None, body: Mapping[str, Any], ref: ObjectRef) -> None:
        if event_type == "DELETED":
            self.known.pop(ref, None)
        else:
            self.known[ref] = _version(body)
        self._delivered += 1
        try:
            self._sink(event_type, body)
        except Exception:  # one object must never stop the watch of its kind
            logger.exception("%s %s: not applied", self.resource.kind, _where(ref))

    def _complete(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """List items come without apiVersion and kind."""
        body = dict(obj)
        body.setdefault("apiVersion", self.resource.api_version)
        body.setdefault("kind", self.resource.kind)
        return body

    def _stub(self, ref: ObjectRef) -> dict[str, Any]:
        """What a DELETED needs to name an object whose delete the watch never delivered."""
        namespace, name = ref
        metadata = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
        return {"apiVersion": self.resource.api_version, "kind": self.resource.kind, "metadata": metadata}

    def forget_all(self) -> None:
        """The resource is not served any more (its CRD went): every object it had is gone."""
        for ref in list(self.known):
            self._deliver("DELETED", self._stub(ref), ref)

    def _failed(self, exc: BaseException) -> None:
        message = str(exc) or type(exc).__name__
        if self.failing is None:
            logger.warning("%s: list/watch failing, retrying with backoff: %s", self.name, message)
            self.failing_since = self._clock()
        self.failing = message

    def _failed_too_long(self) -> bool:
        since = self.failing_since
        return since is not None and self._clock() - since >= self.settings.relist_after_failing

    def _recovered(self) -> None:
        if self.failing is not None:
            logger.info("%s: list/watch recovered", self.name)
        self.failing, self.failing_since = None, None


def _ref(body: Mapping[str, Any]) -> ObjectRef:
    metadata = body.get("metadata") or {}
    return (metadata.get("namespace") or None, str(metadata.get("name")))


def _version(body: Mapping[str, Any]) -> str | None:
    metadata = body.get("metadata")
    value = metadata.get("resourceVersion") if isinstance(metadata, Mapping) else None
    return str(value) if value else None


def _where(ref: ObjectRef) -> str:
    namespace, name = ref
    return f"{namespace}/{name}" if namespace else name


def _with_query(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params)}"
