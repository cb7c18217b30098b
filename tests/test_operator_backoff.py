"""Who retries what: the writer holds each failing object for its own backoff (one policy: jittered
doubling, a cap, Retry-After honoured), and a success ends the hold. (That the client itself makes one
attempt is tested against the emulator, in tests/integration/test_operator_retries.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

from kgov.findings.diff import ObjectKey, Patch, WritePlan
from kgov.operator.backoff import Backoff, Holds
from kgov.operator.client import ApiError
from kgov.operator.metrics import Metrics
from kgov.operator.writer import RateLimiter, Writer

POLICY = Backoff(first=1.0, cap=8.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ---- the policy ---------------------------------------------------------------------------------------


def test_the_delay_doubles_with_jitter_up_to_the_cap() -> None:
    for failures, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (500, 8.0)]:
        delays = [POLICY.delay(failures) for _ in range(200)]
        assert all(base / 2 <= d <= base for d in delays), (failures, min(delays), max(delays))
        assert len(set(delays)) > 1  # jittered: many objects failing together do not return in step


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    assert all(POLICY.delay(1, retry_after=5) == 5 for _ in range(50))  # never sooner than asked
    assert all(POLICY.delay(4, retry_after=1) >= 4 for _ in range(50))  # nor sooner than the doubling
    assert POLICY.delay(1, retry_after=3600) == POLICY.cap


# ---- holds --------------------------------------------------------------------------------------------


def test_a_failure_holds_its_object_alone_until_its_backoff_ends() -> None:
    clock = Clock()
    holds: Holds[str] = Holds(POLICY, clock)
    delay = holds.failed("a")
    assert 0.5 <= delay <= 1.0
    assert holds.held() == {"a"} and holds.next_due() == clock.now + delay
    clock.now += delay
    assert holds.held() == frozenset()  # due: the next evaluation tries it
    assert holds.failed("a") >= 1.0  # a second failure in a row waits longer


def test_a_success_ends_the_hold_and_the_next_failure_starts_afresh() -> None:
    clock = Clock()
    holds: Holds[str] = Holds(POLICY, clock)
    for _ in range(4):
        holds.failed("a")
    assert holds.failures("a") == 4
    holds.release("a")
    assert holds.next_due() is None and holds.failures("a") == 0
    assert holds.failed("a") <= 1.0


def test_after_a_plan_every_hold_whose_wait_ended_is_over_but_those_held_by_it() -> None:
    """So the evaluator never wakes again and again for a hold nothing will end."""
    clock = Clock()
    holds: Holds[str] = Holds(POLICY, clock)
    holds.failed("gone")  # due at the next plan, which needs no write for it any more
    holds.failed("retried")  # due at the next plan, tried, failed again
    holds.failed("waiting", retry_after=2)  # held by the next plan; its wait ends while it is carried out
    clock.now += 1.0
    held = holds.held()
    assert held == {"waiting"}
    holds.failed("retried")
    clock.now += 1.0
    holds.settle(held)
    assert holds.failures("gone") == 0
    assert holds.failures("retried") == 2 and holds.failures("waiting") == 1
    assert holds.next_due() == clock.now  # "waiting": the next evaluation tries it at once
    holds.settle(holds.held())  # that evaluation did not need it either
    assert holds.failures("waiting") == 0 and holds.failures("retried") == 2


# ---- the writer: the one layer that retries a write ------------------------------------------------------


class FakeEngine:
    def __init__(self) -> None:
        self.observed: list[ObjectKey] = []
        self.forgotten: list[ObjectKey] = []

    def observe_finding(self, body: dict[str, Any]) -> None:
        metadata = body["metadata"]
        self.observed.append((body["kind"], metadata.get("namespace"), metadata["name"]))

    def forget_finding(self, kind: str, namespace: str | None, name: str) -> None:
        self.forgotten.append((kind, namespace, name))


class FakeClient:
    """Answers every request, but those whose path contains a `failing` key, which get its status."""

    def __init__(self) -> None:
        self.failing: dict[str, tuple[int, float | None]] = {}
        self.requests: list[str] = []

    async def _answer(self, method: str, path: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(f"{method} {name}")
        if name in self.failing:
            status, retry_after = self.failing[name]
            raise ApiError(status, method, path, "injected", retry_after)
        return body

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._answer("POST", path, body["metadata"]["name"], body)

    async def merge_patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        name = path.removesuffix("/status").rsplit("/", 1)[1]
        return await self._answer("PATCH", path, name, {**finding(name), **body})

    async def delete(self, path: str) -> dict[str, Any]:
        return await self._answer("DELETE", path, path.rsplit("/", 1)[1], {})


def finding(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "kgov.io/v1alpha1",
        "kind": "Finding",
        "metadata": {"name": name, "namespace": "shop"},
    }


def key(name: str) -> ObjectKey:
    return ("Finding", "shop", name)


def writer_for(client: FakeClient, clock: Clock) -> tuple[Writer, FakeEngine, Metrics]:
    async def get_client() -> Any:
        return client

    engine, metrics = FakeEngine(), Metrics()
    limiter = RateLimiter(1000, 1000)
    return Writer(engine, get_client, metrics, limiter, Holds(POLICY, clock)), engine, metrics


def test_a_failed_write_is_held_alone_and_each_failure_is_one_request() -> None:
    clock, client = Clock(), FakeClient()
    writer, engine, metrics = writer_for(client, clock)
    client.failing["a"] = (503, None)
    plan = WritePlan(creates=[finding("a"), finding("b")], deletes=[key("c")])

    outcome = asyncio.run(writer.execute(plan))

    assert (outcome.written, outcome.failed, outcome.again) == (2, 1, False)
    assert client.requests == ["DELETE c", "POST a", "POST b"]  # one request each: no retry inside
    assert writer.holds.held() == {key("a")}
    assert key("a") in engine.forgotten  # planned again once its hold ends
    errors = {"verb": "create", "kind": "Finding", "code": "503"}
    assert metrics.registry.get_sample_value("kgov_api_write_errors_total", errors) == 1


def test_retry_after_sets_the_hold_and_a_success_ends_it() -> None:
    clock, client = Clock(), FakeClient()
    writer, _, _ = writer_for(client, clock)
    client.failing["a"] = (429, 6.0)
    patch = Patch("Finding", "shop", "a", {"spec": {"message": "new"}})
    asyncio.run(writer.execute(WritePlan(patches=[patch])))
    assert writer.holds.next_due() == clock.now + 6.0

    clock.now += 6.0
    del client.failing["a"]
    held = writer.holds.held()
    assert held == frozenset()
    asyncio.run(writer.execute(WritePlan(patches=[patch]), held))
    assert writer.holds.next_due() is None and writer.holds.failures(key("a")) == 0


def test_a_conflict_on_a_patch_or_delete_is_held_and_a_rejection_is_not() -> None:
    clock, client = Clock(), FakeClient()
    writer, _, _ = writer_for(client, clock)
    client.failing.update({"a": (409, None), "b": (422, None), "c": (409, None)})
    plan = WritePlan(patches=[Patch("Finding", "shop", n, {"spec": {}}) for n in "ab"], deletes=[key("c")])
    asyncio.run(writer.execute(plan))
    assert writer.holds.held() == {key("a"), key("c")}
