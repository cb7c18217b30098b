"""Several replicas with `--peering`: different priorities, exactly one active, a takeover when it goes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import (
    SEED_HPA,
    by_check,
    emulated_cluster,
    http_get,
    kube,
    operator_options,
    running_operator,
    serve_peering,
)

from kgov.cli import main
from kgov.operator.options import RunOptions
from kgov.operator.peering import is_active
from kube_emulator import RunningEmulator


def test_replicas_draw_different_priorities() -> None:
    drawn = {RunOptions().priority for _ in range(20)}
    assert len(drawn) == 20


def test_priority_option(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[RunOptions] = []
    monkeypatch.setattr("kgov.operator.main.prepare", lambda options: seen.append(options))
    monkeypatch.setattr("kgov.operator.main.serve_forever", lambda prepared: None)
    runner = CliRunner()
    assert runner.invoke(main, ["run", "--peering", "kgov", "--priority", "7"]).exit_code == 0
    assert runner.invoke(main, ["run", "--peering", "kgov"]).exit_code == 0
    assert runner.invoke(main, ["run", "--peering", "kgov"]).exit_code == 0
    assert seen[0].priority == 7
    assert seen[1].priority != seen[2].priority
    bad = runner.invoke(main, ["run", "--priority", "-1"])
    assert bad.exit_code == 2


def test_one_replica_works_and_the_other_takes_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("high", "low"):
        (tmp_path / name).mkdir()
    high = operator_options(tmp_path / "high", peering="kgov", priority=200, peering_poll_seconds=0.2)
    low = operator_options(tmp_path / "low", peering="kgov", priority=100, peering_poll_seconds=0.2)
    with emulated_cluster() as cluster:
        serve_peering(cluster)
        with running_operator(cluster, tmp_path, monkeypatch, high) as active:
            assert by_check(cluster)
            with running_operator(cluster, tmp_path, monkeypatch, low, wait=False) as standby:
                time.sleep(3)  # long enough for the standby to see its peer and pause
                assert standby.runtime.evaluations == 0 and standby.runtime.events == 0
                assert active.runtime.evaluations > 0
                assert active.runtime.active and not standby.runtime.active
                assert http_get(f"http://127.0.0.1:{standby.runtime.port}/healthz")[0] == 200
                active.stop_flag.set()
                active.thread.join(timeout=30)
                # The active replica left the peering: the standby resumes, lists, evaluates.
                standby.wait_until(lambda: standby.runtime.evaluations > 0, "the standby to take over", 60)
                standby.settle()
                assert by_check(cluster) and standby.runtime.active


PEERING = "/apis/kopf.dev/v1/clusterkopfpeerings/kgov"


def announce_peer(cluster: RunningEmulator, priority: int, seen: datetime) -> None:
    """A peer's entry on the peering object, as kopf writes it (60 s lifetime from `seen`)."""
    entry = {"priority": priority, "lastseen": seen.isoformat(), "lifetime": 60}
    assert kube(cluster, "PATCH", PEERING, {"status": {"peer-elsewhere": entry}})[0] == 200


def test_a_paused_replica_resumes_without_stale_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = operator_options(tmp_path, peering="kgov", priority=100, peering_poll_seconds=0.2)
    with emulated_cluster() as cluster:
        serve_peering(cluster)
        with running_operator(cluster, tmp_path, monkeypatch, options) as op:
            assert "autoscaling.hpa-fixed-replicas" in by_check(cluster)
            announce_peer(cluster, 200, datetime.now(UTC))  # a peer of higher priority: this one pauses
            op.wait_until(lambda: not op.runtime.active and not op.runtime.watches.running, "the pause")
            # While paused (the peer would be doing the work): an object deleted, a Finding's cause fixed.
            assert kube(cluster, "DELETE", SEED_HPA)[0] == 200
            patch = {"metadata": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}}}
            assert (
                kube(cluster, "PATCH", "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web", patch)[0]
                == 200
            )
            events, evaluations = op.runtime.events, op.runtime.evaluations
            time.sleep(1.0)
            assert (op.runtime.events, op.runtime.evaluations) == (events, evaluations)  # holds no watch

            left = time.monotonic()
            announce_peer(cluster, 200, datetime.now(UTC) - timedelta(seconds=61))  # the peer is gone
            store = op.runtime.engine.store
            op.wait_until(
                lambda: (
                    op.runtime.active
                    and op.runtime.evaluations > evaluations
                    and store.get(("HorizontalPodAutoscaler", "other", "api")) is None
                    and "migration.policy-required" in by_check(cluster)
                ),
                "the resumed replica to match the cluster",
            )
            took = time.monotonic() - left
            op.settle()
            assert not any(
                f.target.name == "api" and f.target.kind == "HorizontalPodAutoscaler"
                for f in op.runtime.engine.desired_findings
            )
            print(f"\npeer gone to resumed replica exact: {took:.1f} s (peering read every 0.2 s)")


NOW = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def peer(priority: int, seen: datetime = NOW, lifetime: int = 60) -> dict[str, object]:
    return {"priority": priority, "lastseen": seen.isoformat(), "lifetime": lifetime}


def test_who_is_active_by_the_peering_status() -> None:
    assert is_active({}, 5, NOW)
    assert is_active({"me": peer(5)}, 5, NOW)
    assert is_active({"me": peer(5), "other": peer(3)}, 5, NOW)
    assert not is_active({"me": peer(5), "other": peer(9)}, 5, NOW)
    assert not is_active({"me": peer(5), "twin": peer(5)}, 5, NOW)  # equal priorities pause both
    gone = peer(9, seen=NOW - timedelta(seconds=61))
    assert is_active({"me": peer(5), "other": gone}, 5, NOW)
