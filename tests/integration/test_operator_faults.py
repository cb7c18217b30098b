"""Watch faults as a real API server produces them: deletes lost while no watch was open, 410 Gone,
ERROR events, outages. The operator reconciles every re-list and never exits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness import by_check, emulated_cluster, http_get, kube, operator_options, running_operator

from kube_emulator import RunningEmulator

HPA = "/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers/api"


def lose_a_delete(cluster: RunningEmulator) -> None:
    """Cut every watch, delete the HPA while none is open (its delete is never streamed: watches
    resume from their resourceVersion), then let the watches come back."""
    cluster.faults.error = 503  # watches re-opened meanwhile fail at once
    cluster.faults.cut()
    time.sleep(1.0)  # every open watch has seen the cut
    assert kube(cluster, "DELETE", HPA)[0] == 200
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
        assert kube(cluster, "DELETE", HPA)[0] == 200
        op.wait_until(
            lambda: (
                not any(
                    f.check == "autoscaling.hpa-fixed-replicas" for f in op.runtime.engine.desired_findings
                )
            ),
            "the Finding to be dropped",
            40,
        )
