"""Carry out the engine's write plans: create / merge-patch / delete of kgov.io objects.

Writes go out rate-limited and a few at a time. What the API server answers is fed back to the
engine (`observe_finding` / `forget_finding`), so it always diffs against what really exists:

* 409 on create: the object exists already (a previous run, a lost answer); it is fetched and
  observed, and the next evaluation patches it to what it should be;
* 404 on delete: already gone, done; 404 on patch: forgotten, so the next evaluation creates it;
* a Finding whose target was deleted is left to the garbage collector (see `ownership`);
* a write failing with 429, 5xx, 409 (on a patch or delete), 404 (on a create: no namespace or CRD
  yet) or no connection is undone in the engine's view and its object held (`holds`) for its own
  backoff: evaluations meanwhile plan every other write but not that object's, and the first one
  after its backoff ends tries it again. The writer is the only layer that retries a write: the
  client makes one attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kgov.engine.resources import MANAGER, REPORT, REPORT_KEY
from kgov.findings.diff import MANAGED_BY, ObjectKey, Patch, WritePlan, key_of
from kgov.operator.backoff import Holds, K
from kgov.operator.client import ApiError, KubeClient
from kgov.operator.kinds import API_VERSION, object_path
from kgov.operator.metrics import Metrics

logger = logging.getLogger(__name__)


class FindingsView(Protocol):
    """The engine's side of the feedback (kgov.engine.Engine)."""

    def observe_finding(self, body: Mapping[str, Any]) -> None: ...

    def forget_finding(self, kind: str, namespace: str | None, name: str) -> None: ...


class RateLimiter:
    """A token bucket: `rate` writes per second on average, bursts of up to `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._at = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._tokens, self._at = 1.0, self._clock()
            self._tokens -= 1


@dataclass(slots=True)
class WriteResult:
    """What carrying out one write plan did: writes done and failed, whether to evaluate again soon."""

    written: int = 0
    failed: int = 0
    # Evaluate again at once (after the debounce): an existing object was observed on 409, or one to
    # patch was gone (404). Failed writes wait for their own backoff instead (`Writer.holds`).
    again: bool = False


class Writer:
    def __init__(
        self,
        engine: FindingsView,
        client: Callable[[], Awaitable[KubeClient]],
        metrics: Metrics,
        limiter: RateLimiter,
        holds: Holds[ObjectKey],
        concurrency: int = 8,
        left_to_gc: Callable[[ObjectKey], bool] = lambda _: False,
        unauthorized: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self._client = client
        self.metrics = metrics
        self.limiter = limiter
        self.holds = holds
        self.concurrency = concurrency
        self.left_to_gc = left_to_gc
        self.unauthorized = unauthorized

    async def execute(self, plan: WritePlan, held: Collection[ObjectKey] = ()) -> WriteResult:
        """Carry out `plan`, made while `held` were held back."""
        outcome = WriteResult()
        # Deletes first: under the safety cap they make room for what replaces them.
        await self._batch(self._delete(key, outcome) for key in plan.deletes)
        await self._batch(self._create(body, outcome) for body in plan.creates)
        await self._batch(self._patch(patch, outcome) for patch in plan.patches)
        if plan.report is not None:
            await self._guarded(self._report(plan.report, outcome), outcome)
        self.holds.settle(held)
        return outcome

    async def _batch(self, jobs: Iterable[Awaitable[None]]) -> None:
        await gather_limited(jobs, self.concurrency)

    async def _guarded(self, job: Awaitable[None], outcome: WriteResult) -> None:
        try:
            await job
        except ApiError as exc:
            outcome.failed += 1
            logger.error("GovernanceReport not written: %s", exc)
            self.engine.forget_finding(*REPORT_KEY)  # so it is planned again, once its backoff ends
            self.holds.failed(REPORT_KEY, exc.retry_after)

    async def call(self, verb: str, kind: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One request as the writer makes them (rate-limited, counted, logged in again on 401), for
        the other objects the operator writes (policy reports)."""
        return await self._call(verb, kind, method, path, body)

    async def _call(self, verb: str, kind: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            return await self._send(verb, kind, method, path, body)
        except ApiError as exc:
            if exc.status != 401:
                raise
        self.unauthorized()  # log in again (a rotated token), then one more try
        return await self._send(verb, kind, method, path, body)

    async def _send(self, verb: str, kind: str, method: str, path: str, body: Any) -> dict[str, Any]:
        await self.limiter.acquire()
        client = await self._client()
        try:
            if method == "POST":
                result = await client.create(path, body)
            elif method == "PATCH":
                result = await client.merge_patch(path, body)
            elif method == "REPLACE_STATUS":
                result = await client.replace_field(path, "status", body)
            elif method == "DELETE":
                result = await client.delete(path)
            else:
                result = await client.get(path)
        except ApiError as exc:
            if verb and exc.status not in (404, 409):
                self.metrics.write_errors.labels(verb, kind, str(exc.status)).inc()
            raise
        if verb:
            self.metrics.writes.labels(verb, kind).inc()
        return result

    async def _create(self, body: Mapping[str, Any], outcome: WriteResult) -> None:
        key = key_of(body)
        kind, namespace, name = key
        try:
            created = await self._call("create", kind, "POST", object_path(kind, namespace), body)
        except ApiError as exc:
            if exc.status == 409:
                await self._adopt(key, outcome)
            elif self._failed("create", key, exc, outcome):
                self.engine.forget_finding(kind, namespace, name)
            return
        outcome.written += 1
        self.holds.release(key)
        status = body.get("status")
        if status:
            # The API server ignores status on create when the status subresource is on.
            try:
                created = await self._call(
                    "patch", kind, "PATCH", object_path(kind, namespace, name, "status"), {"status": status}
                )
            except ApiError as exc:
                self._failed("patch", key, exc, outcome)
        self.engine.observe_finding(created)

    async def _adopt(self, key: ObjectKey, outcome: WriteResult) -> None:
        """409 on create: read what is there and let the next evaluation patch it."""
        kind, namespace, name = key
        try:
            existing = await self._call("", kind, "GET", object_path(kind, namespace, name))
        except ApiError as exc:
            self._failed("get", key, exc, outcome)
            self.engine.forget_finding(kind, namespace, name)
            return
        outcome.again = True
        self.holds.release(key)
        self.engine.observe_finding(existing)

    async def _patch(self, patch: Patch, outcome: WriteResult) -> None:
        kind, namespace, name = patch.key
        path = object_path(kind, namespace, name)
        try:
            result: dict[str, Any] | None = None
            if patch.body:
                result = await self._call("patch", kind, "PATCH", path, patch.body)
            if patch.status is not None:
                result = await self._call("patch", kind, "PATCH", f"{path}/status", {"status": patch.status})
        except ApiError as exc:
            gone = exc.status == 404
            if gone or self._failed("patch", patch.key, exc, outcome):
                self.engine.forget_finding(kind, namespace, name)  # recreated (or re-adopted) later
            if gone:
                outcome.again = True
                self.holds.release(patch.key)
            return
        outcome.written += 1
        self.holds.release(patch.key)
        if result:
            self.engine.observe_finding(result)

    async def _delete(self, key: ObjectKey, outcome: WriteResult) -> None:
        kind, namespace, name = key
        if not self.left_to_gc(key):
            try:
                await self._call("delete", kind, "DELETE", object_path(kind, namespace, name))
            except ApiError as exc:
                if exc.status != 404:
                    if self._failed("delete", key, exc, outcome):
                        self._still_there(key)
                    return
            outcome.written += 1
        self.holds.release(key)
        self.engine.forget_finding(kind, namespace, name)

    def _still_there(self, key: ObjectKey) -> None:
        """A delete that failed: the engine sees the object again, so it plans the delete once more."""
        kind, namespace, name = key
        metadata = {"name": name, "labels": {MANAGED_BY: MANAGER}}
        if namespace:
            metadata["namespace"] = namespace
        self.engine.observe_finding({"apiVersion": API_VERSION, "kind": kind, "metadata": metadata})

    async def _report(self, body: Mapping[str, Any], outcome: WriteResult) -> None:
        """The report's status is replaced whole: its maps (by check) lose keys as findings go."""
        name = body["metadata"]["name"]
        status_path = object_path(REPORT, None, name, "status")
        status = body.get("status") or {}
        try:
            result = await self._call("patch", REPORT, "REPLACE_STATUS", status_path, status)
        except ApiError as exc:
            if exc.status != 404:
                raise
            shell = {k: v for k, v in body.items() if k != "status"}
            try:
                await self._call("create", REPORT, "POST", object_path(REPORT, None), shell)
            except ApiError as create_exc:
                if create_exc.status != 409:
                    raise
            result = await self._call("patch", REPORT, "REPLACE_STATUS", status_path, status)
        outcome.written += 1
        self.holds.release(REPORT_KEY)
        self.engine.observe_finding(result)

    def _failed(self, verb: str, key: ObjectKey, exc: ApiError, outcome: WriteResult) -> bool:
        kind, namespace, name = key
        where = f"{namespace}/{name}" if namespace else name
        return failed_write(self.holds, key, exc, outcome, f"{verb} {kind} {where}")


def failed_write(holds: Holds[K], key: K, exc: ApiError, outcome: WriteResult, what: str) -> bool:
    """Count and log a failed write (`what`: verb, kind and name); True when it is worth trying again.

    A retryable failure (`ApiError.retryable`) holds `key` for its backoff, then it is tried again;
    a rejection (403, 422) is not, until what is written changes."""
    outcome.failed += 1
    if not exc.retryable:
        holds.release(key)
        logger.error("could not %s: %s", what, exc)
        return False
    delay = holds.failed(key, exc.retry_after)
    logger.error("could not %s (trying again in %.1f s): %s", what, delay, exc)
    return True


async def gather_limited(jobs: Iterable[Awaitable[None]], concurrency: int) -> None:
    """Run `jobs`, at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def run(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(run(job) for job in jobs))
