"""Who retries what, against the emulator: the client makes one attempt; a write that keeps failing is
held for its own backoff while new events are evaluated and written at once; a failing list or watch
is retried by its informer alone, by the one policy (jittered doubling, a cap, Retry-After honoured).

Timing is asserted one way only: attempts are at least as far apart as the policy says (a loaded
machine only makes them further apart); the rest is counting requests."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import kmock
import kopf
import pytest
from harness import (
    FIXED,
    SEED_HPA,
    by_check,
    deployment,
    emulated_cluster,
    findings,
    from_tests,
    http_get,
    kube,
    operator_options,
    running_operator,
)

from kgov.operator.backoff import Backoff
from kgov.operator.client import ApiError, KubeClient
from kube_emulator import RunningEmulator, running_emulator

SHOP_FINDINGS = r"^/apis/kgov\.io/v1alpha1/namespaces/shop/findings$"
BATCH = "deployment-batch-qos-best-effort"  # the Finding of the best-effort Deployment `batch`
DEPLOYMENTS = r"^/apis/apps/v1/deployments$"  # the Deployments informer's list and watch
# How much earlier than the policy's lower bound an attempt may be seen (the emulator's clock reads a
# request when kmock first asks a filter about it, a little after it was sent).
SLACK = 0.9


class Attempts:
    """A kmock filter for the operator's requests with this method and path (and a body whose name
    has `name` in it), from the moment it is armed, with the time each was first seen; `first` lets
    only the first so many of them match."""

    def __init__(self, method: str, path: str, *, name: str = "") -> None:
        self.method, self.path, self.name = method, re.compile(path), name
        self.after = -1  # requests up to this id came before the filter was armed
        self.seen: dict[int, float] = {}
        self.watches: set[int] = set()  # the ids of watch requests among them
        self._lock = threading.Lock()

    def arm(self, cluster: RunningEmulator) -> Attempts:
        self.after = max((r.id for r in cluster.requests()), default=-1)
        return self

    def __call__(self, request: kmock.Request) -> bool:
        if request.id <= self.after or from_tests(request) or request.method != self.method:
            return False
        if not self.path.search(request.url.path) or self.name not in _name(request):
            return False
        with self._lock:  # kmock may ask more than once about one request: answer the same
            if request.id in self.seen:
                return True
            self.seen[request.id] = time.monotonic()
            if request.params.get("watch") == "true":
                self.watches.add(request.id)
            return True

    def first(self, count: int) -> Callable[[kmock.Request], bool]:
        return lambda request: self(request) and list(self.seen).index(request.id) < count

    @property
    def gaps(self) -> list[float]:
        times = sorted(self.seen.values())
        return [b - a for a, b in itertools.pairwise(times)]


def _name(request: kmock.Request) -> str:
    data = request.data if request.method == "POST" else None
    return str(((data or {}).get("metadata") or {}).get("name", "")) if isinstance(data, dict) else ""


def least_waits(policy: Backoff, count: int, retry_after: float | None = None) -> list[float]:
    """The shortest waits the policy allows after each of `count` failures in a row."""
    waits = []
    for failures in range(1, count + 1):
        base = min(policy.first * 2.0 ** (failures - 1), policy.cap)
        waits.append(min(max(base / 2, retry_after or 0.0), policy.cap))
    return waits


def create_deployment(cluster: RunningEmulator, name: str, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    assert kube(cluster, "POST", path, deployment(name, namespace), patch=False)[0] in (200, 201)


def best_effort_in(cluster: RunningEmulator, namespace: str, name: str) -> bool:
    return any(
        key[0] == namespace
        and body["spec"]["check"] == "qos.best-effort"
        and body["spec"]["target"]["name"] == name
        for key, body in findings(cluster).items()
    )


# ---- the client -----------------------------------------------------------------------------------------


def test_the_client_makes_one_attempt_and_reports_retry_after() -> None:
    path = "/apis/apps/v1/namespaces/shop/deployments"

    async def attempt(url: str) -> ApiError:
        client = KubeClient(kopf.ConnectionInfo(server=url))
        try:
            with pytest.raises(ApiError) as raised:
                await client.get(path)
            return raised.value
        finally:
            await client.close()

    with running_emulator() as cluster:
        cluster.outage(503, 60, retry_after=7)
        error = asyncio.run(attempt(cluster.url))
        requests = [f"{r.method.value} {r.url.path}" for r in cluster.requests()]
    assert (error.status, error.retry_after, error.transient) == (503, 7.0, True)
    assert requests == [f"GET {path}"]


# ---- writes: held one by one, new events written at once --------------------------------------------------


def test_new_events_are_written_while_a_failing_write_waits_out_its_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backoff far longer than the test: nothing below may wait for it, and the write it holds is
    # not tried again meanwhile.
    options = operator_options(
        tmp_path, write_retry_seconds=600.0, write_retry_cap_seconds=600.0, resync_seconds=600.0
    )
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        registry = op.runtime.metrics.registry
        refused = Attempts("POST", SHOP_FINDINGS, name=BATCH).arm(cluster)
        cluster.refuse(refused, 500)  # the Finding's create fails, and stores nothing
        create_deployment(cluster, "batch", "shop")
        op.wait_until(lambda: refused.seen, "the create to be refused")

        # Meanwhile: one finding's cause fixed in `other`, a new namespace with a finding of its own.
        assert kube(cluster, "PATCH", SEED_HPA, {"spec": {"minReplicas": 1}})[0] == 200
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "late"}}
        assert kube(cluster, "POST", "/api/v1/namespaces", namespace, patch=False)[0] in (200, 201)
        create_deployment(cluster, "app", "late")
        op.wait_until(
            lambda: FIXED not in by_check(cluster) and best_effort_in(cluster, "late", "app"),
            "the new events' writes",
            40,  # the old evaluator slept out its backoff (here 600 s) before looking at any event
        )
        assert len(refused.seen) == 1  # the failing create was not tried again by those evaluations
        assert not best_effort_in(cluster, "shop", "batch")
        assert registry.get_sample_value("kgov_writes_held") == 1
        assert op.runtime.idle is False  # a write is still to be made: the operator is not settled


def test_a_write_failing_several_times_is_retried_by_the_policy_until_a_success_ends_its_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = Backoff(first=0.2, cap=0.8)
    options = operator_options(tmp_path, write_retry_seconds=policy.first, write_retry_cap_seconds=policy.cap)
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        registry = op.runtime.metrics.registry
        attempts = Attempts("POST", SHOP_FINDINGS, name=BATCH).arm(cluster)
        cluster.refuse(attempts.first(4), 503)
        create_deployment(cluster, "batch", "shop")
        op.wait_until(lambda: best_effort_in(cluster, "shop", "batch"), "the Finding to be written")
        op.settle()

        assert len(attempts.seen) == 5  # four failures, then the create
        for gap, least in zip(attempts.gaps, least_waits(policy, 4), strict=True):
            assert gap >= least * SLACK, (attempts.gaps, least)
        errors = {"verb": "create", "kind": "Finding", "code": "503"}
        assert registry.get_sample_value("kgov_api_write_errors_total", errors) == 4  # one per attempt
        assert registry.get_sample_value("kgov_writes_held") == 0
        assert len(op.runtime.writer.holds) == 0  # the success ended the hold: a next failure starts afresh


# ---- lists and watches: the informer alone retries them ----------------------------------------------------


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (429, 1.0)])
def test_a_failing_list_and_watch_are_retried_by_the_informer_alone(
    status: int, retry_after: float | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy, failures = Backoff(first=0.2, cap=1.6), 4
    options = operator_options(
        tmp_path,
        watch_retry_seconds=policy.first,
        watch_retry_cap_seconds=policy.cap,
        relist_after_failing_seconds=0.5,  # so the kind is listed again during the fault too
    )
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        attempts = Attempts("GET", DEPLOYMENTS).arm(cluster)
        reaction = cluster.emulator.override[attempts.first(failures)] << status
        if retry_after is not None:
            reaction = reaction << {"Retry-After": f"{retry_after:g}"}
        reaction << {"apiVersion": "v1", "kind": "Status", "code": status, "message": "injected"}
        cluster.faults.cut()  # the open watches end, and the Deployments' cannot come back at once
        create_deployment(cluster, "batch", "shop")  # while its kind cannot be listed or watched

        op.wait_until(lambda: best_effort_in(cluster, "shop", "batch"), "the Finding after the fault")
        url = f"http://127.0.0.1:{op.runtime.port}/healthz"
        op.wait_until(lambda: http_get(url) == (200, "ok\n"), "/healthz to recover")

        failed = list(attempts.seen)[:failures]
        assert set(failed) - attempts.watches, "listed during the fault too (relist_after_failing)"
        gaps = attempts.gaps[:failures]  # between the failures, and to the first success
        for gap, least in zip(gaps, least_waits(policy, failures, retry_after), strict=True):
            assert gap >= least * SLACK, (gaps, least)
