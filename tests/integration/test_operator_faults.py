"""Watch faults as a real API server produces them: deletes lost while no watch was open, 410 Gone,
ERROR events, outages. The operator reconciles every re-list and never exits."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

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

from kube_emulator import RunningEmulator


def lose_a_delete(cluster: RunningEmulator) -> None:
    """Cut every watch, delete the HPA while none is open (its delete is never streamed: watches
    resume from their resourceVersion), then let the watches come back."""
    cluster.faults.error = 503  # watches re-opened meanwhile fail at once
    cluster.faults.cut()
    time.sleep(1.0)  # every open watch has seen the cut
    assert kube(cluster, "DELETE", SEED_HPA)[0] == 200
    cluster.faults.error = None


def test_a_delete_lost_with_the_watch_is_reconciled_by_the_relist_after_410(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        assert "autoscaling.hpa-fixed-replicas" in by_check(cluster)
        cluster.faults.expire()  # the watch cache no longer holds our resourceVersion
        lose_a_delete(cluster)
        op.wait_until(
            lambda: "autoscaling.hpa-fixed-replicas" not in by_check(cluster), "the Finding to go", 40
        )
        op.wait_until(lambda: op.runtime.health() == (True, "ok"), "the watches to recover", 40)


def test_a_delete_lost_without_410_is_reconciled_by_the_periodic_relist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = operator_options(tmp_path, {"operator": {"debounce_seconds": 0.05, "relist_interval": "3s"}})
    with (
        emulated_cluster() as cluster,
        running_operator(cluster, tmp_path, monkeypatch, options, wait=False) as op,
    ):
        # Every kind is listed again every 3 s, so the operator never looks settled: wait for the Finding.
        op.wait_until(
            lambda: "autoscaling.hpa-fixed-replicas" in by_check(cluster), "the first evaluation", 40
        )
        lose_a_delete(cluster)
        op.wait_until(
            lambda: "autoscaling.hpa-fixed-replicas" not in by_check(cluster), "the Finding to go", 40
        )


def test_watch_errors_and_outages_degrade_health_and_are_survived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch) as op:
        url = f"http://127.0.0.1:{op.runtime.port}/healthz"
        cluster.faults.error = 500  # a non-410 ERROR event on every watch
        cluster.faults.cut()
        status, reason = op.wait_until(
            lambda: (s := http_get(url))[0] != 200 and s, "/healthz to degrade", 10
        )
        assert status == 500 and "failing" in reason, reason
        cluster.faults.error = None
        op.wait_until(lambda: http_get(url) == (200, "ok\n"), "/healthz to recover", 40)
        # Still watching: a change made now is seen and evaluated (its Finding is the garbage
        # collector's to delete, so the engine's view is what shows it).
        assert kube(cluster, "DELETE", SEED_HPA)[0] == 200
        op.wait_until(
            lambda: (
                not any(
                    f.check == "autoscaling.hpa-fixed-replicas" for f in op.runtime.engine.desired_findings
                )
            ),
            "the Finding to be dropped",
            40,
        )


# ---- long outages: throttling, a partition longer than the watch cache --------------------------------

INGRESS = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web"
BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"
# How long the API stays throttled or partitioned here. In a cluster these faults last minutes; what
# the operator does depends on its backoff cap and on `relist_after_failing`, scaled down with them.
OUTAGE_SECONDS = 3.0
SCALED = {"watch_retry_cap_seconds": 0.5, "relist_after_failing_seconds": 1.0}


def checks_on(cluster: RunningEmulator) -> Counter[tuple[str, str]]:
    """(check, target) of every Finding held: a duplicate would count twice."""
    return Counter((b["spec"]["check"], b["spec"]["target"]["ref"]) for b in findings(cluster).values())


def engine_keys(op: Any, kinds: set[str]) -> set[tuple[str, str | None, str]]:
    return {key for key in op.runtime.engine.store._objects if key[0] in kinds}


def cluster_keys(cluster: RunningEmulator, kinds: set[str]) -> set[tuple[str, str | None, str]]:
    return {
        (obj.raw["kind"], namespace, name)
        for (_, namespace, name), obj in list(cluster.emulator.objects.items())
        if not obj.deleted and obj.raw.get("kind") in kinds
    }


def degraded(url: str) -> tuple[int, str] | None:
    status, reason = http_get(url)
    return (status, reason) if status != 200 else None


def test_minutes_of_429_are_survived_and_reconciled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = operator_options(tmp_path, **SCALED)
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        url = f"http://127.0.0.1:{op.runtime.port}/healthz"
        expected = checks_on(cluster)
        ends = cluster.outage(429, OUTAGE_SECONDS, spare=from_tests, retry_after=1)
        cluster.faults.cut()  # the open watches end too: every request of the operator is throttled
        time.sleep(0.5)  # every watch has seen the cut
        # While throttled: one Finding's cause is fixed, another's appears.
        assert kube(cluster, "PATCH", SEED_HPA, {"spec": {"minReplicas": 1}})[0] == 200
        assert kube(cluster, "PATCH", INGRESS, {"metadata": {"annotations": {BODY_SIZE: "8m"}}})[0] == 200
        status, reason = op.wait_until(lambda: degraded(url), "/healthz to degrade", OUTAGE_SECONDS)
        assert status == 500 and "429" in reason, reason
        assert time.monotonic() < ends  # degraded while throttled, not after

        op.wait_until(lambda: time.monotonic() >= ends, "the throttling to end")
        op.wait_until(
            lambda: FIXED not in by_check(cluster) and len(checks_on(cluster)) == len(expected),
            "the Findings to be exact again",
        )
        converged = time.monotonic() - ends
        op.settle()
        after = checks_on(cluster)
        assert set(after.values()) == {1}  # no duplicate
        [added] = set(after) - set(expected)
        assert set(expected) - set(after) == {next(k for k in expected if k[0] == FIXED)}  # none lost
        assert added[1] == "Ingress/web"
        op.wait_until(lambda: http_get(url) == (200, "ok\n"), "/healthz to recover")
        assert op.thread.is_alive() and not op.failure
        print(f"\n429 for {OUTAGE_SECONDS:g} s: exact again {converged:.1f} s after it ended")


def test_a_partition_longer_than_the_watch_cache_is_reconciled_by_the_relist_after_410(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A partition shorter than `relist_after_failing`: it is the 410 that makes the kinds listed again.
    options = operator_options(tmp_path, watch_retry_cap_seconds=0.5)
    kinds = {"Deployment", "HorizontalPodAutoscaler", "Ingress"}
    with emulated_cluster() as cluster, running_operator(cluster, tmp_path, monkeypatch, options) as op:
        url = f"http://127.0.0.1:{op.runtime.port}/healthz"
        ends = cluster.outage(503, OUTAGE_SECONDS, spare=from_tests)
        cluster.faults.cut()
        cluster.faults.expire()  # longer than the watch cache: every resourceVersion held is too old
        time.sleep(0.5)  # every watch has seen the cut
        # While partitioned: an object deleted, one created.
        assert kube(cluster, "DELETE", SEED_HPA)[0] == 200
        created = deployment("batch")
        path = "/apis/apps/v1/namespaces/shop/deployments"
        assert kube(cluster, "POST", path, created, patch=False)[0] in (200, 201)
        op.wait_until(lambda: degraded(url), "/healthz to degrade", OUTAGE_SECONDS)

        op.wait_until(lambda: time.monotonic() >= ends, "the partition to end")
        op.wait_until(lambda: engine_keys(op, kinds) == cluster_keys(cluster, kinds), "the engine to match")
        op.wait_until(
            lambda: (
                ("qos.best-effort", "Deployment/batch") in checks_on(cluster)
                and FIXED not in by_check(cluster)
            ),
            "the Findings to match",
        )
        converged = time.monotonic() - ends
        assert set(checks_on(cluster).values()) == {1}
        op.wait_until(lambda: http_get(url) == (200, "ok\n"), "/healthz to recover")
        print(f"\npartition of {OUTAGE_SECONDS:g} s with 410: exact again {converged:.1f} s after it ended")
